/**
 * Metrics of the activities that reach targets, recorded around each attempt through the activity's
 * metric meter (served with the SDK's own at WORKER_METRICS_ADDRESS; docs/operations.md, "Metrics and
 * traces"). Labels name apps, connector types and failure codes, never a person or a ticket.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import { createConnector, type Connector, type ConnectorDeps } from '@gatehouse/connectors';
import type { App, ComputeDriftResult } from '@gatehouse/domain';

/**
 * Each app's connector type, as activities last built its connector: provisioning metrics are labelled
 * with it without reading the app again.
 */
export class ConnectorTypes {
  private readonly byApp = new Map<string, string>();

  /** Wraps how activities build connectors (`build`, or the registry's), remembering each app's type. */
  recording(build?: (app: App, deps: ConnectorDeps) => Connector): (app: App, deps: ConnectorDeps) => Connector {
    return (app, deps) => {
      this.byApp.set(app.id, app.connector.type);
      return build ? build(app, deps) : createConnector(app.id, app.connector, deps);
    };
  }

  /** `unknown` when the attempt failed before building one (the app is gone, MongoDB is down). */
  of(appId: string): string {
    return this.byApp.get(appId) ?? 'unknown';
  }
}

const OPERATIONS: Record<string, 'grant' | 'revoke'> = { applyAccess: 'grant', revokeAccess: 'revoke' };

/** A failure's code: the connector's or Gatehouse's failure type, else the error's class. */
function errorCode(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.type ?? 'APPLICATION_FAILURE';
  if (err instanceof CancelledFailure) return 'CANCELLED';
  return err instanceof Error ? err.name : 'UNKNOWN';
}

function retryable(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable) && !(err instanceof CancelledFailure);
}

/** One attempt of applyAccess (grant) or revokeAccess (revoke): its time, and its failure. */
async function provisioning(
  ctx: Context,
  connectorTypes: ConnectorTypes,
  operation: 'grant' | 'revoke',
  input: ActivityExecuteInput,
  next: Next<ActivityInboundCallsInterceptor, 'execute'>,
): Promise<unknown> {
  const meter = ctx.metricMeter;
  const { appId } = input.args[0] as { appId: string };
  const started = performance.now();
  const tags = () => ({ operation, app_id: appId, connector: connectorTypes.of(appId) });
  const duration = (outcome: 'success' | 'failure') =>
    meter
      .createHistogram(
        'gatehouse_provisioning_duration_seconds',
        'float',
        undefined,
        'Time of one grant or revoke attempt against a target',
      )
      .record((performance.now() - started) / 1000, { ...tags(), outcome });
  try {
    const result = await next(input);
    duration('success');
    return result;
  } catch (err) {
    duration('failure');
    meter
      .createCounter(
        'gatehouse_provisioning_failures_total',
        undefined,
        'Failed grant or revoke attempts, by app, connector and failure code',
      )
      .add(1, { ...tags(), error_code: errorCode(err), retryable: retryable(err) });
    // A revocation retries until it succeeds: how long this one has been at it.
    if (operation === 'revoke' && retryable(err))
      meter
        .createHistogram(
          'gatehouse_revocation_retry_age_seconds',
          'float',
          undefined,
          'At each failed revocation attempt that will be retried: the time since its first attempt',
        )
        .record((Date.now() - ctx.info.scheduledTimestampMs) / 1000, { app_id: appId, connector: tags().connector });
    throw err;
  }
}

/** The findings of a drift report, by kind. */
function driftFindings(ctx: Context, result: ComputeDriftResult): void {
  const findings = ctx.metricMeter.createCounter(
    'gatehouse_drift_findings_total',
    undefined,
    'Findings of drift reports (each report counts every finding it lists), by app and kind',
  );
  const kinds = { unmanaged: result.unmanaged, missing: result.missing, error: result.errors };
  for (const [kind, n] of Object.entries(kinds)) findings.add(n, { app_id: result.appId, kind });
}

/**
 * The endpoint of a webhook delivery, from the delivery's id (`<endpointId>:<eventId>`, store's
 * `webhookDeliveryId`): the event id names a ticket, the endpoint id (`wh_…`) does not.
 */
const endpointOf = (deliveryId: string) => deliveryId.slice(0, deliveryId.indexOf(':'));

/** Thrown by deliverWebhook when no retry can help (the endpoint was deleted, disabled or answered 410). */
const WEBHOOK_UNDELIVERABLE = 'WEBHOOK_UNDELIVERABLE';

/** One POST of a webhook delivery: delivered, failed (retried) or undeliverable (given up at once). */
async function webhookAttempt(
  ctx: Context,
  input: ActivityExecuteInput,
  next: Next<ActivityInboundCallsInterceptor, 'execute'>,
): Promise<unknown> {
  const { deliveryId } = input.args[0] as { deliveryId: string };
  const attempts = ctx.metricMeter.createCounter(
    'gatehouse_webhook_attempts_total',
    undefined,
    'Webhook POSTs, by endpoint and result',
  );
  const endpoint_id = endpointOf(deliveryId);
  try {
    const result = await next(input);
    attempts.add(1, { endpoint_id, result: 'delivered' });
    return result;
  } catch (err) {
    const undeliverable = err instanceof ApplicationFailure && err.type === WEBHOOK_UNDELIVERABLE;
    if (!(err instanceof CancelledFailure))
      attempts.add(1, { endpoint_id, result: undeliverable ? 'undeliverable' : 'failed' });
    throw err;
  }
}

/** A webhook delivery's end: delivered, or failed once its attempts ran out. */
function webhookDelivery(ctx: Context, input: ActivityExecuteInput): void {
  const { deliveryId, delivered } = input.args[0] as { deliveryId: string; delivered: boolean };
  ctx.metricMeter
    .createCounter(
      'gatehouse_webhook_deliveries_total',
      undefined,
      'Webhook deliveries finished, by endpoint and result',
    )
    .add(1, { endpoint_id: endpointOf(deliveryId), result: delivered ? 'delivered' : 'failed' });
}

/** The metrics interceptor of every activity (a no-op for those it does not measure). */
export function activityMetrics(connectorTypes: ConnectorTypes): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const type = ctx.info.activityType;
        const operation = OPERATIONS[type];
        if (operation) return provisioning(ctx, connectorTypes, operation, input, next);
        if (type === 'deliverWebhook') return webhookAttempt(ctx, input, next);
        const result = await next(input);
        if (type === 'computeDrift') driftFindings(ctx, result as ComputeDriftResult);
        if (type === 'finishWebhookDelivery') webhookDelivery(ctx, input);
        return result;
      },
    },
  });
}
