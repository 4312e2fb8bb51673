import { describe, expect, it } from 'vitest';
// The server's own list: an event type added there and not here could not be chosen in the console.
import notificationsSource from '../../../domain/src/notifications.ts?raw';
import { WEBHOOK_EVENTS } from './admin-ops';

/** The members of `export const TICKET_EVENT_TYPES … = [ 'a', 'b', … ];` in domain/src/notifications.ts. */
function serverEventTypes(): string[] {
  const list = /export const TICKET_EVENT_TYPES[^=]*=\s*\[([\s\S]*?)\];/.exec(notificationsSource)?.[1] ?? '';
  return [...list.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
}

describe('WEBHOOK_EVENTS', () => {
  it('offers exactly the event types the server delivers, in its order', () => {
    expect(serverEventTypes().length).toBeGreaterThan(20);
    expect([...WEBHOOK_EVENTS]).toEqual(serverEventTypes());
  });
});
