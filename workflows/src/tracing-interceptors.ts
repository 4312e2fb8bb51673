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
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

export const TRACING_PATCH = 'otel-tracing';
export const TRACED_START_PATCH = 'otel-tracing-when-traced';
/** Where Temporal's OpenTelemetry interceptors carry a trace (their `TRACE_HEADER`). */
const TRACE_HEADER = '_tracer-data';

export const interceptors = (): WorkflowInterceptors => {
  const otelInbound = new OpenTelemetryInboundInterceptor();
  const otelOutbound = new OpenTelemetryOutboundInterceptor();
  // Decided once, as the run starts: before its code runs and before any message reaches a handler.
  let traced = false;
  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => {
      traced = patched(TRACED_START_PATCH) ? input.headers[TRACE_HEADER] !== undefined : patched(TRACING_PATCH);
      return traced ? otelInbound.execute(input, next) : next(input);
    },
    handleSignal: (input, next) => (traced ? otelInbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (traced ? otelInbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (traced ? otelInbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (traced ? otelInbound.handleQuery(input, next) : next(input)),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (traced ? otelOutbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) => (traced ? otelOutbound.scheduleLocalActivity(input, next) : next(input)),
    startChildWorkflowExecution: (input, next) =>
      traced ? otelOutbound.startChildWorkflowExecution(input, next) : next(input),
    signalWorkflow: (input, next) => (traced ? otelOutbound.signalWorkflow(input, next) : next(input)),
    continueAsNew: (input, next) => (traced ? otelOutbound.continueAsNew(input, next) : next(input)),
    getLogAttributes: (input, next) => (traced ? otelOutbound.getLogAttributes(input, next) : next(input)),
  };
  return { inbound: [inbound], outbound: [outbound], internals: [new OpenTelemetryInternalsInterceptor()] };
};
