/**
 * Slack's request signing (docs.slack.dev/authentication/verifying-requests-from-slack): the signature is
 * `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the app's signing secret, in
 * `X-Slack-Signature`, with the timestamp in `X-Slack-Request-Timestamp`. A request older (or newer)
 * than the tolerance is refused, so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';

export type SlackVerification = { ok: true } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? undefined : value;
}

function sign(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

/** Checks a request from Slack. `now` is in seconds since the epoch. */
export function verifySlackRequest(
  signingSecret: string,
  headers: Headers,
  rawBody: Buffer | string,
  { now = Math.floor(Date.now() / 1000), toleranceSeconds = 300 }: { now?: number; toleranceSeconds?: number } = {},
): SlackVerification {
  const timestamp = header(headers, SLACK_TIMESTAMP_HEADER);
  const signature = header(headers, SLACK_SIGNATURE_HEADER);
  if (!timestamp || !signature)
    return { ok: false, reason: 'the X-Slack-Signature and X-Slack-Request-Timestamp headers are required' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Slack-Request-Timestamp is not a Unix time' };
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds)
    return { ok: false, reason: `the request timestamp is more than ${toleranceSeconds} s away from now` };
  const expected = Buffer.from(sign(signingSecret, timestamp, rawBody), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
    return { ok: false, reason: 'the signature does not match' };
  return { ok: true };
}

/** The headers Slack would send with `rawBody` at `timestamp` (seconds): for tests and local tools. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: Buffer | string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const ts = String(timestamp);
  return { [SLACK_TIMESTAMP_HEADER]: ts, [SLACK_SIGNATURE_HEADER]: sign(signingSecret, ts, rawBody) };
}
