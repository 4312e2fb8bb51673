/**
 * Telling people about one ticket event (docs/notifications.md): who must hear about it is planned by
 * an activity (approver rules resolve against the directory), then each message is sent on every
 * configured channel, retried with backoff. A message that still fails is given up, visible in this
 * workflow's history; it never touches the ticket's own workflow.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { NotificationActivities, TicketEvent } from '@gatehouse/domain';

const { planNotifications } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

const { sendNotification } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '1 minute',
  // Slack rate limits and SMTP hiccups pass: back off up to 5 minutes, about half an hour in all.
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['NOTIFICATION_UNDELIVERABLE'],
  },
});

export interface NotifyResult {
  sent: string[];
  failed: { id: string; error: string }[];
}

export async function notifyWorkflow(event: TicketEvent): Promise<NotifyResult> {
  const notifications = await planNotifications(event);
  const result: NotifyResult = { sent: [], failed: [] };
  await Promise.all(
    notifications.map(async (n) => {
      try {
        await sendNotification(n);
        result.sent.push(n.id);
      } catch (err) {
        result.failed.push({
          id: n.id,
          error: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
        });
      }
    }),
  );
  return result;
}
