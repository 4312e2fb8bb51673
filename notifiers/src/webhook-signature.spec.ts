import { createHmac } from 'node:crypto';
import { WEBHOOK_HEADERS } from '@gatehouse/domain';
import { signWebhook, verifyWebhook } from './webhook-signature';

const secret = 'whsec_test-secret';
const body = JSON.stringify({ id: 'TCK-1:1', type: 'created' });
const now = new Date('2026-12-01T09:00:00Z');
const ts = Math.floor(now.getTime() / 1000);

function headersFor(signature: string, timestamp: number | string = ts): Record<string, string> {
  return { [WEBHOOK_HEADERS.timestamp]: String(timestamp), [WEBHOOK_HEADERS.signature]: signature };
}

test('the signature is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the whole secret', () => {
  const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  expect(signWebhook(secret, ts, body)).toBe(`v1=${expected}`);
});

test('a signed delivery verifies, from node:http headers or fetch Headers', () => {
  const headers = headersFor(signWebhook(secret, ts, body));
  expect(verifyWebhook(secret, headers, body, { now })).toEqual({ ok: true, timestamp: ts });
  expect(verifyWebhook(secret, new Headers(headers), body, { now })).toEqual({ ok: true, timestamp: ts });
});

test('a wrong secret, a changed body or a changed timestamp fail', () => {
  const signature = signWebhook(secret, ts, body);
  expect(verifyWebhook('whsec_other', headersFor(signature), body, { now })).toEqual({
    ok: false,
    reason: 'signature mismatch',
  });
  expect(verifyWebhook(secret, headersFor(signature), body.replace('created', 'approved'), { now })).toEqual({
    ok: false,
    reason: 'signature mismatch',
  });
  expect(verifyWebhook(secret, headersFor(signature, ts - 1), body, { now })).toEqual({
    ok: false,
    reason: 'signature mismatch',
  });
  expect(verifyWebhook(secret, headersFor('v1=00'), body, { now })).toEqual({
    ok: false,
    reason: 'signature mismatch',
  });
});

test('a timestamp outside the tolerance fails even with a valid signature (replay)', () => {
  const old = ts - 301;
  expect(verifyWebhook(secret, headersFor(signWebhook(secret, old, body), old), body, { now }).ok).toBe(false);
  expect(
    verifyWebhook(secret, headersFor(signWebhook(secret, old, body), old), body, { now, toleranceSeconds: 600 }).ok,
  ).toBe(true);
  const future = ts + 301;
  expect(verifyWebhook(secret, headersFor(signWebhook(secret, future, body), future), body, { now }).ok).toBe(false);
});

test('missing or malformed headers fail with a reason', () => {
  expect(verifyWebhook(secret, {}, body, { now })).toEqual({
    ok: false,
    reason: `missing or malformed ${WEBHOOK_HEADERS.timestamp}`,
  });
  expect(verifyWebhook(secret, headersFor(signWebhook(secret, ts, body), '12.5'), body, { now }).ok).toBe(false);
  expect(verifyWebhook(secret, { [WEBHOOK_HEADERS.timestamp]: String(ts) }, body, { now })).toEqual({
    ok: false,
    reason: `missing ${WEBHOOK_HEADERS.signature}`,
  });
});
