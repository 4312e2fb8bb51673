/**
 * A ticket id whose workflow id is already taken (ticket numbers reset, or another deployment sharing the
 * Temporal namespace) is skipped: a create never answers with a workflow it did not start.
 */
import { openTestClient } from '../support/harness';
import { createApp, startTestStack, users, type TestStack } from '../support/stack';
import { ticketWorkflowStartOptions } from '@gatehouse/workflows';
import { testApp, workflowInput } from '../support/fixtures';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const body = (appId: string, entitlementId: string) => ({
  appId,
  changes: [{ op: 'add', entitlementId }],
  duration: { type: 'indefinite' },
  reason: 'ids',
});

test('a create whose next id belongs to a foreign workflow takes the one after, and never returns that workflow', async () => {
  const appId = await createApp(stack, { policy: { allowIndefinite: true } });
  const first = (await stack.as(users.alice).post('/tickets', body(appId, 'engineering-team'))).body as any;
  const n = Number(first.id.slice('TCK-'.length));
  // Someone else's workflow holds the next two ids (no worker listens on its queue: it just exists).
  const { client, connection } = await openTestClient();
  try {
    for (const taken of [n + 1, n + 2]) {
      const foreign = workflowInput(testApp(), {
        ticketId: `TCK-${taken}`,
        requester: { id: 'mallory', name: 'Mallory' },
      });
      await client.workflow.start('ticketWorkflow', ticketWorkflowStartOptions(foreign, `nobody-${taken}`));
    }
    const res = await stack.as(users.bob).post('/tickets', body(appId, 'maintainer'), { 'Idempotency-Key': 'ids-1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: `TCK-${n + 3}`, status: 'pending', requester: { id: 'bob' } });
    // The retry with the same key answers with the same ticket.
    const again = await stack.as(users.bob).post('/tickets', body(appId, 'maintainer'), { 'Idempotency-Key': 'ids-1' });
    expect(again.body).toMatchObject({ id: `TCK-${n + 3}`, requester: { id: 'bob' } });
    // The skipped ids have no ticket here.
    expect((await stack.as(users.root).get(`/tickets/TCK-${n + 1}`)).status).toBe(404);
    expect((await stack.as(users.root).get(`/tickets/TCK-${n + 2}`)).status).toBe(404);
    // And bob's claim was not lost on the way: a second ticket for the same access is a duplicate.
    expect((await stack.as(users.bob).post('/tickets', body(appId, 'maintainer'))).body).toMatchObject({
      code: 'DUPLICATE_OPEN_TICKET',
    });
    for (const taken of [n + 1, n + 2]) await client.workflow.getHandle(`TCK-${taken}`).terminate('test over');
  } finally {
    await connection.close();
  }
});

test('a request its checks refuse makes no ticket and no workflow, and ticket ids still grow', async () => {
  const appId = await createApp(stack, { policy: { allowIndefinite: false, maxDurationSeconds: 7 * 86_400 } });
  const limited = { type: 'limited', end: new Date(Date.now() + 86_400_000).toISOString() };
  const first = await stack.as(users.alice).post('/tickets', { ...body(appId, 'engineering-team'), duration: limited });
  expect(first.status).toBe(201);
  const n = Number((first.body as any).id.slice('TCK-'.length));
  // Each is refused after its number was taken alongside the checks: a policy flag, an unknown entitlement, an unknown app.
  const refusals = await Promise.all([
    stack.as(users.bob).post('/tickets', body(appId, 'maintainer')),
    stack.as(users.bob).post('/tickets', { ...body(appId, 'no-such-entitlement'), duration: limited }),
    stack.as(users.bob).post('/tickets', { ...body('no-such-app', 'maintainer'), duration: limited }),
  ]);
  expect(refusals.map((r) => (r.body as any).code)).toEqual([
    'POLICY_VIOLATION',
    'ENTITLEMENT_NOT_FOUND',
    'APP_NOT_FOUND',
  ]);
  const next = await stack.as(users.bob).post('/tickets', { ...body(appId, 'maintainer'), duration: limited });
  expect(next.status).toBe(201);
  const m = Number((next.body as any).id.slice('TCK-'.length));
  expect(m).toBeGreaterThan(n);
  const { client, connection } = await openTestClient();
  try {
    for (let k = n + 1; k < m; k++) {
      expect((await stack.as(users.root).get(`/tickets/TCK-${k}`)).status).toBe(404);
      await expect(client.workflow.getHandle(`TCK-${k}`).describe()).rejects.toThrow();
    }
  } finally {
    await connection.close();
  }
});
