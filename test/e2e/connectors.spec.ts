/**
 * Real connectors end to end through the HTTP API: a gateway and a worker on the test servers, each
 * connector pointed at its vendor fake (SCIM at scimmy in a child process), the worker holding the
 * tokens in its environment. Request → approve → the membership is in the target → it expires → gone;
 * the connection check, the drift report and re-applying a missing grant; a user with no account.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectorSettings, Entitlement } from '@gatehouse/domain';
import type { TokenClaims } from '@gatehouse/tools';
import { driftScheduleId } from '@gatehouse/workflows';
import type { RunningFake } from '../fakes/fake-http';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import { startSalesforceServer, type SalesforceFakeState } from '../fakes/salesforce-server';
import { startScimServer, type ScimFakeState } from '../fakes/scim-server';
import { startSlackServer, type SlackFakeState } from '../fakes/slack-server';
import { eventually, openTestClient, uniqueId } from '../support/harness';
import { appBody, startTestStack, users, type TestStack } from '../support/stack';

const ENV = {
  github: 'GATEHOUSE_E2E_GITHUB_TOKEN',
  slack: 'GATEHOUSE_E2E_SLACK_TOKEN',
  salesforce: 'GATEHOUSE_E2E_SF_TOKEN',
  scim: 'GATEHOUSE_E2E_SCIM_TOKEN',
  wrong: 'GATEHOUSE_E2E_WRONG_TOKEN',
};

const tokens = {
  github: `ghp_fake_${randomUUID().replace(/-/g, '')}`,
  slack: `xoxb-fake-${randomUUID()}`,
  salesforce: `00DFAKE!${randomUUID()}`,
};

let stack: TestStack;
let github: RunningFake<GithubFakeState>;
let slack: RunningFake<SlackFakeState>;
let salesforce: RunningFake<SalesforceFakeState>;
let scim: RunningFake<ScimFakeState>;

beforeAll(async () => {
  [github, slack, salesforce, scim] = await Promise.all([
    startGithubServer({
      token: tokens.github,
      users: ['octo-gina', 'octo-dan', 'octo-stranger'],
      orgMembers: ['octo-gina', 'octo-dan', 'octo-stranger'],
      teams: { platform: [], ops: [] },
    }),
    startSlackServer({
      token: tokens.slack,
      users: [
        { id: 'UHANK', name: 'hank', email: 'hank@acme.test' },
        { id: 'UKEEP', name: 'keep', email: 'keep@acme.test' },
      ],
      // Slack cannot empty a user group: someone stays in it.
      usergroups: [{ id: 'SENG', handle: 'engineering', users: ['UKEEP'] }],
    }),
    startSalesforceServer({
      accessToken: tokens.salesforce,
      users: [{ username: 'ivy@acme.test' }],
      permissionSets: ['Reports_Export'],
    }),
    startScimServer(),
  ]);
  stack = await startTestStack({
    worker: {
      env: {
        [ENV.github]: tokens.github,
        [ENV.slack]: tokens.slack,
        [ENV.salesforce]: tokens.salesforce,
        [ENV.scim]: scim.state.token,
        [ENV.wrong]: 'not-the-token',
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([github?.close(), slack?.close(), salesforce?.close(), scim?.close()]);
});

const root = () => stack.as(users.root);
const carol = () => stack.as(users.carol);

function person(name: string, email?: string): TokenClaims {
  return { sub: `${name}-${randomUUID().slice(0, 6)}`, name, ...(email ? { email } : {}), roles: [], groups: [] };
}

async function putApp(connector: ConnectorSettings, entitlements: Entitlement[]): Promise<string> {
  const id = uniqueId('app-');
  const res = await root().put(`/apps/${id}`, appBody({ name: `${connector.type} app`, connector, entitlements }));
  if (res.status !== 201) throw new Error(`PUT /apps failed: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}

async function putUser(who: TokenClaims, body: { email?: string; accounts?: Record<string, string> }): Promise<void> {
  const res = await root().put(`/users/${who.sub}`, body);
  expect(res.status).toBe(200);
}

/** Requests `entitlementId` for `who` for `seconds`, and carol approves it. */
async function requestApproved(
  who: TokenClaims,
  appId: string,
  entitlementId: string,
  seconds: number,
): Promise<string> {
  const created = await stack.as(who).post('/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId }],
    duration: { type: 'limited', end: new Date(Date.now() + seconds * 1000).toISOString() },
    reason: 'connector e2e',
  });
  expect(created.status).toBe(201);
  const approved = await carol().post(`/tickets/${created.body.id}/approve`, {});
  expect(approved.status).toBe(200);
  return created.body.id;
}

