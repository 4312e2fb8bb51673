/**
 * Access lifetime as people use it, through the API on the GitHub connector against its fake: the
 * beneficiary ends their own access early (relinquish), removing it at the target; asking again for
 * access already held points at the ticket to extend.
 */
import { randomUUID } from 'node:crypto';
import type { App } from '@gatehouse/domain';
import type { TokenClaims } from '@gatehouse/tools';
import type { RunningFake } from '../fakes/fake-http';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import { eventually } from '../support/harness';
import { createApp, githubTeamsApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

const TOKEN_ENV = 'GATEHOUSE_E2E_LIFETIME_GITHUB_TOKEN';
const token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;

let stack: TestStack;
let github: RunningFake<GithubFakeState>;

beforeAll(async () => {
  github = await startGithubServer({
    token,
    users: ['octo-ann', 'octo-ben', 'octo-cat'],
    orgMembers: ['octo-ann', 'octo-ben', 'octo-cat'],
    teams: { platform: [], ops: [] },
  });
  stack = await startTestStack({ worker: { env: { [TOKEN_ENV]: token } } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await github?.close();
});

const root = () => stack.as(users.root);

function person(name: string): TokenClaims {
  return { sub: `${name}-${randomUUID().slice(0, 6)}`, name, roles: [], groups: [] };
}

/** A GitHub app whose single step carol approves, unless `policy` says otherwise. */
function putApp(policy: Partial<App['policy']> = {}): Promise<string> {
  return createApp(stack, githubTeamsApp(github.url, TOKEN_ENV, policy));
}

async function ticket(id: string) {
  return (await root().get(`/tickets/${id}`)).body;
}

/** Raises a ticket for `who` (limited to `hours`), has carol approve it and waits until it is active. */
async function activeAccess(who: TokenClaims, appId: string, entitlementId: string, hours = 4): Promise<string> {
  const res = await stack.as(who).post('/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId }],
    duration: { type: 'limited', end: inHours(hours) },
  });
  if (res.status !== 201) throw new Error(`POST /tickets failed: ${res.status} ${JSON.stringify(res.body)}`);
  expect((await stack.as(users.carol).post(`/tickets/${res.body.id}/approve`, {})).status).toBe(200);
  await eventually(async () => (await ticket(res.body.id)).access.state === 'active', 20_000, 'granted');
  return res.body.id;
}

const events = (t: { log: { event: string; actor: string }[] }) => t.log.map((e) => e.event);

describe('relinquish', () => {
  const ann = person('ann');
  let app: string;

  beforeAll(async () => {
    await root().put(`/users/${ann.sub}`, { accounts: { github: 'octo-ann' } });
    app = await putApp();
  });

  test('the beneficiary ends their own access: removed at the target, logged as relinquished by them', async () => {
    const id = await activeAccess(ann, app, 'platform');
    expect(github.state.teams.get('platform')!.has('octo-ann')).toBe(true);

    const res = await stack.as(ann).post(`/tickets/${id}/relinquish`, { comment: 'done with the migration' });
    expect(res.status).toBe(200);
    expect(res.body.access.state).toBe('revoked');
    expect(github.state.teams.get('platform')!.has('octo-ann')).toBe(false);

    const after = await ticket(id);
    const entry = after.log.find((e: { event: string }) => e.event === 'relinquished');
    expect(entry).toMatchObject({ actor: ann.sub, comment: 'done with the migration' });
    expect(events(after)).not.toContain('revoked');
    const grants = await root().get(`/grants?userId=${ann.sub}&appId=${app}`);
    expect(grants.body).toEqual([]);

    // Nothing left to end.
    const again = await stack.as(ann).post(`/tickets/${id}/relinquish`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ACCESS_NOT_ACTIVE');
  }, 60_000);

  test('others cannot: an approver or admin gets 403, someone who cannot see the ticket 404', async () => {
    const id = await activeAccess(ann, app, 'ops');
    for (const who of [users.carol, users.root]) {
      const res = await stack.as(who).post(`/tickets/${id}/relinquish`, {});
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    expect((await stack.as(users.mallory).post(`/tickets/${id}/relinquish`, {})).status).toBe(404);
    expect((await ticket(id)).access.state).toBe('active');
    expect(github.state.teams.get('ops')!.has('octo-ann')).toBe(true);
  }, 60_000);

  test('a pending ticket has no access to end: 409 ACCESS_NOT_ACTIVE, and the ticket still waits', async () => {
    const res = await stack.as(ann).post('/tickets', {
      appId: app,
      changes: [{ op: 'add', entitlementId: 'platform' }],
      duration: { type: 'limited', end: inHours(2) },
    });
    expect(res.status).toBe(201);
    const refused = await stack.as(ann).post(`/tickets/${res.body.id}/relinquish`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ACCESS_NOT_ACTIVE');
    expect((await ticket(res.body.id)).status).toBe('pending');
  }, 30_000);
});

describe('asking for access already held', () => {
  const ben = person('ben');
  let app: string;

  beforeAll(async () => {
    await root().put(`/users/${ben.sub}`, { accounts: { github: 'octo-ben' } });
    app = await putApp({ allowIndefinite: true });
  });

  const ask = (entitlementId: string) => ({
    appId: app,
    changes: [{ op: 'add', entitlementId }],
    duration: { type: 'limited', end: inHours(8) },
  });

  test('limited access: still 422 ALREADY_HAS_ACCESS, the flag names the owning ticket and suggests extend', async () => {
    const owner = await activeAccess(ben, app, 'platform');
    const res = await stack.as(ben).post('/tickets', ask('platform'));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('POLICY_VIOLATION');
    expect(res.body.flags).toEqual([
      expect.objectContaining({ code: 'ALREADY_HAS_ACCESS', ticketId: owner, suggest: 'extend' }),
    ]);
    const validated = await stack.as(ben).post('/tickets/validate', ask('platform'));
    expect(validated.body.ok).toBe(false);
    expect(validated.body.flags).toEqual([
      expect.objectContaining({ code: 'ALREADY_HAS_ACCESS', ticketId: owner, suggest: 'extend' }),
    ]);
  }, 60_000);

  test('indefinite access has no end to move: the flag names the ticket without suggesting extend', async () => {
    const res = await stack.as(ben).post('/tickets', { ...ask('ops'), duration: { type: 'indefinite' } });
    expect(res.status).toBe(201);
    expect((await stack.as(users.carol).post(`/tickets/${res.body.id}/approve`, {})).status).toBe(200);
    await eventually(async () => (await ticket(res.body.id)).access.state === 'active', 20_000, 'granted');
    const again = await stack.as(ben).post('/tickets', ask('ops'));
    expect(again.status).toBe(422);
    expect(again.body.flags).toEqual([expect.objectContaining({ code: 'ALREADY_HAS_ACCESS', ticketId: res.body.id })]);
    expect(again.body.flags[0].suggest).toBeUndefined();
  }, 60_000);
});

describe('extension limits', () => {
  const cat = person('cat');
  let app: string;

  beforeAll(async () => {
    await root().put(`/users/${cat.sub}`, { accounts: { github: 'octo-cat' } });
    app = await putApp({
      maxDurationSeconds: 30 * 86400,
      extensions: { max: 1, maxSecondsEach: 4 * 3600, autoApproveWithinMax: true },
    });
  });

  test('within the limits an extension is approved without steps; beyond max or maxSecondsEach: 422 EXTENSION_LIMIT', async () => {
    const owner = await activeAccess(cat, app, 'platform', 2);
    const currentEnd: string = (await ticket(owner)).access.end;

    const tooLong = await stack.as(cat).post(`/tickets/${owner}/extend`, {
      end: inHours(5, Date.parse(currentEnd)),
      reason: 'more',
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.code).toBe('EXTENSION_LIMIT');
    expect(tooLong.body.flags).toEqual([expect.objectContaining({ code: 'EXTENSION_LIMIT', field: 'end' })]);

    const newEnd = inHours(3, Date.parse(currentEnd));
    const ext = await stack.as(cat).post(`/tickets/${owner}/extend`, { end: newEnd, reason: 'more' });
    expect(ext.status).toBe(201);
    const approved = await eventually(
      async () => {
        const t = await ticket(owner);
        return t.access.end === newEnd ? t : null;
      },
      20_000,
      'extended without an approver',
    );
    expect(events(approved)).toContain('extended');
    const child = await ticket(ext.body.id);
    expect(child.status).toBe('approved');
    expect(events(child)).toContain('auto_approved');
    expect(child.approval.steps).toEqual([]);

    // The one extension the policy allows is used.
    const again = await stack
      .as(cat)
      .post(`/tickets/${owner}/extend`, { end: inHours(1, Date.parse(newEnd)), reason: 'more' });
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('EXTENSION_LIMIT');
    // Asking for it anew is flagged: held, and no extension left.
    const validated = await stack.as(cat).post('/tickets/validate', {
      appId: app,
      changes: [{ op: 'add', entitlementId: 'platform' }],
      duration: { type: 'limited', end: inHours(1) },
    });
    expect(validated.body.ok).toBe(false);
    expect(validated.body.flags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'ALREADY_HAS_ACCESS', ticketId: owner }),
        expect.objectContaining({ code: 'EXTENSION_LIMIT', field: 'changes[0].entitlementId' }),
      ]),
    );
  }, 60_000);

  test('without autoApproveWithinMax an extension within the limits waits for its approvers', async () => {
    const manual = await putApp({ extensions: { max: 3 } });
    const owner = await activeAccess(cat, manual, 'ops', 2);
    const currentEnd: string = (await ticket(owner)).access.end;
    const ext = await stack.as(cat).post(`/tickets/${owner}/extend`, {
      end: inHours(1, Date.parse(currentEnd)),
      reason: 'more',
    });
    expect(ext.status).toBe(201);
    expect(ext.body.status).toBe('pending');
  }, 60_000);
});
