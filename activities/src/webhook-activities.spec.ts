/**
 * Webhook deliveries in production refuse loopback, private and cloud-metadata destinations: the
 * `deliverWebhook` activity runs in Temporal's mock activity context against FerretDB and a receiver on
 * 127.0.0.1, with the settings a production worker reads from its environment.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { ticketEventId, type TicketEvent } from '@gatehouse/domain';
import { loadNotifierSettings } from '@gatehouse/notifiers';
import type { Store } from '@gatehouse/store';
import { openTestStore, uniqueId } from '../../test/support/harness';
import { sampleTicketSnapshot } from '../../test/support/events';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { createWebhookActivities } from './webhook-activities';

let store: Store;
let receiver: WebhookReceiver;
beforeAll(async () => {
  store = await openTestStore();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await store?.close();
});

/** One stored event and its pending delivery to a new endpoint at `url`. */
async function deliveryTo(url: string): Promise<{ deliveryId: string; endpointId: string }> {
  const { endpoint } = await store.webhooks.create({
    url,
    events: ['*'],
    description: null,
    enabled: true,
    createdBy: 'root',
  });
  const ticketId = `TCK-${uniqueId('')}`;
  const event: TicketEvent = {
    id: ticketEventId(ticketId, 0),
    sequence: 0,
    type: 'created',
    ticketId,
    at: new Date().toISOString(),
    actor: 'alice',
    comment: null,
    details: {},
    ticket: sampleTicketSnapshot({ id: ticketId }),
  };
  await store.ticketEvents.add([event]);
  const { delivery } = await store.webhookDeliveries.createIfAbsent(endpoint.id, event);
  return { deliveryId: delivery.id, endpointId: endpoint.id };
}

async function deliver(env: NodeJS.ProcessEnv, url: string) {
  const { deliverWebhook } = createWebhookActivities({
    store,
    settings: loadNotifierSettings({ WEBHOOK_TIMEOUT_MS: '2000', ...env }),
  });
  const { deliveryId } = await deliveryTo(url);
  const outcome = await new MockActivityEnvironment().run(deliverWebhook, { deliveryId, attempt: 1 }).then(
    (result) => ({ result, failure: null }),
    (failure: ApplicationFailure) => ({ result: null, failure }),
  );
  return { ...outcome, attempts: await store.webhookDeliveries.attempts(deliveryId) };
}

const PRODUCTION = { NODE_ENV: 'production' };
const path = (p: string) => receiver.url.replace(/\/[^/]*$/, '') + p;

test('in production a webhook to a loopback address fails for good, and nothing reaches the receiver', async () => {
  const before = receiver.received.length;
  const { failure, attempts } = await deliver(PRODUCTION, path('/loopback'));
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure?.nonRetryable).toBe(true);
  expect(attempts).toEqual([
    expect.objectContaining({ statusCode: null, error: expect.stringMatching(/refused: 127\.0\.0\.1 is loopback/) }),
  ]);
  expect(receiver.received.length).toBe(before);
});

test('in production a host name that resolves to loopback is refused the same way', async () => {
  const before = receiver.received.length;
  const { failure, attempts } = await deliver(PRODUCTION, path('/by-name').replace('127.0.0.1', 'localhost'));
  expect(failure?.nonRetryable).toBe(true);
  expect(attempts[0].error).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
  expect(receiver.received.length).toBe(before);
});

test('in production the cloud metadata address is refused without a connection', async () => {
  const { failure, attempts } = await deliver(
    PRODUCTION,
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  );
  expect(failure?.nonRetryable).toBe(true);
  expect(attempts[0].error).toMatch(/169\.254\.169\.254 is link-local/);
});

test('an allowlisted loopback address is delivered to in production', async () => {
  const before = receiver.received.length;
  const { result, failure } = await deliver({ ...PRODUCTION, OUTBOUND_ALLOWLIST: '127.0.0.1' }, path('/allowed'));
  expect(failure).toBeNull();
  expect(result).toEqual({ statusCode: 200 });
  expect(receiver.received.length).toBe(before + 1);
});

test('outside production loopback stays reachable (npm run dev, tests)', async () => {
  const { result } = await deliver({}, path('/dev'));
  expect(result).toEqual({ statusCode: 200 });
});
