/**
 * Separate task queues (docs/architecture.md, "Task queues"): ticket workflows and access changes, the
 * notifications and webhooks, and the drift reports each have a task queue and worker slots of their own.
 * A flood of webhook deliveries to an endpoint that never answers holds every notification slot, and
 * approvals still become active as promptly as without it; and the groups can be served by separate workers.
 */
import { loadNotifierSettings } from '@gatehouse/notifiers';
import { driftScheduleId, taskQueueNames, TICKET_WORKFLOW_TYPE } from '@gatehouse/workflows';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver';
import { eventually, openTestClient, startTestWorker, type RunningWorker } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

/**
 * Both queues get the same few activity slots, so a handful of hanging deliveries fills the notification
 * queue: were deliveries run on the ticket queue, they would hold every slot a grant needs.
 */
const SLOTS = 4;
/** One attempt each, waiting far longer than the test runs: a delivery's slot stays taken. */
const HANGING_WEBHOOKS = { WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_TIMEOUT_MS: '600000' };

let temporal: Awaited<ReturnType<typeof openTestClient>>;
beforeAll(async () => {
  temporal = await openTestClient();
});
afterAll(async () => {
  await temporal?.connection.close();
});

/** Alice asks for a day of an app of its own (one pending ticket per person and entitlement). */
async function raise(stack: TestStack): Promise<string> {
  const appId = await createApp(stack);
  const created = await stack.as(users.alice).post('/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: inHours(24) },
    reason: 'On-call rotation',
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** Carol approves; resolves with the milliseconds from the approve request until the access is active. */
async function approveUntilActive(stack: TestStack, ticketId: string): Promise<number> {
  const started = Date.now();
  expect((await stack.as(users.carol).post(`/tickets/${ticketId}/approve`, {})).status).toBe(200);
  await eventually(
    async () => (await stack.as(users.alice).get(`/tickets/${ticketId}`)).body?.access?.state === 'active',
    30_000,
    `access of ${ticketId} active`,
  );
  return Date.now() - started;
}

async function webhookTo(stack: TestStack, url: string): Promise<string> {
  const res = await stack.as(users.root).post('/webhooks', { url, events: ['*'], description: 'queues test' });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function deliveries(stack: TestStack, webhookId: string, status: string): Promise<any[]> {
  return (await stack.as(users.root).get(`/webhooks/${webhookId}/deliveries?status=${status}&limit=200`)).body.items;
}

describe('a webhook flood that holds every notification slot', () => {
  let stack: TestStack;
  let hanging: WebhookReceiver;

  beforeAll(async () => {
    const settings = loadNotifierSettings(HANGING_WEBHOOKS);
    stack = await startTestStack({
      worker: {
        notifier: settings,
        queueSettings: {
          tickets: { maxConcurrentActivities: SLOTS },
          notifications: { maxConcurrentActivities: SLOTS },
        },
      },
      env: { ...HANGING_WEBHOOKS, RATE_LIMIT_PER_MINUTE: '1000000' },
    });
    hanging = await startWebhookReceiver(() => 'hang');
  });
  afterAll(async () => {
    await stack?.stop();
    await hanging?.close();
  });

  test('does not delay grants: approvals become active as promptly as without it', async () => {
    const queues = taskQueueNames(stack.worker.taskQueue);

    // Unflooded: three approvals at once, no endpoint registered.
    const calm = await Promise.all([1, 2, 3].map(() => raise(stack)));
    const calmMs = await Promise.all(calm.map((id) => approveUntilActive(stack, id)));

    // The flood: every event of every ticket goes to an endpoint that never answers. Eight tickets raised
    // make eight deliveries at least, twice the notification slots.
    const webhookId = await webhookTo(stack, hanging.url);
    const flooded = await Promise.all([1, 2, 3].map(() => raise(stack)));
    await Promise.all([1, 2, 3, 4, 5].map(() => raise(stack)));
    await eventually(async () => hanging.received.length >= SLOTS, 30_000, `${SLOTS} deliveries hanging`);
    await eventually(
      async () => (await deliveries(stack, webhookId, 'pending')).length >= 2 * SLOTS,
      30_000,
      'a backlog of deliveries',
    );

    const floodedMs = await Promise.all(flooded.map((id) => approveUntilActive(stack, id)));

    // The flood held every notification slot all along: exactly SLOTS requests arrived (none answered, so no
    // slot came free), while more deliveries than that wait, and no ticket's approval waited for them.
    expect(hanging.received).toHaveLength(SLOTS);
    expect(hanging.received.every((r) => r.answer === 'hang')).toBe(true);
    const pending = await deliveries(stack, webhookId, 'pending');
    expect(pending.length).toBeGreaterThan(SLOTS);
    expect(pending.some((d) => flooded.includes(d.ticketId))).toBe(true);
    const bound = Math.max(5_000, 3 * Math.max(...calmMs));
    expect({ calmMs, floodedMs, bound, late: floodedMs.filter((ms) => ms > bound) }).toMatchObject({ late: [] });

    // The deliveries run on the notifications queue; the tickets on the base queue, as before there were groups.
    const delivery = await temporal.client.workflow.getHandle(`webhook:${pending[0].id}`).describe();
    expect(delivery.taskQueue).toBe(queues.notifications);
    const ticket = await temporal.client.workflow.getHandle(flooded[0]).describe();
    expect([ticket.type, ticket.taskQueue]).toEqual([TICKET_WORKFLOW_TYPE, queues.tickets]);
  }, 120_000);
});

describe('queues served by separate workers (WORKER_QUEUES)', () => {
  let stack: TestStack;
  let others: RunningWorker;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // As two processes would: one worker serves tickets only, the other notifications and maintenance.
    stack = await startTestStack({ worker: { queues: ['tickets'] } });
    others = await startTestWorker(stack.store, {
      taskQueue: stack.worker.taskQueue,
      queues: ['notifications', 'maintenance'],
    });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await others?.stop();
    await stack?.stop();
    await receiver?.close();
  });

  test('each worker polls its own queues, and every group of work is done', async () => {
    const queues = taskQueueNames(stack.worker.taskQueue);
    expect([...stack.worker.worker.workers.keys()]).toEqual([queues.tickets]);
    expect([...others.worker.workers.keys()]).toEqual([queues.notifications, queues.maintenance]);
    expect(others.worker.getState()).toBe('RUNNING');

    // Tickets and webhooks: the ticket is granted by one worker, its events delivered by the other.
    const webhookId = await webhookTo(stack, receiver.url);
    const ticketId = await raise(stack);
    await approveUntilActive(stack, ticketId);
    const delivered = await eventually(
      async () => {
        const mine = (await deliveries(stack, webhookId, 'delivered')).filter((d) => d.ticketId === ticketId);
        return mine.length >= 2 && mine;
      },
      30_000,
      `deliveries of ${ticketId}`,
    );
    const delivery = await temporal.client.workflow.getHandle(`webhook:${delivered[0].id}`).describe();
    expect(delivery.taskQueue).toBe(queues.notifications);

    // Maintenance: the connection check runs on the maintenance queue, and the app's drift schedule starts
    // its reports there.
    const appId = await createApp(stack);
    const check = await stack.as(users.root).post(`/apps/${appId}/connector/check`);
    expect([check.status, check.body.ok]).toEqual([200, true]);
    const schedule = await temporal.client.schedule.getHandle(driftScheduleId(appId)).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', taskQueue: queues.maintenance });
  });
});
