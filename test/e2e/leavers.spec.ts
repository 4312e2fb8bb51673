/**
 * Joiners, movers and leavers through the API, on the GitHub connector against its fake: a leaver's
 * offboarding revokes their access in the target through each ticket's workflow, cancels their open
 * tickets, takes them out of other tickets' pending steps (which escalate when left with nobody), and
 * shows its progress on the user; a re-hire comes back to no access. The directory is the stored users
 * (`PUT /users/:id` with `active` and `manager`); going inactive starts the leaver workflow.
 */
import { randomUUID } from 'node:crypto';
import type { TokenClaims } from '@gatehouse/tools';
import type { RunningFake } from '../fakes/fake-http';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import { removeApproverUpdate } from '@gatehouse/workflows';
import {
  eventually,
  openTestClient,
  startTestWorker,
  uniqueId,
  updateError,
  type RunningWorker,
} from '../support/harness';
import { appBody, startTestStack, users, type TestStack } from '../support/stack';
import { OffboardingService } from '../../services/gateway/src/users/offboarding.service';

const TOKEN_ENV = 'GATEHOUSE_E2E_LEAVERS_GITHUB_TOKEN';
const token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;

let stack: TestStack;
let github: RunningFake<GithubFakeState>;
/** The worker started in place of the stack's own, when a test restarts it. */
let restarted: RunningWorker | undefined;

beforeAll(async () => {
  github = await startGithubServer({
    token,
    users: ['octo-lee', 'octo-kim', 'octo-ray'],
    orgMembers: ['octo-lee', 'octo-kim', 'octo-ray'],
    teams: { platform: [], ops: [] },
  });
  stack = await startTestStack({ worker: { env: { [TOKEN_ENV]: token } } });
}, 60_000);

afterAll(async () => {
  await restarted?.stop();
  await stack?.stop();
  await github?.close();
});

const root = () => stack.as(users.root);

function person(name: string): TokenClaims {
  return { sub: `${name}-${randomUUID().slice(0, 6)}`, name, roles: [], groups: [] };
}

/** Writes the directory's view of a person, as a directory sync does. */
async function directory(id: string, fields: { active?: boolean; manager?: string | null }): Promise<void> {
  const res = await root().put(`/users/${id}`, fields);
  if (res.status !== 200) throw new Error(`PUT /users failed: ${res.status} ${JSON.stringify(res.body)}`);
}

