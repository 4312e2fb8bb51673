/**
 * One webhook delivery: the signed POST of one event to one endpoint, retried with backoff, then recorded
 * as delivered or failed (docs/api.md, "Webhooks"). It runs apart from the ticket's workflow, so a slow or
 * dead endpoint never delays the ticket. Its id is `webhook:<deliveryId>`, or `…:replay-<n>` for a replay.
 */
import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { NotificationActivities, WebhookDeliveryInput } from '@gatehouse/domain';

/** Thrown by `deliverWebhook` when no retry can help (the endpoint was deleted, disabled, or answered 410 Gone). */
const WEBHOOK_UNDELIVERABLE = 'WEBHOOK_UNDELIVERABLE';

const { finishWebhookDelivery } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface WebhookDeliveryResult {
  delivered: boolean;
  /** The accepting response's status, when delivered. */
  statusCode: number | null;
  /** Why the last attempt failed, when not delivered. */
  error: string | null;
}

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { deliverWebhook } = proxyActivities<NotificationActivities>({
    // Bounds an attempt lost with its worker; the POST itself gives up after WEBHOOK_TIMEOUT_MS (default 10 s).
    startToCloseTimeout: '5 minutes',
    // 2 s, 4 s, 8 s … capped at 30 minutes: 12 attempts span a little over an hour.
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '30 minutes',
      maximumAttempts: input.maxAttempts ?? 12,
      nonRetryableErrorTypes: [WEBHOOK_UNDELIVERABLE],
    },
  });
  const { deliveryId } = input;
  try {
    // `attempt` is the first; the activity reads Temporal's own count of the retries.
    const { statusCode } = await deliverWebhook({ deliveryId, attempt: 1 });
    await finishWebhookDelivery({ deliveryId, delivered: true, error: null });
    return { delivered: true, statusCode, error: null };
  } catch (err) {
    const error = isCancellation(err)
      ? 'cancelled'
      : err instanceof Error
        ? err.cause instanceof Error
          ? err.cause.message
          : err.message
        : String(err);
    // Recorded even when the workflow is cancelled, so the delivery does not stay pending for ever.
    await CancellationScope.nonCancellable(() => finishWebhookDelivery({ deliveryId, delivered: false, error }));
    if (isCancellation(err)) throw err;
    return { delivered: false, statusCode: null, error };
  }
}
