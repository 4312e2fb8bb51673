/**
 * What `POST /tickets` promises once it answers, now that the claim is taken while the checks run and the
 * audit entry is written alongside the ticket: the 201 body is the ticket `GET /tickets/:id` reads right
 * after, its audit entry is already in the log, and a refused request leaves the access free to ask for.
 */
import { claimKey } from '@gatehouse/store';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const body = (appId: string, entitlementId: string, end = inHours(24)) => ({
  appId,
  changes: [{ op: 'add', entitlementId }],
  duration: { type: 'limited', end },
  reason: 'create path',
});

test('the 201 body is the ticket read right after it, and its audit entry (201, the ticket, pending) is already logged', async () => {
  const appId = await createApp(stack);
  const created = await stack.as(users.alice).post('/tickets', body(appId, 'engineering-team'));
  expect(created.status).toBe(201);
  const id = (created.body as { id: string }).id;
  const [read, audit] = await Promise.all([
    stack.as(users.alice).get(`/tickets/${id}`),
    stack.as(users.root).get(`/audit?target=${id}`),
  ]);
  expect(read.status).toBe(200);
  // The workflow may have persisted its first state in between: compare what that does not change.
  const fixed = ['id', 'type', 'action', 'status', 'requester', 'beneficiary', 'app', 'changes', 'duration', 'reason'];
  const pick = (t: Record<string, unknown>) => Object.fromEntries(fixed.map((k) => [k, t[k]]));
  expect(pick(read.body)).toEqual(pick(created.body));
  expect(pick(created.body)).toMatchObject({
    id,
    status: 'pending',
    requester: { id: 'alice' },
    reason: 'create path',
  });
  expect((audit.body as { items: unknown[] }).items).toEqual([
    expect.objectContaining({
      action: 'ticket.create',
      actor: 'alice',
      target: id,
      status: 201,
      requestId: created.headers.get('x-request-id'),
      details: expect.objectContaining({ appId, reason: 'create path', resultId: id, resultStatus: 'pending' }),
    }),
  ]);
});

test('a refused request gives back the access it claimed: the same access asked for right after is created', async () => {
  const appId = await createApp(stack, { policy: { allowIndefinite: false, maxDurationSeconds: 7 * 86_400 } });
  // Each refusal comes after the request's claim was taken alongside its checks.
  const tooLong = await stack.as(users.bob).post('/tickets', body(appId, 'maintainer', inHours(24 * 30)));
  expect([tooLong.status, (tooLong.body as { code: string }).code]).toEqual([422, 'POLICY_VIOLATION']);
  const forOther = await stack
    .as(users.mallory)
    .post('/tickets', { ...body(appId, 'maintainer'), onBehalfOf: users.bob.sub });
  expect([forOther.status, (forOther.body as { code: string }).code]).toEqual([403, 'FORBIDDEN']);

  const ok = await stack.as(users.bob).post('/tickets', body(appId, 'maintainer'));
  expect(ok.status).toBe(201);
  // The claim of the ticket that was created holds: a second one for the same access is a duplicate.
  const again = await stack.as(users.bob).post('/tickets', body(appId, 'maintainer'));
  expect([again.status, (again.body as { code: string }).code]).toEqual([409, 'DUPLICATE_OPEN_TICKET']);
});

test('two requests for the same access at once: exactly one ticket, the other a duplicate naming it', async () => {
  const appId = await createApp(stack);
  const both = await Promise.all([
    stack.as(users.carol).post('/tickets', body(appId, 'engineering-team')),
    stack.as(users.carol).post('/tickets', body(appId, 'engineering-team')),
  ]);
  const statuses = both.map((r) => r.status).sort();
  expect(statuses).toEqual([201, 409]);
  const winner = both.find((r) => r.status === 201)!.body as { id: string };
  const loser = both.find((r) => r.status === 409)!.body as { code: string; message: string };
  expect(loser.code).toBe('DUPLICATE_OPEN_TICKET');
  expect(loser.message).toContain(winner.id);
});

test('a retry of a request that died after taking its claim, before it recorded its key, is not refused by that claim; another request still is', async () => {
  const appId = await createApp(stack);
  const key = 'died-after-its-claim';
  // What the dead attempt left: its claim (named by its Idempotency-Key), no ticket, no recorded key.
  await stack.store.claims.model.create({
    _id: claimKey('alice', appId, 'engineering-team'),
    ticketId: 'TCK-999999001',
    createdAt: new Date().toISOString(),
    requestKey: `alice:${key}`,
  });
  const other = await stack
    .as(users.alice)
    .post('/tickets', body(appId, 'engineering-team'), { 'idempotency-key': 'another-request' });
  expect([other.status, (other.body as { code: string }).code]).toEqual([409, 'DUPLICATE_OPEN_TICKET']);
  const asked = body(appId, 'engineering-team');
  const retried = await stack.as(users.alice).post('/tickets', asked, { 'idempotency-key': key });
  expect(retried.status).toBe(201);
  const again = await stack.as(users.alice).post('/tickets', asked, { 'idempotency-key': key });
  expect([again.status, (again.body as { id: string }).id]).toEqual([200, (retried.body as { id: string }).id]);
});