async function putApp(steps: unknown[], connector = true): Promise<string> {
  const id = uniqueId('app-');
  const res = await root().put(
    `/apps/${id}`,
    appBody({
      name: 'GitHub',
      ...(connector
        ? { connector: { type: 'github', config: { org: 'acme', baseUrl: github.url, tokenEnv: TOKEN_ENV } } }
        : {}),
      entitlements: [
        { id: 'platform', kind: 'group', name: 'Platform team' },
        { id: 'ops', kind: 'group', name: 'Ops team' },
      ],
      policy: { requireReason: false, approval: { steps: steps as never } },
    }),
  );
  if (res.status !== 201) throw new Error(`PUT /apps failed: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}

async function raise(who: TokenClaims, appId: string, entitlementId: string): Promise<string> {
  const res = await stack.as(who).post('/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId }],
    duration: { type: 'indefinite' },
  });
  if (res.status !== 201) throw new Error(`POST /tickets failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function ticket(id: string) {
  return (await root().get(`/tickets/${id}`)).body;
}

const events = (t: { log: { event: string }[] }) => t.log.map((e) => e.event);

describe('a leaver', () => {
  const lee = person('lee');
  const kim = person('kim');
  let gh: string; // a GitHub app carol approves
  let github1: string; // lee's active platform access
  let open1: string; // lee's pending ops request
  let shared: string; // kim's ticket, lee or dave may approve
  let onlyLee: string; // kim's ticket only lee may approve, with fallback approvers

  beforeAll(async () => {
    await root().put(`/users/${lee.sub}`, { accounts: { github: 'octo-lee' } });
    await root().put(`/users/${kim.sub}`, { accounts: { github: 'octo-kim' } });
    gh = await putApp([{ name: 'Lead', approvers: ['user:carol'], minApprovals: 1 }]);
    github1 = await raise(lee, gh, 'platform');
    expect((await stack.as(users.carol).post(`/tickets/${github1}/approve`, {})).status).toBe(200);
    await eventually(async () => (await ticket(github1)).access.state === 'active', 20_000, 'granted');
    expect(github.state.teams.get('platform')!.has('octo-lee')).toBe(true);
    open1 = await raise(lee, gh, 'ops');

    const either = await putApp(
      [{ name: 'Peer', approvers: [`user:${lee.sub}`, 'user:dave'], minApprovals: 1 }],
      false,
    );
    shared = await raise(kim, either, 'platform');
    const fallback = await putApp(
      [
        {
          name: 'Peer',
          approvers: [`user:${lee.sub}`],
          minApprovals: 1,
          escalateAfterSeconds: 3600,
          escalateTo: ['group:it-admins', `user:${lee.sub}`],
        },
      ],
      false,
    );
    onlyLee = await raise(kim, fallback, 'ops');
  }, 60_000);

  test('is offboarded through each ticket: access revoked at the target, open tickets cancelled, pending steps left', async () => {
    await directory(lee.sub, { active: false });
    // Started again while it runs (a second deactivation through another path): it joins the same one.
    await stack.gateway.app.get(OffboardingService).start(lee.sub);
    // Progress shows on the user while it runs, and until it is done.
    const seen: unknown[] = [];
    const done = await eventually(
      async () => {
        const user = (await root().get(`/users/${lee.sub}`)).body;
        if (user.offboarding) seen.push(user.offboarding);
        return user.offboarding?.state === 'done' && user;
      },
      60_000,
      'offboarding done',
    );
    expect(done.offboarding).toEqual({ state: 'done', remaining: 0 });
    expect(seen).toContainEqual({ state: 'running', remaining: expect.any(Number) });

    // Revoked in GitHub itself, through the ticket's own workflow, which logged it.
    expect(github.state.teams.get('platform')!.has('octo-lee')).toBe(false);
    const revoked = await ticket(github1);
    expect(revoked.access.state).toBe('revoked');
    expect(revoked.log.at(-1)).toMatchObject({ event: 'revoked', actor: 'system' });
    expect((await root().get(`/grants?userId=${lee.sub}`)).body).toEqual([]);

    const cancelled = await ticket(open1);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.log.at(-1)).toMatchObject({ event: 'cancelled', actor: 'system' });

    // Kim's tickets no longer wait on lee: one is left to dave, the other escalated at once.
    const left = await ticket(shared);
    expect(left.status).toBe('pending');
    expect(left.approval.awaiting).toEqual(['user:dave']);
    expect(left.log.at(-1)).toMatchObject({ event: 'approver_removed', details: { userId: lee.sub, steps: [0] } });
    expect((await stack.as(users.dave).post(`/tickets/${shared}/approve`, {})).body.status).toBe('approved');

    const escalated = await ticket(onlyLee);
    expect(events(escalated)).toEqual(['created', 'approver_removed', 'escalated']);
    // The leaver, also named as a fallback approver, does not come back with the escalation.
    expect(escalated.log[2]).toMatchObject({ actor: 'system', details: { step: 0, to: ['group:it-admins'] } });
    expect(escalated.approval.awaiting).toEqual(['group:it-admins']);
    // Sent again (a retried activity, a second offboarding), the Update changes nothing; once decided, it is refused.
    const { client, connection } = await openTestClient();
    try {
      const again = await client.workflow
        .getHandle(onlyLee)
        .executeUpdate(removeApproverUpdate, { args: [{ userId: lee.sub }] });
      expect(again.log).toHaveLength(escalated.log.length);
      expect((await stack.as(users.dave).post(`/tickets/${onlyLee}/approve`, {})).body.status).toBe('approved');
      const late = client.workflow
        .getHandle(onlyLee)
        .executeUpdate(removeApproverUpdate, { args: [{ userId: 'dave' }] });
      expect(await updateError(late)).toBe('TICKET_NOT_PENDING');
    } finally {
      await connection.close();
    }

    // Nothing new for a leaver: not even an admin raises a ticket for them.
    const forLeaver = { appId: gh, changes: [{ op: 'add', entitlementId: 'ops' }], duration: { type: 'indefinite' } };
    const refused = await root().post('/tickets', { ...forLeaver, onBehalfOf: lee.sub });
    expect([refused.status, refused.body.code]).toEqual([403, 'USER_INACTIVE']);
    expect((await root().post('/tickets/validate', { ...forLeaver, onBehalfOf: lee.sub })).status).toBe(403);
  }, 120_000);

  test('comes back with no access when re-hired', async () => {
    await directory(lee.sub, { active: true });
    // Nothing grants again: no workflow of theirs is left waiting to.
    await new Promise((r) => setTimeout(r, 3000));
    expect(github.state.teams.get('platform')!.has('octo-lee')).toBe(false);
    expect(github.state.teams.get('ops')!.has('octo-lee')).toBe(false);
    expect((await root().get(`/grants?userId=${lee.sub}`)).body).toEqual([]);
    expect((await ticket(github1)).access.state).toBe('revoked');
    expect((await ticket(open1)).access.state).toBe('none');
    // Every ticket of theirs has ended: access again is a new request, decided like any other.
    const mine = (await stack.as(lee).get(`/tickets?requesterId=${lee.sub}`)).body.items as { id: string }[];
    expect(mine.map((t) => t.id).sort()).toEqual([github1, open1].sort());
    for (const { id } of mine) expect(['revoked', 'none']).toContain((await ticket(id)).access.state);
  });
});

describe('an offboarding', () => {
  test('carries on through a failing target and a worker restart, to done', async () => {
    const ray = person('ray');
    await root().put(`/users/${ray.sub}`, { accounts: { github: 'octo-ray' } });
    const gh = await putApp([{ name: 'Lead', approvers: ['user:carol'], minApprovals: 1 }]);
    const id = await raise(ray, gh, 'platform');
    expect((await stack.as(users.carol).post(`/tickets/${id}/approve`, {})).status).toBe(200);
    await eventually(async () => (await ticket(id)).access.state === 'active', 20_000, 'granted');
    github.state.faults.add({ method: 'DELETE', path: '/memberships/octo-ray', status: 500, times: 1000 });

    await directory(ray.sub, { active: false });
    const removal = (r: { method: string; path: string }) => r.method === 'DELETE' && r.path.includes('octo-ray');
    await eventually(
      async () => {
        const { offboarding } = (await root().get(`/users/${ray.sub}`)).body;
        return offboarding?.state === 'running' && offboarding.remaining === 1 && github.state.requests.some(removal);
      },
      30_000,
      'offboarding waiting on the target',
    );
    // The worker goes away while the revoke retries; the target recovers; another worker carries on.
    await stack.worker.stop();
    github.state.faults.clear();
    restarted = await startTestWorker(stack.store, {
      taskQueue: stack.worker.taskQueue,
      env: { [TOKEN_ENV]: token },
    });
    await eventually(
      async () => (await root().get(`/users/${ray.sub}`)).body.offboarding?.state === 'done',
      90_000,
      'offboarding done after the restart',
    );
    expect(github.state.teams.get('platform')!.has('octo-ray')).toBe(false);
    expect((await ticket(id)).log.filter((e: { event: string }) => e.event === 'revoked')).toHaveLength(1);
  }, 150_000);
});

describe('the manager as approver', () => {
  const mia = person('mia');
  const max = person('max');
  const ana = person('ana');

  beforeAll(async () => {
    await directory(ana.sub, { manager: mia.sub });
    await directory(mia.sub, { manager: max.sub });
  });

  test('manager and manager:2 name the beneficiary’s managers, who approve in turn', async () => {
    const appId = await putApp(
      [
        { name: 'Manager', approvers: ['manager'], minApprovals: 1 },
        { name: 'Their manager', approvers: ['manager:2'], minApprovals: 1 },
      ],
      false,
    );
    const id = await raise(ana, appId, 'platform');
    const t = await ticket(id);
    expect(t.approval.steps.map((s: { approvers: string[] }) => s.approvers)).toEqual([
      [`user:${mia.sub}`],
      [`user:${max.sub}`],
    ]);
    expect((await stack.as(max).post(`/tickets/${id}/approve`, {})).body.code).toBe('NOT_AN_APPROVER');
    expect((await stack.as(users.carol).post(`/tickets/${id}/approve`, {})).status).toBe(404);
    expect((await stack.as(mia).post(`/tickets/${id}/approve`, {})).status).toBe(200);
    const approved = await stack.as(max).post(`/tickets/${id}/approve`, {});
    expect(approved.body.status).toBe('approved');
  });

  test('no manager: refused with NO_ELIGIBLE_APPROVER, flagged by validate; escalateTo takes over when set', async () => {
    const loner = person('loner');
    const strict = await putApp([{ name: 'Manager', approvers: ['manager'], minApprovals: 1 }], false);
    const body = {
      appId: strict,
      changes: [{ op: 'add', entitlementId: 'platform' }],
      duration: { type: 'indefinite' },
    };
    const refused = await stack.as(loner).post('/tickets', body);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('NO_ELIGIBLE_APPROVER');
    const validated = await stack.as(loner).post('/tickets/validate', body);
    expect(validated.body).toMatchObject({
      ok: false,
      flags: [expect.objectContaining({ code: 'NO_ELIGIBLE_APPROVER' })],
    });
    expect((await root().get(`/tickets?requesterId=${loner.sub}`)).body.items).toEqual([]);

    const lenient = await putApp(
      [
        {
          name: 'Manager',
          approvers: ['manager'],
          minApprovals: 1,
          escalateAfterSeconds: 86400,
          escalateTo: ['group:it-admins'],
        },
      ],
      false,
    );
    const ok = await stack.as(loner).post('/tickets/validate', { ...body, appId: lenient });
    expect(ok.body).toEqual({ ok: true, flags: [] });
    const id = await raise(loner, lenient, 'platform');
    expect((await ticket(id)).approval.awaiting).toEqual(['group:it-admins']);
    expect((await stack.as(users.dave).post(`/tickets/${id}/approve`, {})).body.status).toBe('approved');
  });

  test('a manager who is the beneficiary or the requester is not eligible', async () => {
    const appId = await putApp([{ name: 'Manager', approvers: ['manager'], minApprovals: 1 }], false);
    const body = { appId, changes: [{ op: 'add', entitlementId: 'ops' }], duration: { type: 'indefinite' } };
    const own = person('own');
    await directory(own.sub, { manager: own.sub });
    expect((await stack.as(own).post('/tickets', body)).body.code).toBe('NO_ELIGIBLE_APPROVER');
    // An admin raising for a report of theirs does not approve it as their manager.
    const report = person('report');
    await directory(report.sub, { manager: users.root.sub });
    const res = await root().post('/tickets', { ...body, onBehalfOf: report.sub });
    expect([res.status, res.body.code]).toEqual([422, 'NO_ELIGIBLE_APPROVER']);
  });

  test('apps take manager rules in approvers and escalateTo, and nothing like them', async () => {
    expect(
      await putApp([
        {
          name: 'M',
          approvers: ['manager', 'manager:2'],
          minApprovals: 1,
          escalateAfterSeconds: 60,
          escalateTo: ['manager:2'],
        },
      ]),
    ).toBeTruthy();
    for (const bad of ['manager:3', 'managers', 'manager:'])
      expect(
        (
          await root().put(`/apps/${uniqueId('app-')}`, {
            ...appBody(),
            policy: { approval: { steps: [{ name: 'M', approvers: [bad], minApprovals: 1 }] } },
          })
        ).status,
      ).toBe(400);
  });
});
