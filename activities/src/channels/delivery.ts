/** What every channel does around its own sending: once per notification, skips, failures Temporal understands. */
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Notification } from '@gatehouse/domain';
import type { Store } from '@gatehouse/store';

/** Failure type of a send no retry can fix; `notifyWorkflow` does not retry it. */
export const NOTIFICATION_UNDELIVERABLE = 'NOTIFICATION_UNDELIVERABLE';

export function undeliverable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: NOTIFICATION_UNDELIVERABLE, message, nonRetryable: true });
}

/** The activity's logger; none when a channel is called outside an activity (tests). */
function activityLog() {
  return asyncLocalStorage.getStore()?.log;
}

/**
 * Runs `send` unless an earlier attempt already finished this notification on this channel. `send`
 * returns null once it sent, or why there was nothing to send (recorded, logged, not retried).
 */
export async function sendOnce(
  store: Store,
  channel: string,
  n: Notification,
  send: () => Promise<string | null>,
): Promise<void> {
  if (!(await store.sentNotifications.claim(n.id, channel))) return;
  const skipped = await send();
  await store.sentNotifications.finish(n.id, channel, skipped === null ? 'sent' : 'skipped', skipped);
  if (skipped !== null)
    activityLog()?.info(`${channel}: ${n.kind} for ${n.event.ticketId} to user ${n.userId} not sent: ${skipped}`);
}

/**
 * False once the read model shows that the step of an approval notification is over: a request still
 * being retried when the step got decided is then not sent at all. A read model lagging behind the
 * event (a step not reached yet) does not stop it.
 */
export async function stepStillOpen(store: Store, n: Notification): Promise<boolean> {
  const doc = await store.tickets.get(n.event.ticketId);
  if (!doc || n.step === undefined) return true;
  return doc.status === 'pending' && doc.approval.currentStep <= n.step;
}

/** How a message names the event's actor: the directory's name, else the ticket's, else the id. */
export async function actorName(store: Store, n: Notification): Promise<string> {
  const { actor, ticket } = n.event;
  if (actor === ticket.requester.id && ticket.requester.name) return ticket.requester.name;
  if (actor === ticket.beneficiary.id && ticket.beneficiary.name) return ticket.beneficiary.name;
  return (await store.users.get(actor))?.name ?? actor;
}
