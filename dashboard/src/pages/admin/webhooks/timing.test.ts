import { describe, expect, it } from 'vitest';
import type { WebhookDelivery } from '../../../api/admin-ops';
import { nextAttemptAt } from './timing';

const delivery = (over: Partial<WebhookDelivery>): WebhookDelivery => ({
  id: 'wh_1:TCK-1:1',
  endpointId: 'wh_1',
  eventId: 'TCK-1:1',
  eventType: 'created',
  ticketId: 'TCK-1',
  status: 'pending',
  attempts: 0,
  lastAttemptAt: null,
  lastStatusCode: null,
  lastError: null,
  deliveredAt: null,
  replays: 0,
  createdAt: '2026-11-28T10:00:00.000Z',
  ...over,
});

describe('nextAttemptAt', () => {
  it('is none for a delivered or failed delivery', () => {
    expect(nextAttemptAt(delivery({ status: 'delivered', attempts: 1 }))).toBeNull();
    expect(nextAttemptAt(delivery({ status: 'failed', attempts: 3 }))).toBeNull();
  });

  it('is right away for one not tried yet', () => {
    expect(nextAttemptAt(delivery({}))).toBe('2026-11-28T10:00:00.000Z');
  });

  it('waits 2 s after the first failed attempt, doubling, never more than 30 minutes', () => {
    const at = '2026-11-28T10:00:00.000Z';
    expect(nextAttemptAt(delivery({ attempts: 1, lastAttemptAt: at }))).toBe('2026-11-28T10:00:02.000Z');
    expect(nextAttemptAt(delivery({ attempts: 3, lastAttemptAt: at }))).toBe('2026-11-28T10:00:08.000Z');
    expect(nextAttemptAt(delivery({ attempts: 20, lastAttemptAt: at }))).toBe('2026-11-28T10:30:00.000Z');
  });

  it('counts from the start of the current replay when the history is known', () => {
    const at = '2026-11-28T11:00:00.000Z';
    const history = [
      { replay: 0, attempt: 1, at, statusCode: 500, error: 'HTTP 500', durationMs: 3 },
      { replay: 0, attempt: 2, at, statusCode: 500, error: 'HTTP 500', durationMs: 3 },
      { replay: 1, attempt: 1, at, statusCode: 500, error: 'HTTP 500', durationMs: 3 },
    ];
    expect(nextAttemptAt(delivery({ attempts: 3, lastAttemptAt: at, replays: 1 }), history)).toBe(
      '2026-11-28T11:00:02.000Z',
    );
  });
});
