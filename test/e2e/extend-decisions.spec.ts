/**
 * An extension only ever moves the end of limited access. An approver cannot turn an extension into
 * indefinite access (the owner of the access would ignore it and the extension would look approved),
 * nor approve it with an end that does not extend anything: both are refused when asked, and the
 * extension stays pending for a decision that can be applied.
 */
import { eventually } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const alice = () => stack.as(users.alice);
const carol = () => stack.as(users.carol);

async function activeTicket(appId: string, duration: object) {
  const t = (
    await alice().post('/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId: 'engineering-team' }],
      duration,
      reason: 'work',
    })
  ).body;
  expect((await carol().post(`/tickets/${t.id}/approve`, {})).status).toBe(200);
  return eventually(
    async () => {
      const res = await alice().get(`/tickets/${t.id}`);
      return res.body.access?.state === 'active' && res.body;
    },
    20_000,
    `${t.id} active`,
  );
}

test('extending indefinite access is refused at create (409 ACCESS_NOT_ACTIVE): no extend ticket exists', async () => {
  const appId = await createApp(stack);
  const t = await activeTicket(appId, { type: 'indefinite' });
  const res = await alice().post(`/tickets/${t.id}/extend`, { end: inHours(2), reason: 'more' });
  expect([res.status, res.body.code]).toEqual([409, 'ACCESS_NOT_ACTIVE']);
  const extendTickets = (await alice().get(`/tickets?type=extend&appId=${appId}`)).body.items;
  expect(extendTickets).toEqual([]);
  expect((await alice().get(`/tickets/${t.id}`)).body.childTicketIds).toEqual([]);
});

test('approving an extension with an indefinite duration is 422 POLICY_VIOLATION; it stays pending and a plain approval extends', async () => {
  const appId = await createApp(stack);
  const t = await activeTicket(appId, { type: 'limited', end: inHours(1) });
  const ext = await alice().post(`/tickets/${t.id}/extend`, { end: inHours(2), reason: 'more' });
  expect(ext.status).toBe(201);

  const indefinite = await carol().post(`/tickets/${ext.body.id}/approve`, { duration: { type: 'indefinite' } });
  expect([indefinite.status, indefinite.body.code, indefinite.body.flags?.[0]?.code]).toEqual([
    422,
    'POLICY_VIOLATION',
    'INDEFINITE_NOT_ALLOWED',
  ]);
  const stillPending = (await alice().get(`/tickets/${ext.body.id}`)).body;
  expect([stillPending.status, stillPending.access.state]).toEqual(['pending', 'pending']);
  expect(stillPending.log.map((e: { event: string }) => e.event)).not.toContain('approved');

  const earlier = await carol().post(`/tickets/${ext.body.id}/approve`, {
    duration: { type: 'limited', end: inHours(0.5) },
  });
  expect([earlier.status, earlier.body.code]).toEqual([400, 'VALIDATION_FAILED']);

  const approved = await carol().post(`/tickets/${ext.body.id}/approve`, {});
  expect(approved.status).toBe(200);
  const extended = await eventually(
    async () => {
      const parent = (await alice().get(`/tickets/${t.id}`)).body;
      return parent.access.end === ext.body.duration.end && parent;
    },
    15_000,
    `${t.id} extended`,
  );
  expect(extended.log.map((e: { event: string }) => e.event)).toContain('extended');
});
