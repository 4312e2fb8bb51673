// When a pending delivery is tried next. The gateway does not store it: it follows from the delivery
// workflow's retry policy (workflows/src/webhook-delivery-workflow.ts): 2 s after the first failed attempt of
// a run, doubling, at most 30 minutes apart. An estimate: a busy worker may start it later.
import type { WebhookAttempt, WebhookDelivery } from '../../../api/admin-ops';

const FIRST_INTERVAL_MS = 2_000;
const MAX_INTERVAL_MS = 30 * 60_000;

/** ISO time of the next attempt of a pending delivery; null when it is not waiting for one. */
export function nextAttemptAt(delivery: WebhookDelivery, history?: WebhookAttempt[]): string | null {
  if (delivery.status !== 'pending') return null;
  if (!delivery.lastAttemptAt) return delivery.createdAt; // not tried yet: as soon as a worker picks it up
  // Attempts count within the current run (a replay starts again from 1); without the history, all of them.
  const last = history?.[history.length - 1];
  const inRun = last ? last.attempt : delivery.attempts;
  const wait = Math.min(FIRST_INTERVAL_MS * 2 ** Math.max(0, inRun - 1), MAX_INTERVAL_MS);
  return new Date(Date.parse(delivery.lastAttemptAt) + wait).toISOString();
}