async function accessState(ticketId: string, state: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const res = await root().get(`/tickets/${ticketId}`);
      return res.body.access?.state === state && res.body;
    },
    timeoutMs,
    `access ${state} on ${ticketId}`,
  );
}

/** Grants for a few seconds; `has()` must turn true while active and false once expired. */
async function grantsThenExpires(who: TokenClaims, appId: string, entitlementId: string, has: () => Promise<boolean>) {
  const ticketId = await requestApproved(who, appId, entitlementId, 5);
  await accessState(ticketId, 'active');
  expect(await has()).toBe(true);
  await accessState(ticketId, 'expired');
  expect(await has()).toBe(false);
  const active = await root().get(`/grants?userId=${who.sub}&appId=${appId}`);
  expect([active.status, active.body]).toEqual([200, []]);
}

const githubConnector = (tokenEnv = ENV.github): ConnectorSettings => ({
  type: 'github',
  config: { org: 'acme', baseUrl: github.url, tokenEnv },
});

describe('each connector grants for a limited time, then the access expires in the target', () => {
  test('GitHub: team membership, account from PUT /users accounts', async () => {
    const gina = person('gina');
    await putUser(gina, { accounts: { github: 'octo-gina' } });
    const appId = await putApp(githubConnector(), [{ id: 'platform', kind: 'group', name: 'Platform team' }]);
    await grantsThenExpires(gina, appId, 'platform', async () => github.state.teams.get('platform')!.has('octo-gina'));
  });

  test('Slack: user group membership, account found by email (users.lookupByEmail)', async () => {
    const hank = person('hank', 'hank@acme.test');
    await putUser(hank, { email: 'hank@acme.test' });
    const appId = await putApp({ type: 'slack', config: { apiUrl: slack.url, tokenEnv: ENV.slack } }, [
      { id: 'engineering', kind: 'group', name: 'Engineering', externalId: 'SENG' },
    ]);
    const group = () => slack.state.usergroups.get('SENG')!;
    await grantsThenExpires(
      hank,
      appId,
      'engineering',
      async () => !group().disabled && group().users.includes('UHANK'),
    );
    expect(group().users).toEqual(['UKEEP']);
    expect(slack.state.requests.some((r) => r.path.endsWith('users.lookupByEmail'))).toBe(true);
  });

  test('Salesforce: permission set assignment, account from PUT /users accounts', async () => {
    const ivy = person('ivy');
    await putUser(ivy, { accounts: { salesforce: 'ivy@acme.test' } });
    const appId = await putApp(
      { type: 'salesforce', config: { instanceUrl: salesforce.url, tokenEnv: ENV.salesforce } },
      [{ id: 'reports', kind: 'permission', name: 'Export reports', externalId: 'Reports_Export' }],
    );
    await grantsThenExpires(ivy, appId, 'reports', async () =>
      salesforce.state.assigneesOf('Reports_Export').includes('ivy@acme.test'),
    );
  });

  test('SCIM (scimmy): group membership, account found by email (emails.value eq)', async () => {
    const email = `jo-${randomUUID().slice(0, 6)}@acme.test`;
    const jo = person('jo', email);
    await putUser(jo, { email });
    const scimUserId = await scim.state.createUser(`jo-login-${randomUUID().slice(0, 6)}`, [email]);
    const groupId = await scim.state.createGroup(`eng-${randomUUID().slice(0, 6)}`);
    const appId = await putApp({ type: 'scim', config: { baseUrl: scim.url, tokenEnv: ENV.scim } }, [
      { id: 'eng', kind: 'group', name: 'Engineering', externalId: groupId },
    ]);
    await grantsThenExpires(jo, appId, 'eng', async () =>
      (await scim.state.groupMemberIds(groupId)).includes(scimUserId),
    );
  });
});

