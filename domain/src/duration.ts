/** Duration arithmetic. Every function takes `now` explicitly so the workflow can pass its own clock. */
import type { Duration, DurationRequest } from './ticket';

/** How far in the past a start may lie before it is flagged (clients' clocks and slow forms). */
export const START_GRACE_MS = 5 * 60 * 1000;

export function resolveDuration(request: DurationRequest, now: Date): Duration {
  if (request.type === 'indefinite') return { type: 'indefinite' };
  if (request.type === 'relative') return { type: 'relative', seconds: request.seconds };
  return { type: 'limited', start: request.start ?? now.toISOString(), end: request.end };
}

/** Milliseconds from `now` until `iso`, never negative. */
export function msUntil(iso: string, now: number): number {
  return Math.max(0, Date.parse(iso) - now);
}

/** Normalises a timestamp to UTC ISO-8601, as every timestamp the API returns is. */
export function toUtcIso(value: string): string {
  return new Date(Date.parse(value)).toISOString();
}
