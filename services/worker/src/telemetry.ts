/**
 * The worker's metrics, traces and log lines (docs/operations.md, "Metrics and traces").
 *
 * Metrics: the Temporal SDK's runtime serves Prometheus at WORKER_METRICS_ADDRESS, its own series
 * (`temporal_…`: task latencies, workflow task failures, cache) beside Gatehouse's, which workflows record
 * through `metricMeter` and activities through their context's meter (see activity-metrics.ts).
 *
 * Traces: on when an OTLP endpoint is set (the standard `OTEL_*` variables). The workflow interceptors
 * are always in the bundle (a bundle must not depend on a setting; see workflows/src/tracing-interceptors.ts);
 * with tracing off, the spans they make inside the sandbox are dropped as they leave it.
 */
import path from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { context, createContextKey, isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
  type LogLevel,
  type RuntimeOptions,
  type WorkerOptions,
} from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { TICKET_WORKFLOW_TYPE } from '@gatehouse/workflows';
import { activityMetrics, type ConnectorTypes } from './activity-metrics';

/** Tracing as the standard `OTEL_*` variables set it up (the worker's config reads them). */
export interface TracingSettings {
  /** The `service.name` of the spans (OTEL_SERVICE_NAME; default `gatehouse-worker`). */
  serviceName: string;
}

/** The span attribute naming the ticket a span belongs to, on every span of a ticket. */
export const TICKET_ID_ATTRIBUTE = 'gatehouse.ticket_id';

/** Workflow interceptor modules, bundled with the workflow code: the sandbox side of tracing. */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  path.join(path.dirname(require.resolve('@gatehouse/workflows/package.json')), 'dist', 'tracing-interceptors.js'),
];

/**
 * Bucket bounds of Gatehouse's histograms, in seconds (the SDK's defaults suit milliseconds). The
 * revocation buckets include 900 s: the alert on revocations retrying longer than 15 minutes reads it.
 */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  gatehouse_provisioning_duration_seconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  gatehouse_approval_wait_seconds: [60, 300, 900, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400],
  gatehouse_revocation_retry_age_seconds: [60, 300, 900, 1800, 3600, 4 * 3600, 86400],
};

const SDK_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN' };
const PINO_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK runtime's options: its log lines (its own, and workflows' and activities' `log`) through the
 * worker's pino logger, and the Prometheus exporter when WORKER_METRICS_ADDRESS is set.
 */
export function runtimeOptions(metricsAddress: string | null, logger: PinoLogger): RuntimeOptions {
  // The SDK builds no line pino would drop.
  const sdkLogger = new DefaultLogger(SDK_LEVELS[logger.level] ?? 'ERROR', ({ level, message, meta }) =>
    logger[PINO_LEVELS[level]](meta ?? {}, message),
  );
  return {
    logger: sdkLogger,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(metricsAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                useSecondsForDurations: true,
                histogramBucketOverrides: HISTOGRAM_BUCKETS,
              },
            },
          }
        : {}),
    },
  };
}

/** pino `mixin`: the active span's ids on every line logged while one is active. */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active())?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

const TICKET_ID = createContextKey(TICKET_ID_ATTRIBUTE);

/** Copies the ticket id an activity runs for (see `ticketScope`) onto every span started under it. */
class TicketSpanProcessor implements SpanProcessor {
  onStart(span: Span, parent: Context): void {
    const ticketId = parent.getValue(TICKET_ID);
    if (typeof ticketId === 'string') span.setAttribute(TICKET_ID_ATTRIBUTE, ticketId);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Where the worker's spans go: `processor` takes the spans workflows send out of the sandbox. */
export interface WorkerTracing {
  processor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

/**
 * Installs the process's tracer provider: `processor` exports its spans (a batch to the OTLP endpoint in
 * production; tests pass their own). Outgoing HTTP is traced: fetch (undici) and `node:http`, which
 * connectors and webhooks use.
 */
export function installTracing(serviceName: string, processor: SpanProcessor): WorkerTracing {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName }).merge(
    detectResourcesSync({ detectors: [envDetectorSync] }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new TicketSpanProcessor(), processor] });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new UndiciInstrumentation(),
      // Incoming requests are the health probe's: not worth a trace each.
      new HttpInstrumentation({ ignoreIncomingRequestHook: () => true }),
    ],
  });
  // The HTTP instrumentation patches `node:http` when it is next required; the outbound guard required it already.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:https');
  return {
    processor,
    resource,
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}

/** Tracing as OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT asks: spans batched to that endpoint over OTLP/HTTP. */
export function startWorkerTracing(settings: TracingSettings): WorkerTracing {
  // The exporter reads the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
  return installTracing(settings.serviceName, new BatchSpanProcessor(new OTLPTraceExporter()));
}

/**
 * The ticket an activity works for: its input's `ticketId`, or its workflow's id when that is a ticket
 * workflow (workflow id = ticket id). Set in the OpenTelemetry context, so every span under it carries it.
 */
const ticketScope: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute(input, next) {
      const [first] = input.args as [{ ticketId?: unknown } | undefined];
      const ticketId =
        typeof first?.ticketId === 'string'
          ? first.ticketId
          : ctx.info.workflowType === TICKET_WORKFLOW_TYPE
            ? ctx.info.workflowExecution?.workflowId
            : null;
      return ticketId ? context.with(context.active().setValue(TICKET_ID, ticketId), () => next(input)) : next(input);
    },
  },
});

/**
 * The sink workflow spans leave the sandbox through (every worker registers it, replay workers too: the
 * bundle's interceptors send spans whether tracing is on or not). Each span gets the workflow's id, type
 * and run (the ticket id, for a ticket workflow) and nothing else of the workflow's info: that holds
 * search attributes and results, which name people.
 */
export function workflowSinks(
  tracing: WorkerTracing | null,
): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  if (!tracing) return { exporter: { export: { fn: () => undefined } } };
  const { fn } = makeWorkflowExporter(tracing.processor, tracing.resource).export;
  return {
    exporter: {
      export: {
        fn: (info, spans) => {
          const attributes = {
            workflowId: info.workflowId,
            workflowType: info.workflowType,
            runId: info.runId,
            ...(info.workflowType === TICKET_WORKFLOW_TYPE ? { [TICKET_ID_ATTRIBUTE]: info.workflowId } : {}),
          };
          // makeWorkflowExporter copies its first argument onto each span's attributes.
          return fn(attributes as unknown as WorkflowInfo, spans);
        },
      },
    },
  };
}

/** What each Temporal worker of the process gets: activity interceptors (metrics; traces when on) and sinks. */
export function telemetryWorkerOptions(
  tracing: WorkerTracing | null,
  connectorTypes: ConnectorTypes,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const tracingInterceptors: ActivityInterceptorsFactory[] = tracing
    ? [
        // Outermost, so that the activity's own span already carries the ticket id.
        ticketScope,
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ]
    : [];
  return {
    interceptors: { activity: [...tracingInterceptors, activityMetrics(connectorTypes)] },
    sinks: workflowSinks(tracing),
  };
}