describe('connection check', () => {
  test('ok with the right token, not ok (and no secret) with a wrong one; admin only; 404 for an unknown app', async () => {
    const entitlements: Entitlement[] = [{ id: 'platform', kind: 'group', name: 'Platform team' }];
    const good = await putApp(githubConnector(), entitlements);
    const res = await root().post(`/apps/${good}/connector/check`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, message: expect.any(String), checkedAt: expect.any(String) });
    expect(Date.now() - Date.parse(res.body.checkedAt)).toBeLessThan(60_000);

    const bad = await putApp(githubConnector(ENV.wrong), entitlements);
    const refused = await root().post(`/apps/${bad}/connector/check`);
    expect(refused.status).toBe(200);
    expect(refused.body.ok).toBe(false);
    expect(refused.body.message).toMatch(/401|Bad credentials|refused|unauthori/i);
    expect(JSON.stringify(refused.body)).not.toContain('not-the-token');
    expect(JSON.stringify(res.body)).not.toContain(tokens.github);

    const unset = await putApp(githubConnector('GATEHOUSE_E2E_UNSET_TOKEN'), entitlements);
    const missing = await root().post(`/apps/${unset}/connector/check`);
    expect(missing.body).toMatchObject({ ok: false, message: expect.stringContaining('GATEHOUSE_E2E_UNSET_TOKEN') });

    expect((await carol().post(`/apps/${good}/connector/check`)).status).toBe(403);
    const unknown = await root().post('/apps/no-such-app/connector/check');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'APP_NOT_FOUND']);
  });
});

