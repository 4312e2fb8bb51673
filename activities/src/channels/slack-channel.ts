/**
 * Slack direct messages from the app. A person is found by the email Gatehouse has for them
 * (`users.lookupByEmail`); someone without one, or not in the workspace, is skipped, not retried.
 * Approval requests carry Approve / Reject buttons, and an expiry notice to the access's holder an End access
 * now button (answered by the gateway's `POST /slack/interactions`). Approval requests are remembered, so
 * that when the step is over every message its approvers got shows the outcome.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Notification } from '@gatehouse/domain';
import {
  approvalOutcomeMessage,
  notificationContent,
  outcomeLine,
  SlackApiError,
  SlackClient,
  slackMessage,
  type SlackUser,
} from '@gatehouse/notifiers';
import { actorName, sendOnce, stepStillOpen, undeliverable } from './delivery';
import type { ChannelDeps, NotificationChannel } from './index';

/** `chat.update` errors for a message that can no longer change (deleted, too old): the others still are. */
const GONE_MESSAGE_ERRORS = new Set([
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'channel_not_found',
  'is_archived',
]);

/** Slack's failures as Temporal sees them: rate limits wait Slack's Retry-After; errors no retry fixes stop. */
function temporalFailure(err: unknown): unknown {
  if (!(err instanceof SlackApiError)) return err;
  if (err.retryAfterMs !== undefined)
    return ApplicationFailure.create({
      type: 'SLACK_RATE_LIMITED',
      message: err.message,
      nextRetryDelay: err.retryAfterMs,
    });
  return err.retryable ? err : undeliverable(err.message);
}

export function createSlackChannel(deps: ChannelDeps, slack: { token: string; apiUrl: string }): NotificationChannel {
  const { store, settings } = deps;
  const client = new SlackClient({ ...slack, fetch: settings.outbound?.fetch });

  /** The person's Slack user, or why there is none. */
  async function slackUserOf(userId: string): Promise<SlackUser | string> {
    const user = await store.users.get(userId);
    if (!user?.email) return 'Gatehouse has no email address for the user';
    const found = await client.lookupByEmail(user.email);
    if (!found || found.deleted || found.isBot) return 'no active Slack user has the user’s email address';
    await store.slackIdentities.remember(found.id, userId, user.email);
    return found;
  }

  async function post(n: Notification): Promise<string | null> {
    const approval = n.kind === 'approval_requested' || n.kind === 'approval_reminder';
    if (
      approval &&
      (!(await stepStillOpen(store, n)) || (await store.slackMessages.stepOutcome(n.event.ticketId, n.step!)))
    ) {
      return 'the step was over before the message went out';
    }
    const target = await slackUserOf(n.userId);
    if (typeof target === 'string') return target;
    const content = notificationContent(n, { publicUrl: settings.publicUrl, actorName: await actorName(store, n) })!;
    // Only the holder may end access early: someone who asked on their behalf gets the notice without the button.
    const endAccess = n.kind === 'access_expiring' && n.userId === n.event.ticket.beneficiary.id;
    const message = slackMessage(content, n.event.ticketId, approval ? { step: n.step! } : undefined, { endAccess });
    const posted = await client.postMessage({ channel: target.id, ...message });
    if (approval) {
      await store.slackMessages.add({
        ticketId: n.event.ticketId,
        step: n.step!,
        userId: n.userId,
        slackUserId: target.id,
        channel: posted.channel,
        ts: posted.ts,
        notificationId: n.id,
      });
      // Closed while this was being posted: the step's approval_closed may have found nothing to update yet.
      const outcome = await store.slackMessages.stepOutcome(n.event.ticketId, n.step!);
      if (outcome)
        await client.update({ channel: posted.channel, ts: posted.ts, text: outcome.text, blocks: outcome.blocks });
    }
    return null;
  }

  /** Every message this approver got for the step now shows how it ended, without buttons. */
  async function close(n: Notification): Promise<string | null> {
    const step = n.step!;
    const { event } = n;
    const decision = event.type === 'approved' ? 'approved' : event.type === 'rejected' ? 'rejected' : 'cancelled';
    const line = outcomeLine(event.ticket, step, { decision, by: await actorName(store, n), comment: event.comment });
    const message = approvalOutcomeMessage(event.ticket, step, line, settings.publicUrl);
    // First the outcome, then the messages: a request being posted right now finds one or the other.
    await store.slackMessages.closeStep(event.ticketId, step, message);
    const sent = await store.slackMessages.get(event.ticketId, step, n.userId);
    if (!sent?.messages.length) return 'no Slack message to update';
    for (const m of sent.messages) {
      try {
        await client.update({ channel: m.channel, ts: m.ts, ...message });
      } catch (err) {
        if (!(err instanceof SlackApiError && GONE_MESSAGE_ERRORS.has(err.error))) throw err;
      }
    }
    return null;
  }

  return {
    name: 'slack',
    async send(n) {
      try {
        await sendOnce(store, 'slack', n, () => (n.kind === 'approval_closed' ? close(n) : post(n)));
      } catch (err) {
        throw temporalFailure(err);
      }
    },
  };
}
