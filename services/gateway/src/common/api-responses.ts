import { ApiResponse } from '@nestjs/swagger';
import { DEPENDENCY_RETRY_AFTER_SECONDS } from './error.filter';

/** The 503 of an endpoint that needs Temporal: docs/api.md, "When Temporal cannot be reached". */
export const ApiTemporalUnavailable = () =>
  ApiResponse({
    status: 503,
    description:
      'DEPENDENCY_UNAVAILABLE: Temporal cannot be reached, or did not answer before the deadline (no worker took the call). ' +
      'Retry after Retry-After seconds; a decision retried with the same Idempotency-Key is recorded once.',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before retrying',
        schema: { type: 'integer', example: DEPENDENCY_RETRY_AFTER_SECONDS },
      },
    },
  });

/** Every endpoint but /health counts against its caller's per-minute budget: docs/api.md, "Rate limits". */
export const ApiRateLimited = () =>
  ApiResponse({
    status: 429,
    description:
      'RATE_LIMITED: the caller (the verified token subject, or the client address without a valid token) spent its per-minute budget.',
    headers: { 'Retry-After': { description: 'Seconds until the budget starts again', schema: { type: 'integer' } } },
  });