describe('drift report', () => {
  test('finds an account added in the target and a grant removed there; reapply restores the missing one', async () => {
    const dan = person('dan');
    await putUser(dan, { accounts: { github: 'octo-dan' } });
    const appId = await putApp(githubConnector(), [{ id: 'ops', kind: 'group', name: 'Ops team' }]);

    // One schedule per app, created by the PUT; a second PUT updates it.
    const { client, connection } = await openTestClient();
    try {
      const schedule = await client.schedule.getHandle(driftScheduleId(appId)).describe();
      expect(schedule.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'driftReportWorkflow',
        args: [appId],
      });
      expect(
        (
          await root().put(
            `/apps/${appId}`,
            appBody({
              name: 'renamed',
              connector: githubConnector(),
              entitlements: [{ id: 'ops', kind: 'group', name: 'Ops team' }],
            }),
          )
        ).status,
      ).toBe(200);
    } finally {
      await connection.close();
    }

    const none = await root().get(`/apps/${appId}/drift`);
    expect([none.status, none.body.code]).toEqual([404, 'NOT_FOUND']);

    const ticketId = await requestApproved(dan, appId, 'ops', 3600);
    await accessState(ticketId, 'active');
    const team = github.state.teams.get('ops')!;
    expect(team.has('octo-dan')).toBe(true);

    const clean = await root().post(`/apps/${appId}/drift/run`);
    expect(clean.status).toBe(200);
    expect(clean.body).toMatchObject({ appId, unmanaged: [], missing: [], errors: [] });

    // Someone changes the team behind Gatehouse's back.
    team.add('octo-stranger');
    team.delete('octo-dan');
    const run = await root().post(`/apps/${appId}/drift/run`);
    expect(run.status).toBe(200);
    expect(run.body.unmanaged).toEqual([{ entitlementId: 'ops', account: 'octo-stranger', userId: null }]);
    expect(run.body.missing).toEqual([{ entitlementId: 'ops', userId: dan.sub, ticketId }]);
    const latest = await root().get(`/apps/${appId}/drift`);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual(run.body);
    expect((await carol().get(`/apps/${appId}/drift`)).status).toBe(403);

    const reapplied = await root().post(`/apps/${appId}/drift/reapply`, { userId: dan.sub, entitlementId: 'ops' });
    expect(reapplied.status).toBe(200);
    expect(reapplied.body).toMatchObject({ reapplied: true, ticketId });
    expect(team.has('octo-dan')).toBe(true);

    const after = await root().post(`/apps/${appId}/drift/run`);
    expect(after.body.missing).toEqual([]);
    expect(after.body.unmanaged).toEqual([{ entitlementId: 'ops', account: 'octo-stranger', userId: null }]);

    // The target no longer knows the user: nothing a retry fixes, 424 with the connector's failure type.
    github.state.users.delete('octo-dan');
    github.state.orgMembers.delete('octo-dan');
    team.delete('octo-dan');
    const gone = await root().post(`/apps/${appId}/drift/reapply`, { userId: dan.sub, entitlementId: 'ops' });
    expect([gone.status, gone.body.code]).toEqual([424, 'ACCOUNT_NOT_FOUND']);

    const noGrant = await root().post(`/apps/${appId}/drift/reapply`, { userId: 'nobody-here', entitlementId: 'ops' });
    expect([noGrant.status, noGrant.body.code]).toEqual([404, 'NOT_FOUND']);
    const noEntitlement = await root().post(`/apps/${appId}/drift/reapply`, { userId: dan.sub, entitlementId: 'nope' });
    expect([noEntitlement.status, noEntitlement.body.code]).toEqual([404, 'ENTITLEMENT_NOT_FOUND']);
    const malformed = await root().post(`/apps/${appId}/drift/reapply`, { userId: dan.sub });
    expect(malformed.status).toBe(400);
    expect((await root().post('/apps/no-such-app/drift/run')).status).toBe(404);
  });

  test('an entitlement the target does not have or refused credentials are reported; a target that stays down is 424', async () => {
    const appId = await putApp(githubConnector(), [
      { id: 'platform', kind: 'group', name: 'Platform team' },
      { id: 'ghost', kind: 'group', name: 'No such team', externalId: 'ghost-team' },
    ]);
    const run = await root().post(`/apps/${appId}/drift/run`);
    expect(run.status).toBe(200);
    expect(run.body.errors).toEqual([
      { entitlementId: 'ghost', code: 'ENTITLEMENT_NOT_FOUND', message: expect.any(String) },
    ]);

    // Credentials no retry fixes: every entitlement reported with the reason, the report stored.
    const refused = await putApp(githubConnector(ENV.wrong), [
      { id: 'platform', kind: 'group', name: 'Platform team' },
    ]);
    const unauthorized = await root().post(`/apps/${refused}/drift/run`);
    expect(unauthorized.status).toBe(200);
    expect(unauthorized.body.errors).toEqual([
      { entitlementId: 'platform', code: 'CONNECTOR_UNAUTHORIZED', message: expect.any(String) },
    ]);

    // A target that stays down: retried a few times (1 s, 2 s, 4 s), then 424 with the connector's failure type.
    const offline = await putApp(
      { type: 'github', config: { org: 'acme', baseUrl: 'http://127.0.0.1:9', tokenEnv: ENV.github } },
      [{ id: 'platform', kind: 'group', name: 'Platform team' }],
    );
    const down = await root().post(`/apps/${offline}/drift/run`);
    expect([down.status, down.body.code]).toEqual([424, 'CONNECTOR_RETRYABLE']);
    expect(down.body.message).toContain('GitHub could not be reached');
    expect((await root().get(`/apps/${offline}/drift`)).status).toBe(404);
  }, 30_000);
});

describe('a user the target cannot identify', () => {
  test('no account on record and no user with their email: access failed at once with a clear, non-retryable error', async () => {
    const nobody = person('nobody', 'nobody@acme.test');
    await putUser(nobody, { email: 'nobody@acme.test' });
    const appId = await putApp({ type: 'slack', config: { apiUrl: slack.url, tokenEnv: ENV.slack } }, [
      { id: 'engineering', kind: 'group', name: 'Engineering', externalId: 'SENG' },
    ]);
    const started = Date.now();
    const ticketId = await requestApproved(nobody, appId, 'engineering', 60);
    const failed = await accessState(ticketId, 'failed', 10_000);
    // Retried, it would wait 1 s, 2 s, 4 s... between attempts: a non-retryable failure parks it at once.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(failed.access.error).toContain(`${nobody.sub} has no slack account on record`);
    expect(failed.access.error).toContain('nobody@acme.test');
    expect(failed.access.error).toContain(`PUT /users/${nobody.sub}`);
  });
});
