import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isErrorCode, type ErrorCode } from '@gatehouse/domain';
import { isStoreUnavailableError } from '@gatehouse/store';
import { GatehouseError } from './errors';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
};

/** gRPC status codes that mean "Temporal cannot be reached", not "the request was wrong". */
const TEMPORAL_UNAVAILABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/**
 * Sent with every 503: the outages it reports (a restarting server, a worker coming back) last seconds
 * to minutes, and a retried decision with the same Idempotency-Key is answered with the first one's outcome.
 */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

function isTemporalUnavailable(err: unknown): boolean {
  // An Update that got no answer before its deadline (server down or hung, no worker taking it): it may
  // still be decided later, which a retry with the same Idempotency-Key (the Update id) finds out.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  if (err instanceof ServiceError) {
    const code = (err.cause as { code?: number } | undefined)?.code;
    return code === undefined || TEMPORAL_UNAVAILABLE.has(code);
  }
  return (
    typeof err === 'object' &&
    err !== null &&
    TEMPORAL_UNAVAILABLE.has((err as { code?: number }).code ?? -1) &&
    'details' in err
  );
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  flags?: unknown[];
}

/** Turns anything thrown into the error body of the contract, in one place. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof GatehouseError) {
    return { statusCode: err.status, code: err.code, message: err.message, ...(err.flags ? { flags: err.flags } : {}) };
  }
  if (
    err instanceof WorkflowUpdateFailedError &&
    err.cause instanceof ApplicationFailure &&
    isErrorCode(err.cause.type)
  ) {
    const code = err.cause.type;
    const flags =
      code === 'POLICY_VIOLATION' && Array.isArray(err.cause.details?.[0])
        ? (err.cause.details[0] as unknown[])
        : undefined;
    return toErrorBody(new GatehouseError(code, err.cause.message, flags as never));
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse() as { message?: string | string[] } | string;
    const raw = typeof response === 'string' ? response : (response.message ?? err.message);
    const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
    return { statusCode: status, code: STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message };
  }
  // body-parser errors (malformed JSON, body too large) carry a status and a type.
  const bodyError = err as { status?: number; type?: string; message?: string };
  if (
    typeof bodyError?.status === 'number' &&
    typeof bodyError.type === 'string' &&
    bodyError.type.startsWith('entity.')
  ) {
    const status = bodyError.status;
    const message =
      bodyError.type === 'entity.parse.failed'
        ? 'The body is not valid JSON.'
        : bodyError.type === 'entity.too.large'
          ? 'The body is too large.'
          : 'The body could not be read.';
    return { statusCode: status, code: STATUS_CODES[status] ?? 'VALIDATION_FAILED', message };
  }
  if (isStoreUnavailableError(err)) {
    return {
      statusCode: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'MongoDB cannot be reached right now; try again shortly.',
    };
  }
  if (isTemporalUnavailable(err)) {
    return {
      statusCode: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'Temporal cannot be reached right now; try again shortly.',
    };
  }
  if (err instanceof WorkflowNotFoundError) {
    return {
      statusCode: 409,
      code: 'TICKET_NOT_PENDING',
      message: 'The ticket’s workflow has finished; it takes no more decisions.',
    };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Internal error' };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const body = toErrorBody(err);
    if (body.statusCode >= 500) {
      // Never the request body or headers: they may carry tokens.
      this.logger.error(
        `${req.method} ${req.path} → ${body.statusCode} ${body.code}: ${err instanceof Error ? err.stack : String(err)}`,
      );
    }
    if (res.headersSent) return;
    if (body.statusCode === 503) res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    res.status(body.statusCode).json(body);
  }
}
