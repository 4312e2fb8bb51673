/**
 * Activities that tell people and systems what happened (docs/notifications.md): publishing a ticket's
 * events (alone, or right after the read-model write they came with), planning who hears about each, and
 * sending on Slack and email; webhook deliveries come from ./webhook-activities.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  NOTIFY_WORKFLOW_TYPE,
  NOTIFYING_EVENT_TYPES,
  plannedNotifications,
  type Notification,
  type NotificationActivities,
  type TicketEvent,
} from '@gatehouse/domain';
import type { NotifierSettings } from '@gatehouse/notifiers';
import type { Store } from '@gatehouse/store';
import { createChannels, type NotificationChannel } from './channels';
import { persistTicket } from './ticket-activities';
import { createWebhookActivities, enqueueWebhookDeliveries } from './webhook-activities';

export interface NotificationDeps {
  store: Store;
  settings: NotifierSettings;
  /** Overrides the channels built from `settings` (tests). */
  channels?: NotificationChannel[];
  /**
   * The task queue notify and webhook delivery workflows start on: the notifications queue, apart from the
   * ticket queue whose activity publishes them, so a storm of deliveries never takes a grant's worker slots.
   */
  notificationQueue: string;
}

/** Who the event's notifications go to: approver rules resolved against the directory (users' roles and groups). */
export async function planNotifications(store: Store, event: TicketEvent): Promise<Notification[]> {
  const t = event.ticket;
  const out: Notification[] = [];
  for (const planned of plannedNotifications(event)) {
    let userIds: string[];
    let step: number | undefined;
    if ('requester' in planned.audience) {
      userIds = [...new Set([t.requester.id, t.beneficiary.id])];
    } else {
      const { approvers, excludeApproved } = planned.audience;
      step = planned.audience.step;
      const approvedBy = excludeApproved && step !== undefined ? (t.approval.steps[step]?.approvedBy ?? []) : [];
      const users = await store.users.matchingRules(approvers);
      // Never the requester or the beneficiary: they cannot approve their own ticket.
      userIds = users
        .map((u) => u.id)
        .filter((id) => id !== t.requester.id && id !== t.beneficiary.id && !approvedBy.includes(id));
    }
    for (const userId of userIds.sort()) {
      out.push({
        id: `${event.id}:${planned.kind}:${userId}`,
        kind: planned.kind,
        userId,
        event,
        ...(step !== undefined ? { step } : {}),
      });
    }
  }
  return out;
}

export function createNotificationActivities(deps: NotificationDeps): NotificationActivities {
  const { store } = deps;
  const channels = deps.channels ?? createChannels(deps);
  const notifying = new Set<string>(NOTIFYING_EVENT_TYPES);

  /** Stores the events and starts their deliveries; a repeat stores and starts nothing twice. */
  async function publish(events: TicketEvent[]): Promise<void> {
    await store.ticketEvents.add(events);
    const client = Context.current().client;
    const taskQueue = deps.notificationQueue;
    await enqueueWebhookDeliveries(deps, client, taskQueue, events);
    if (!channels.length) return;
    for (const event of events) {
      if (!notifying.has(event.type)) continue;
      try {
        await client.workflow.start(NOTIFY_WORKFLOW_TYPE, {
          workflowId: `notify:${event.id}`,
          taskQueue,
          args: [event],
          // A publish retried after the notifications went out must not send them again.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: `Notify about ${event.type} of ${event.ticketId}`,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
  }

  return {
    publishTicketEvents: ({ events }) => publish(events),

    // Persist first: an event never reaches a consumer before the read model shows the change it records.
    // A retry after the persist landed writes nothing new (same version) and publishes again (same ids).
    async writeTicket({ events, ...write }) {
      await persistTicket(store, write);
      await publish(events);
    },

    async writeTicketLocal({ events, ...write }) {
      await persistTicket(store, write);
      if (events.length) await publish(events);
      return write;
    },

    planNotifications: (event) => planNotifications(store, event),

    async sendNotification(notification) {
      for (const channel of channels) await channel.send(notification);
    },

    ...createWebhookActivities(deps),
  };
}
