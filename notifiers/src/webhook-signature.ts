/**
 * Webhook signatures (docs/api.md, "Webhooks"). Each delivery carries `gatehouse-timestamp` (Unix seconds)
 * and `gatehouse-signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed with the endpoint's whole
 * secret (`whsec_…`, as a UTF-8 string). Signing the timestamp with the body lets a consumer refuse a
 * captured request replayed later. Gatehouse signs; consumers (and the tests) verify with `verifyWebhook`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_HEADERS } from '@gatehouse/domain';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type WebhookVerification = { ok: true; timestamp: number } | { ok: false; reason: string };

/** Headers as fetch (`Headers`) or node:http (`IncomingHttpHeaders`, lower-case keys) give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/**
 * Checks a delivery as a consumer should: the signature over the raw body (before any JSON parsing) with
 * a timing-safe comparison, and a timestamp within `toleranceSeconds` of `now` either way.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string,
  options: { toleranceSeconds?: number; now?: Date } = {},
): WebhookVerification {
  const rawTimestamp = header(headers, WEBHOOK_HEADERS.timestamp);
  const signature = header(headers, WEBHOOK_HEADERS.signature);
  if (!rawTimestamp || !/^\d{1,12}$/.test(rawTimestamp))
    return { ok: false, reason: `missing or malformed ${WEBHOOK_HEADERS.timestamp}` };
  if (!signature) return { ok: false, reason: `missing ${WEBHOOK_HEADERS.signature}` };
  const timestamp = Number(rawTimestamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300))
    return { ok: false, reason: 'timestamp outside the tolerance: a replayed or delayed request' };
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true, timestamp };
}
