/**
 * Relative durations (`{ type: "relative", seconds }`): the access lasts `seconds` from the moment it is
 * granted, however late it is approved. Through the API, on the GitHub connector against its fake.
 */
import { randomUUID } from 'node:crypto';
import type { App } from '@gatehouse/domain';
import type { TokenClaims } from '@gatehouse/tools';
import type { RunningFake } from '../fakes/fake-http';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import { eventually } from '../support/harness';
import { createApp, githubTeamsApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

const TOKEN_ENV = 'GATEHOUSE_E2E_RELATIVE_GITHUB_TOKEN';
const token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;

let stack: TestStack;
let github: RunningFake<GithubFakeState>;

beforeAll(async () => {
  github = await startGithubServer({
    token,
    users: ['octo-rel'],
    orgMembers: ['octo-rel'],
    teams: { platform: [], ops: [] },
  });
  stack = await startTestStack({ worker: { env: { [TOKEN_ENV]: token } } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await github?.close();
});

const root = () => stack.as(users.root);
const carol = () => stack.as(users.carol);
const rel: TokenClaims = { sub: `rel-${randomUUID().slice(0, 6)}`, name: 'Rel', roles: [], groups: [] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A GitHub app with at most one hour of access, whose single step carol approves. */
function putApp(policy: Partial<App['policy']> = {}): Promise<string> {
  return createApp(stack, githubTeamsApp(github.url, TOKEN_ENV, { maxDurationSeconds: 3600, ...policy }));
}

const ask = (appId: string, seconds: number, entitlementId = 'platform', extra: Record<string, unknown> = {}) => ({
  appId,
  changes: [{ op: 'add', entitlementId }],
  duration: { type: 'relative', seconds, ...extra },
});

async function ticket(id: string) {
  return (await root().get(`/tickets/${id}`)).body;
}

const member = (team: string) => github.state.teams.get(team)!.has('octo-rel');

let app: string;
beforeAll(async () => {
  await root().put(`/users/${rel.sub}`, { accounts: { github: 'octo-rel' } });
  app = await putApp();
});

test('approved late, the access still lasts its seconds from activation: the target loses it then, not before', async () => {
  const created = await stack.as(rel).post('/tickets', ask(app, 4));
  expect(created.status).toBe(201);
  expect(created.body.duration).toEqual({ type: 'relative', seconds: 4 });
  expect(created.body.access).toMatchObject({ state: 'pending', start: null, end: null });

  // The tracker's list carries the duration as asked, for "4 seconds from approval".
  const listed = await stack.as(rel).get(`/tickets?appId=${app}`);
  expect(listed.body.items.find((i: { id: string }) => i.id === created.body.id).duration).toEqual({
    type: 'relative',
    seconds: 4,
  });

  // Longer than the access itself: counted from the request, it would be over before it was granted.
  await sleep(5000);
  const approvedAt = Date.now();
  expect((await carol().post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
  await eventually(async () => member('platform'), 10_000, 'member at the target');
  const active = await eventually(async () => {
    const t = await ticket(created.body.id);
    return t.access.state === 'active' ? t : null;
  }, 10_000);
  const start = Date.parse(active.access.start);
  const end = Date.parse(active.access.end);
  expect(start).toBeGreaterThanOrEqual(approvedAt - 1000);
  expect(start).toBe(Date.parse(active.access.grantedAt));
  expect(end - start).toBe(4000);
  // The ticket keeps its duration as asked; the access carries the instants.
  expect(active.duration).toEqual({ type: 'relative', seconds: 4 });

  // Measured at the target: still a member until the end, removed shortly after it.
  while (member('platform')) await sleep(50);
  const removedAt = Date.now();
  expect(removedAt).toBeGreaterThanOrEqual(end - 200);
  expect(removedAt).toBeLessThan(end + 5000);
  await eventually(async () => (await ticket(created.body.id)).access.state === 'expired', 10_000, 'expired');
}, 60_000);

test('an approver may modify the duration to another relative one: it counts from the grant', async () => {
  const created = await stack.as(rel).post('/tickets', ask(app, 1800, 'ops'));
  expect(created.status).toBe(201);
  const tooLong = await carol().post(`/tickets/${created.body.id}/approve`, {
    duration: { type: 'relative', seconds: 7200 },
  });
  expect([tooLong.status, tooLong.body.code]).toEqual([422, 'POLICY_VIOLATION']);
  expect(tooLong.body.flags[0]).toMatchObject({ code: 'MAX_DURATION_EXCEEDED', field: 'duration.seconds' });

  const ok = await carol().post(`/tickets/${created.body.id}/approve`, {
    duration: { type: 'relative', seconds: 3 },
  });
  expect(ok.status).toBe(200);
  const active = await eventually(async () => {
    const t = await ticket(created.body.id);
    return t.access.state === 'active' ? t : null;
  }, 10_000);
  expect(active.duration).toEqual({ type: 'relative', seconds: 3 });
  expect(Date.parse(active.access.end) - Date.parse(active.access.start)).toBe(3000);
  expect(active.log.find((e: { event: string }) => e.event === 'duration_modified').details).toEqual({
    from: { type: 'relative', seconds: 1800 },
    to: { type: 'relative', seconds: 3 },
  });
  await eventually(async () => (await ticket(created.body.id)).access.state === 'expired', 10_000, 'expired');
  expect(member('ops')).toBe(false);
}, 60_000);

test('over the policy maximum: refused as a limited duration would be, and validate says so first', async () => {
  const over = ask(app, 7200);
  const validated = await stack.as(rel).post('/tickets/validate', over);
  expect(validated.status).toBe(200);
  expect(validated.body.ok).toBe(false);
  expect(validated.body.flags).toEqual([
    expect.objectContaining({ code: 'MAX_DURATION_EXCEEDED', field: 'duration.seconds' }),
  ]);
  const refused = await stack.as(rel).post('/tickets', over);
  expect([refused.status, refused.body.code]).toEqual([422, 'POLICY_VIOLATION']);
  expect(refused.body.flags).toEqual(validated.body.flags);

  // The same maximum for a limited duration gives the same code.
  const limited = await stack.as(rel).post('/tickets/validate', {
    ...over,
    duration: { type: 'limited', end: inHours(2) },
  });
  expect(limited.body.flags.map((f: { code: string }) => f.code)).toEqual(['MAX_DURATION_EXCEEDED']);

  const within = await stack.as(rel).post('/tickets/validate', ask(app, 3600));
  expect(within.body).toMatchObject({ ok: true, flags: [] });
}, 30_000);

test('malformed: seconds must be a positive integer, and a relative duration takes no start or end', async () => {
  for (const bad of [
    ask(app, 0),
    ask(app, -5),
    ask(app, 1.5),
    { ...ask(app, 60), duration: { type: 'relative' } },
    ask(app, 60, 'platform', { start: inHours(1) }),
    ask(app, 60, 'platform', { end: inHours(1) }),
    { ...ask(app, 60), duration: { type: 'limited', end: inHours(1), seconds: 60 } },
  ]) {
    const res = await stack.as(rel).post('/tickets', bad);
    expect([res.status, res.body.code, JSON.stringify(bad.duration)]).toEqual([
      400,
      'VALIDATION_FAILED',
      JSON.stringify(bad.duration),
    ]);
  }
}, 30_000);

test('relative access is extended like limited access: the extension moves the end the access runs to', async () => {
  const other = await putApp({ maxDurationSeconds: 7200 });
  const created = await stack.as(rel).post('/tickets', ask(other, 1200));
  expect((await carol().post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
  const active = await eventually(async () => {
    const t = await ticket(created.body.id);
    return t.access.state === 'active' ? t : null;
  }, 10_000);
  const end = new Date(Date.parse(active.access.end) + 600_000).toISOString();
  const ext = await stack.as(rel).post(`/tickets/${created.body.id}/extend`, { end });
  expect(ext.status).toBe(201);
  expect(ext.body.duration).toMatchObject({ type: 'limited', end });
  // An approver cannot turn the extension into a length from a grant.
  const relative = await carol().post(`/tickets/${ext.body.id}/approve`, {
    duration: { type: 'relative', seconds: 60 },
  });
  expect(relative.status).toBe(400);
  expect((await carol().post(`/tickets/${ext.body.id}/approve`, {})).status).toBe(200);
  await eventually(async () => (await ticket(created.body.id)).access.end === end, 10_000, 'end moved');
  expect((await ticket(created.body.id)).duration).toEqual({ type: 'relative', seconds: 1200 });
  expect((await root().post(`/tickets/${created.body.id}/revoke`, {})).status).toBe(200);
}, 60_000);
