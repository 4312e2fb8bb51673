/**
 * Webhook deliveries (docs/api.md, "Webhooks"): one signed POST of one event to one endpoint per
 * attempt. Each delivery runs in a `webhookDeliveryWorkflow` of its own, which retries it with backoff,
 * so a slow or dead endpoint never holds up the ticket or the other endpoints.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  WEBHOOK_DELIVERY_WORKFLOW_TYPE,
  WEBHOOK_HEADERS,
  type NotificationActivities,
  type TicketEvent,
  type WebhookDeliveryInput,
} from '@gatehouse/domain';
import { signWebhook, type NotifierSettings } from '@gatehouse/notifiers';
import type { Store } from '@gatehouse/store';

export interface WebhookDeps {
  store: Store;
  settings: NotifierSettings;
}

/**
 * Failure type no retry fixes (the endpoint was deleted, disabled, or answered 410): the delivery workflow
 * lists it as non-retryable (the same literal: workflows cannot import this package).
 */
const WEBHOOK_UNDELIVERABLE = 'WEBHOOK_UNDELIVERABLE';
/** Failure type of an attempt the endpoint did not accept (non-2xx, timeout, no connection): retried. */
const WEBHOOK_ATTEMPT_FAILED = 'WEBHOOK_ATTEMPT_FAILED';

const WEBHOOK_USER_AGENT = 'Gatehouse-Webhooks/1';

/** The body of a delivery: the same bytes for every attempt and replay of one event. */
function webhookPayload(event: TicketEvent) {
  return {
    id: event.id,
    type: event.type,
    createdAt: event.at,
    ticketId: event.ticketId,
    sequence: event.sequence,
    data: event,
  };
}

/**
 * For each event and each enabled endpoint subscribed to its type: records a pending delivery and starts
 * its `webhookDeliveryWorkflow` on `taskQueue`, the notifications queue (workflow id from the delivery id, so
 * a repeated publish starts nothing twice).
 * A delivery already delivered or failed is left alone: replaying it is an admin's call.
 */
export async function enqueueWebhookDeliveries(
  deps: WebhookDeps,
  client: Client,
  taskQueue: string,
  events: TicketEvent[],
): Promise<void> {
  if (!events.length) return;
  const endpoints = await deps.store.webhooks.subscribedTo([...new Set(events.map((e) => e.type))]);
  for (const event of events) {
    for (const endpoint of endpoints) {
      if (!endpoint.events.includes('*') && !endpoint.events.includes(event.type)) continue;
      const { delivery, created } = await deps.store.webhookDeliveries.createIfAbsent(endpoint.id, event);
      // Pending but not created now: a publish that crashed before starting it, or one that did (then the start is refused).
      if (!created && delivery.status !== 'pending') continue;
      const input: WebhookDeliveryInput = { deliveryId: delivery.id, maxAttempts: deps.settings.webhooks.maxAttempts };
      try {
        await client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
          workflowId: `webhook:${delivery.id}`,
          taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: `Webhook: ${event.type} of ${event.ticketId} to ${endpoint.id}`,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
  }
}

function undeliverable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WEBHOOK_UNDELIVERABLE, message, nonRetryable: true });
}

/** The replay a delivery workflow runs (0: the first run), from its id `webhook:<deliveryId>[:replay-<n>]`. */
function replayOf(workflowId: string | undefined): number {
  const m = /:replay-(\d+)$/.exec(workflowId ?? '');
  return m ? Number(m[1]) : 0;
}

/** At most `max` characters of a refusal's body, for the delivery's `lastError`; never waits for more. */
async function bodyHead(res: Response, max = 200): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // a body cut short: what arrived is enough
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

/** Why no response came, in a few words: never the URL (its path or query may hold a token). */
function networkError(err: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors (DOMException, undici's TypeError with a cause) may come from another realm.
  const { name, message, cause } = (err ?? {}) as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (name === 'TimeoutError') return `no response within ${timeoutMs} ms`;
  if ((cause as { code?: string } | undefined)?.code === 'EOUTBOUNDBLOCKED') return cause!.message!;
  return `request failed: ${cause?.code ?? cause?.message ?? message ?? String(err)}`;
}

export function createWebhookActivities(
  deps: WebhookDeps,
): Pick<NotificationActivities, 'deliverWebhook' | 'finishWebhookDelivery'> {
  const { store, settings } = deps;
  return {
    async deliverWebhook({ deliveryId }) {
      const context = Context.current();
      const delivery = await store.webhookDeliveries.get(deliveryId);
      if (!delivery) throw undeliverable(`delivery ${deliveryId} does not exist`);
      const endpoint = await store.webhooks.withSecret(delivery.endpointId);
      if (!endpoint) throw undeliverable(`endpoint ${delivery.endpointId} was deleted`);
      if (!endpoint.enabled) throw undeliverable(`endpoint ${endpoint.id} is disabled`);
      const event = await store.ticketEvents.get(delivery.eventId);
      if (!event) throw undeliverable(`event ${delivery.eventId} is not stored`);

      const body = JSON.stringify(webhookPayload(event));
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        [WEBHOOK_HEADERS.id]: event.id,
        [WEBHOOK_HEADERS.type]: event.type,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(endpoint.secret, timestamp, body),
        [WEBHOOK_HEADERS.delivery]: delivery.id,
      };
      const startedAt = new Date();
      let statusCode: number | null = null;
      let error: string | null = null;
      let refused = false;
      try {
        // The outbound guard's fetch: in production it refuses loopback, private and metadata addresses.
        const res = await (settings.outbound?.fetch ?? fetch)(endpoint.url, {
          method: 'POST',
          headers,
          body,
          // A redirect is a misconfigured URL, and following it would turn the POST into a GET elsewhere.
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(settings.webhooks.timeoutMs), context.cancellationSignal]),
        });
        statusCode = res.status;
        if (res.status >= 200 && res.status < 300) await res.body?.cancel();
        else error = `HTTP ${res.status}${await bodyHead(res).then((head) => (head ? `: ${head}` : ''))}`;
      } catch (err) {
        // The worker is shutting down or the workflow went away: Temporal runs the attempt again elsewhere.
        if (context.cancellationSignal.aborted) throw err;
        error = networkError(err, settings.webhooks.timeoutMs);
        refused = (err as { cause?: { code?: string } } | null)?.cause?.code === 'EOUTBOUNDBLOCKED';
      }
      await store.webhookDeliveries.recordAttempt(delivery, {
        replay: replayOf(context.info.workflowExecution?.workflowId),
        attempt: context.info.attempt,
        at: startedAt.toISOString(),
        statusCode,
        error,
        durationMs: Date.now() - startedAt.getTime(),
      });
      if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { statusCode };
      // A destination the outbound guard refuses stays refused until an admin changes the URL or the allowlist.
      if (refused) throw undeliverable(error!);
      // 410 Gone: the consumer says this URL is not coming back. This delivery stops; the endpoint stays as the admin set it.
      if (statusCode === 410) throw undeliverable(error!);
      throw ApplicationFailure.create({ type: WEBHOOK_ATTEMPT_FAILED, message: error!, details: [statusCode] });
    },

    async finishWebhookDelivery({ deliveryId, delivered, error }) {
      if (delivered) await store.webhookDeliveries.markDelivered(deliveryId);
      else await store.webhookDeliveries.markFailed(deliveryId, error);
    },
  };
}
