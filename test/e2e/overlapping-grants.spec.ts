/**
 * Access held by several tickets, end to end through the API, against the demo connector's memberships
 * (the target Gatehouse keeps itself, so the test reads what a person really holds).
 */
import type { TokenClaims } from '@gatehouse/tools';
import { eventually } from '../support/harness';
import { createApp, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const carol = () => stack.as(users.carol);
const root = () => stack.as(users.root);
const secondsFromNow = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const isMember = async (appId: string, userId: string) =>
  (await stack.store.demoMemberships.members(appId, 'engineering-team')).includes(userId);

async function approvedTicket(appId: string, who: TokenClaims, duration: object): Promise<{ id: string }> {
  const created = await stack
    .as(who)
    .post('/tickets', { appId, changes: [{ op: 'add', entitlementId: 'engineering-team' }], duration, reason: 'work' });
  expect(created.status).toBe(201);
  expect((await carol().post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
  return created.body;
}

async function accessOf(ticketId: string, state: string, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const res = await root().get(`/tickets/${ticketId}`);
      return res.body.access?.state === state && res.body;
    },
    timeoutMs,
    `${ticketId} access ${state}`,
  );
}

test('a scheduled ticket that starts later and ends first leaves the access another ticket still gives; the last one’s end removes it', async () => {
  const appId = await createApp(stack);
  const a = await approvedTicket(appId, users.alice, {
    type: 'limited',
    start: secondsFromNow(8),
    end: secondsFromNow(18),
  });
  await accessOf(a.id, 'scheduled');
  const b = await approvedTicket(appId, users.alice, { type: 'limited', end: secondsFromNow(600) });
  const bActive = await accessOf(b.id, 'active');

  await accessOf(a.id, 'active');
  await accessOf(a.id, 'expired');
  expect(await isMember(appId, 'alice')).toBe(true);
  const grants = (await root().get(`/grants?userId=alice&appId=${appId}`)).body;
  expect(grants).toEqual([
    expect.objectContaining({
      entitlementId: 'engineering-team',
      state: 'active',
      ticketId: b.id,
      end: bActive.access.end,
    }),
  ]);
  expect(grants[0].holders).toEqual([expect.objectContaining({ ticketId: b.id })]);

  await root().post(`/tickets/${b.id}/revoke`, { comment: 'done' });
  await accessOf(b.id, 'revoked');
  expect(await isMember(appId, 'alice')).toBe(false);
  expect((await root().get(`/grants?userId=alice&appId=${appId}`)).body).toEqual([]);
});

test('membership the person had before is logged as already held and kept on expiry; an admin’s revoke removes it', async () => {
  const appId = await createApp(stack);
  await stack.store.demoMemberships.add(appId, 'bob', 'engineering-team');

  const first = await approvedTicket(appId, users.bob, { type: 'limited', end: secondsFromNow(6) });
  const active = await accessOf(first.id, 'active');
  expect(active.log).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'already_held' })]));
  await accessOf(first.id, 'expired');
  expect(await isMember(appId, 'bob')).toBe(true);

  const second = await approvedTicket(appId, users.bob, { type: 'limited', end: secondsFromNow(600) });
  await accessOf(second.id, 'active');
  expect((await root().post(`/tickets/${second.id}/revoke`, { comment: 'not needed any more' })).status).toBe(200);
  await accessOf(second.id, 'revoked');
  expect(await isMember(appId, 'bob')).toBe(false);
});
