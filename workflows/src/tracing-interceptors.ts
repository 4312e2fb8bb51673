/**
 * The workflow side of tracing, bundled with the workflows (the worker's WORKFLOW_INTERCEPTOR_MODULES),
 * never imported by them. Temporal's OpenTelemetry interceptors make a span of each run, Update, signal
 * and activity or child started, and pass the trace on in the headers of what they start.
 *
 * Only for runs that started with them: the interceptors add promise steps between an activity's result
 * and the code awaiting it, which can change the order in which a task's coroutines resume, so a run
 * recorded without them must replay without them.
 * - Runs started since the `otel-tracing-when-traced` patch are traced when their start carried a trace
 *   (the `_tracer-data` header a tracing client, or a traced parent, sends), and only then. Making spans
 *   for every run with tracing off cost each approval about 0.8 s on the dev stack (docs/performance.md).
 * - Runs recorded with the earlier `otel-tracing` patch alone were traced whatever their start carried, and
 *   replay so.
 */
import {
  patched,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { consolidatedPatches } from './consolidation';

export const TRACING_PATCH = 'otel-tracing';
export const TRACED_START_PATCH = 'otel-tracing-when-traced';
/** Where Temporal's OpenTelemetry interceptors carry a trace (their `TRACE_HEADER`). */
const TRACE_HEADER = '_tracer-data';

/**
 * Temporal's OpenTelemetry workflow interceptors, loaded by the first traced run that needs them. Each run
 * has its own copy of every module it loads (the worker's reused V8 context isolates module state per run),
 * so importing them up front made every run, traced or not, carry OpenTelemetry's modules, a tracer
 * provider and its globals: about 0.2 MiB a cached run, which is most of the worker's memory with
 * thousands of open tickets (docs/performance.md, "Open tickets: memory per cached run").
 */
function otel(): typeof OtelWorkflow {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  return require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;
}

export const interceptors = (): WorkflowInterceptors => {
  let otelInbound: OtelWorkflow.OpenTelemetryInboundInterceptor | undefined;
  let otelOutbound: OtelWorkflow.OpenTelemetryOutboundInterceptor | undefined;
  let otelInternals: OtelWorkflow.OpenTelemetryInternalsInterceptor | undefined;
  // Decided once, as the run starts: before its code runs and before any message reaches a handler.
  let traced = false;
  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => {
      // A run that recorded a consolidation (asked here first, so it is the run's first patch marker) traces
      // as TRACED_START_PATCH says, without that patch's own marker (workflows/src/definitions.ts, CONSOLIDATIONS).
      traced =
        consolidatedPatches().size > 0 || patched(TRACED_START_PATCH)
          ? input.headers[TRACE_HEADER] !== undefined
          : patched(TRACING_PATCH);
      if (!traced) return next(input);
      const o = otel();
      otelInbound = new o.OpenTelemetryInboundInterceptor();
      otelOutbound = new o.OpenTelemetryOutboundInterceptor();
      otelInternals = new o.OpenTelemetryInternalsInterceptor();
      return otelInbound.execute(input, next);
    },
    handleSignal: (input, next) => (otelInbound ? otelInbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (otelInbound ? otelInbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (otelInbound ? otelInbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (otelInbound ? otelInbound.handleQuery(input, next) : next(input)),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (otelOutbound ? otelOutbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) =>
      otelOutbound ? otelOutbound.scheduleLocalActivity(input, next) : next(input),
    startChildWorkflowExecution: (input, next) =>
      otelOutbound ? otelOutbound.startChildWorkflowExecution(input, next) : next(input),
    signalWorkflow: (input, next) => (otelOutbound ? otelOutbound.signalWorkflow(input, next) : next(input)),
    continueAsNew: (input, next) => (otelOutbound ? otelOutbound.continueAsNew(input, next) : next(input)),
    getLogAttributes: (input, next) => (otelOutbound ? otelOutbound.getLogAttributes(input, next) : next(input)),
  };
  const internals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => {
      if (otelInternals) void otelInternals.dispose(input, next);
      else next(input);
    },
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
