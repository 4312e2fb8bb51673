/**
 * The gateway's traces (docs/operations.md, "Metrics and traces"), on when an OTLP endpoint is set: a
 * server span per request, named by its route template, whose context goes with every workflow start and
 * Update (Temporal's OpenTelemetry client interceptor puts it in their headers), so a ticket's trace runs
 * from the HTTP request through its workflow to each activity and connector call on the workers.
 */
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type ProxyTracerProvider,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { NextFunction, Request, Response } from 'express';
import { TICKET_WORKFLOW_TYPE } from '@gatehouse/workflows';
import type { TracingSettings } from '../config';
import { routeOf } from './metrics';

/** The span attribute naming the ticket a span belongs to (the workers set it on theirs too). */
export const TICKET_ID_ATTRIBUTE = 'gatehouse.ticket_id';

const tracer = () => trace.getTracer('gatehouse-gateway');

/** Names the ticket the current request works on, on its span. */
export function markTicket(ticketId: string): void {
  trace.getActiveSpan()?.setAttribute(TICKET_ID_ATTRIBUTE, ticketId);
}

/** pino `mixin`: the active span's ids on every line logged while one is active. */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active())?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/**
 * Installs the process's tracer provider, exporting in batches to the OTLP/HTTP endpoint the standard
 * `OTEL_EXPORTER_OTLP_*` variables name. Outgoing HTTP (Slack, a JWKS) is traced; incoming requests get
 * their spans from `traceRequests`, which knows the route.
 */
export function startGatewayTracing(settings: TracingSettings): void {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = new Resource({ [ATTR_SERVICE_NAME]: settings.serviceName }).merge(
    detectResourcesSync({ detectors: [envDetectorSync] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new UndiciInstrumentation(), new HttpInstrumentation({ ignoreIncomingRequestHook: () => true })],
  });
  // The HTTP instrumentation patches `node:http` when it is next required; the outbound guard required it already.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:https');
}

/** Sends the spans still batched when the gateway shuts down (after the HTTP server drained). */
@Injectable()
export class TracingFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate();
    if (provider instanceof BasicTracerProvider) await provider.forceFlush();
  }
}

/**
 * Express middleware: one server span per request, continuing a caller's `traceparent`, named and
 * labelled once the router has matched the route. Requests on one ticket (`/tickets/:id…`) name it.
 */
export function traceRequests() {
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path } },
      parent,
    );
    res.once('close', () => {
      const route = routeOf(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      const ticketId: unknown = route.startsWith('/tickets/:id') ? req.params?.id : undefined;
      if (typeof ticketId === 'string') span.setAttribute(TICKET_ID_ATTRIBUTE, ticketId);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Runs inside the OpenTelemetry interceptor, so its StartWorkflow / StartWorkflowUpdate span names the ticket. */
const ticketAttribute: WorkflowClientInterceptor = {
  startWithDetails(input, next) {
    if (input.workflowType === TICKET_WORKFLOW_TYPE) markTicket(input.options.workflowId);
    return next(input);
  },
  // The gateway sends Updates to ticket workflows only (workflow id = ticket id).
  startUpdate(input, next) {
    markTicket(input.workflowExecution.workflowId);
    return next(input);
  },
};

/** The Temporal client's interceptors with tracing on: the trace context goes with every start and Update. */
export function tracingClientInterceptors(): WorkflowClientInterceptor[] {
  return [new OpenTelemetryWorkflowClientInterceptor(), ticketAttribute];
}
