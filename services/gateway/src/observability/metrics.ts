/**
 * The gateway's Prometheus metrics, served at GET /metrics (docs/operations.md, "Metrics and traces"):
 * every request by route template and status, every call to Temporal, and the ticket workflows Temporal's
 * visibility counts as pending or with failed access. Labels name routes and outcomes, never a person or a ticket.
 */
import { Injectable } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The ticket workflows counted at each scrape. */
export interface TicketCounts {
  pending: number;
  failed: number;
}

/** A scrape reads Temporal's counts at most this often; scrapes in between answer the last ones. */
const TICKET_COUNTS_TTL_MS = 10_000;

/**
 * A request's route as Express matched it (`/tickets/:id/approve`); `unmatched` for 404s, static files and
 * requests answered before routing (rate limited).
 */
export function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : 'unmatched';
}

function temporalOutcome(err: unknown): string {
  if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
  // The workflow refused the Update (its validator or handler): an answer, not a failure to reach Temporal.
  if (err instanceof WorkflowUpdateFailedError) return 'refused';
  return 'error';
}

@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  private readonly http = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP requests, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly temporal = new Histogram({
    name: 'gatehouse_temporal_request_duration_seconds',
    help: 'Calls to Temporal: workflow starts and Update round trips, by workflow type or Update name and outcome',
    labelNames: ['operation', 'name', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly tickets = new Gauge({
    name: 'gatehouse_tickets',
    help: 'Running ticket workflows pending a decision (state="pending") or with failed access (state="failed"), as Temporal visibility counts them',
    labelNames: ['state'],
    registers: [this.registry],
  });

  private ticketsReadAt = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Express middleware: times every request, labelled once the router has matched it. */
  observeRequests() {
    return (req: Request, res: Response, next: NextFunction) => {
      const end = this.http.startTimer();
      res.once('close', () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
      next();
    };
  }

  /** Times one call to Temporal; `operation` is `start` or `update`, `name` the workflow type or Update name. */
  async timeTemporal<T>(operation: 'start' | 'update', name: string, call: () => Promise<T>): Promise<T> {
    const end = this.temporal.startTimer({ operation, name });
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: temporalOutcome(err) });
      throw err;
    }
  }

  /**
   * Brings the ticket gauges up to date from `count` (unless read in the last 10 s). When Temporal does
   * not answer, they are left out of the scrape rather than reported stale.
   */
  async refreshTickets(count: () => Promise<TicketCounts>): Promise<void> {
    if (Date.now() - this.ticketsReadAt < TICKET_COUNTS_TTL_MS) return;
    try {
      const counts = await count();
      this.tickets.set({ state: 'pending' }, counts.pending);
      this.tickets.set({ state: 'failed' }, counts.failed);
      this.ticketsReadAt = Date.now();
    } catch {
      this.tickets.reset();
      this.ticketsReadAt = 0;
    }
  }
}
