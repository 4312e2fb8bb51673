import { createHmac } from 'node:crypto';
import { signSlackRequest, verifySlackRequest } from './slack-signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const NOW = 1_700_000_000;

describe('verifySlackRequest', () => {
  test('accepts what Slack signs: v0= + hex HMAC-SHA256 of "v0:<timestamp>:<raw body>"', () => {
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${NOW}:${BODY}`).digest('hex')}`;
    const headers = signSlackRequest(SECRET, BODY, NOW);
    expect(headers).toEqual({ 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': expected });
    expect(verifySlackRequest(SECRET, headers, BODY, { now: NOW })).toEqual({ ok: true });
    expect(verifySlackRequest(SECRET, headers, Buffer.from(BODY), { now: NOW + 299 })).toEqual({ ok: true });
  });

  test('header names are case-insensitive', () => {
    const signed = signSlackRequest(SECRET, BODY, NOW);
    const headers = {
      'X-Slack-Request-Timestamp': signed['x-slack-request-timestamp'],
      'X-Slack-Signature': signed['x-slack-signature'],
    };
    expect(verifySlackRequest(SECRET, headers, BODY, { now: NOW }).ok).toBe(true);
  });

  test('refuses another secret, another body, a changed timestamp', () => {
    const headers = signSlackRequest(SECRET, BODY, NOW);
    expect(verifySlackRequest('another-secret', headers, BODY, { now: NOW })).toEqual({
      ok: false,
      reason: 'the signature does not match',
    });
    expect(verifySlackRequest(SECRET, headers, `${BODY}x`, { now: NOW }).ok).toBe(false);
    expect(
      verifySlackRequest(SECRET, { ...headers, 'x-slack-request-timestamp': String(NOW + 1) }, BODY, { now: NOW }).ok,
    ).toBe(false);
    expect(verifySlackRequest(SECRET, { ...headers, 'x-slack-signature': 'v0=abc' }, BODY, { now: NOW }).ok).toBe(
      false,
    );
  });

  test('refuses a stale (or future) timestamp even with a valid signature: no replays', () => {
    const old = signSlackRequest(SECRET, BODY, NOW - 301);
    expect(verifySlackRequest(SECRET, old, BODY, { now: NOW })).toEqual({
      ok: false,
      reason: 'the request timestamp is more than 300 s away from now',
    });
    const future = signSlackRequest(SECRET, BODY, NOW + 301);
    expect(verifySlackRequest(SECRET, future, BODY, { now: NOW }).ok).toBe(false);
    expect(
      verifySlackRequest(SECRET, signSlackRequest(SECRET, BODY, NOW - 50), BODY, { now: NOW, toleranceSeconds: 30 }).ok,
    ).toBe(false);
  });

  test('refuses missing or malformed headers', () => {
    expect(verifySlackRequest(SECRET, {}, BODY, { now: NOW }).ok).toBe(false);
    const headers = signSlackRequest(SECRET, BODY, NOW);
    expect(
      verifySlackRequest(SECRET, { 'x-slack-signature': headers['x-slack-signature'] }, BODY, { now: NOW }).ok,
    ).toBe(false);
    expect(verifySlackRequest(SECRET, { ...headers, 'x-slack-request-timestamp': '17e8' }, BODY, { now: NOW })).toEqual(
      { ok: false, reason: 'X-Slack-Request-Timestamp is not a Unix time' },
    );
    expect(
      verifySlackRequest(SECRET, { ...headers, 'x-slack-signature': [headers['x-slack-signature']] }, BODY, {
        now: NOW,
      }).ok,
    ).toBe(false);
  });
});
