/** When a target that throttled us says we may call again, as a delay for Temporal's next attempt. */

/** A delay never shorter than this: a target that says "retry now" is still busy. */
const MIN_DELAY_MS = 1_000;

/** `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.max(Number(value) * 1000, MIN_DELAY_MS);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(at - now, MIN_DELAY_MS);
}

/** A reset time in epoch seconds (GitHub's `x-ratelimit-reset`). */
export function untilEpochSecondsMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header || !/^\d+$/.test(header.trim())) return undefined;
  return Math.max(Number(header.trim()) * 1000 - now, MIN_DELAY_MS);
}
