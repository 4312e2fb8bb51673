import { randomUUID } from 'node:crypto';
import type { EntitlementKind } from '@gatehouse/domain';
import { startGithubServer, type GithubFakeSeed, type GithubFakeState } from '../../../test/fakes/github-server';
import { failureOf, nextRetryDelayMs } from '../../../test/fakes/connector-failures';
import type { RunningFake } from '../../../test/fakes/fake-http';
import {
  CONNECTOR_FAILURE,
  targetRefused,
  type AccessChange,
  type Connector,
  type TargetEntitlement,
} from '../connector';
import { createConnector } from '../registry';

const TOKEN_ENV = 'GATEHOUSE_TEST_GITHUB_TOKEN';

function entitlement(kind: EntitlementKind, externalId: string): TargetEntitlement {
  return { id: `ent-${externalId}`, externalId, kind, name: externalId };
}

function change(account: string, target: TargetEntitlement): AccessChange {
  return { account, entitlement: target, fields: {} };
}

describe('GitHub connector', () => {
  let fake: RunningFake<GithubFakeState>;
  let token: string;
  let connector: Connector;

  async function start(seed: Omit<GithubFakeSeed, 'token'>): Promise<void> {
    token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;
    fake = await startGithubServer({ token, ...seed });
    connector = createConnector(
      'github-app',
      { type: 'github', config: { org: 'acme', baseUrl: fake.url, tokenEnv: TOKEN_ENV } },
      { env: { [TOKEN_ENV]: token }, demoMemberships: unusedDemoStore },
    );
  }

  afterEach(async () => {
    await fake?.close();
  });

  describe('team memberships (group entitlements)', () => {
    const team = entitlement('group', 'platform');

    beforeEach(() =>
      start({
        users: ['alice', 'bob', 'octo-outsider'],
        orgMembers: ['alice', 'bob'],
        teams: { platform: ['bob'], empty: [] },
      }),
    );

    it('adds an org member to the team, and granting again changes nothing and reports the membership already held', async () => {
      expect(await connector.grant(change('alice', team))).toEqual({ alreadyHeld: false });
      expect(await connector.grant(change('alice', team))).toEqual({ alreadyHeld: true });
      expect(await connector.grant(change('bob', team))).toEqual({ alreadyHeld: true });
      expect([...fake.state.teams.get('platform')!].sort()).toEqual(['alice', 'bob']);
      const puts = fake.state.requests.filter((r) => r.method === 'PUT');
      expect(puts.map((r) => [r.path, r.body])).toEqual([
        ['/orgs/acme/teams/platform/memberships/alice', { role: 'member' }],
      ]);
    });

    it('invites someone outside the org (pending, not yet a member) and revoking withdraws the invitation', async () => {
      await connector.grant(change('octo-outsider', team));
      expect(fake.state.pendingTeamMembers.get('platform')).toEqual(new Set(['octo-outsider']));
      expect(await connector.listMembers(team)).toEqual(['bob']);
      await connector.revoke(change('octo-outsider', team));
      expect(fake.state.pendingTeamMembers.get('platform')).toEqual(new Set());
    });

    it('removes a member, and revoking what is gone succeeds', async () => {
      await connector.revoke(change('bob', team));
      await connector.revoke(change('bob', team));
      expect(fake.state.teams.get('platform')).toEqual(new Set());
    });

    it('revoking a user GitHub does not know succeeds: they hold nothing', async () => {
      await connector.revoke(change('nobody-here', team));
    });

    it('granting to an unknown user is a permanent ACCOUNT_NOT_FOUND', async () => {
      const failure = await failureOf(connector.grant(change('nobody-here', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
      expect(failure.nonRetryable).toBe(true);
    });

    it('an unknown team is a permanent ENTITLEMENT_NOT_FOUND, on grant, revoke and list', async () => {
      const missing = entitlement('group', 'no-such-team');
      for (const work of [
        () => connector.grant(change('alice', missing)),
        () => connector.revoke(change('alice', missing)),
        () => connector.listMembers(missing),
      ]) {
        const failure = await failureOf(work());
        expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT);
        expect(failure.nonRetryable).toBe(true);
      }
    });

    it('lists every member across pages linked by the Link header', async () => {
      await fake.close();
      const members = Array.from({ length: 7 }, (_, i) => `member-${i}`);
      await start({ users: members, orgMembers: members, teams: { platform: members }, maxPerPage: 3 });
      expect((await connector.listMembers(team)).sort()).toEqual(members);
      const pages = fake.state.requests
        .filter((r) => r.path === '/orgs/acme/teams/platform/members')
        .map((r) => r.query.page ?? '1');
      expect(pages).toEqual(['1', '2', '3']);
    });
  });

  describe('repository permissions (role entitlements)', () => {
    const push = entitlement('role', 'api:push');
    const admin = entitlement('role', 'api:admin');

    beforeEach(() =>
      start({
        users: ['alice', 'carol', 'outsider'],
        orgMembers: ['alice', 'carol'],
        repos: { api: { carol: 'write' } },
      }),
    );

    it('gives an org member the permission directly, and granting again changes nothing and reports it already held', async () => {
      expect(await connector.grant(change('alice', push))).toEqual({ alreadyHeld: false });
      expect(await connector.grant(change('alice', push))).toEqual({ alreadyHeld: true });
      expect(fake.state.repos.get('api')!.collaborators.get('alice')).toBe('write');
      expect(fake.state.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
        { permission: 'push' },
      ]);
      expect((await connector.listMembers(push)).sort()).toEqual(['alice', 'carol']);
    });

    it('a new permission replaces the old one; revoking the old one leaves the new one alone', async () => {
      await connector.grant(change('alice', push));
      await connector.grant(change('alice', admin));
      expect(fake.state.repos.get('api')!.collaborators.get('alice')).toBe('admin');
      await connector.revoke(change('alice', push));
      expect(fake.state.repos.get('api')!.collaborators.get('alice')).toBe('admin');
      expect(await connector.listMembers(admin)).toEqual(['alice']);
      await connector.revoke(change('alice', admin));
      expect(fake.state.repos.get('api')!.collaborators.has('alice')).toBe(false);
      await connector.revoke(change('alice', admin));
    });

    it('invites an outside collaborator, and revoking withdraws the invitation so it cannot be accepted later', async () => {
      await connector.grant(change('outsider', push));
      expect([...fake.state.repos.get('api')!.invitations.values()]).toEqual([
        { login: 'outsider', permissions: 'write' },
      ]);
      await connector.revoke(change('outsider', push));
      expect(fake.state.repos.get('api')!.invitations.size).toBe(0);
    });

    it('an unknown repository is ENTITLEMENT_NOT_FOUND, an unknown user ACCOUNT_NOT_FOUND', async () => {
      expect((await failureOf(connector.grant(change('alice', entitlement('role', 'ghost:push'))))).type).toBe(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
      );
      expect((await failureOf(connector.grant(change('nobody-here', push)))).type).toBe(
        CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
      );
    });

    it("a permission GitHub refuses (422) is a permanent CONNECTOR_REJECTED carrying GitHub's message", async () => {
      const failure = await failureOf(connector.grant(change('alice', entitlement('role', 'api:superuser'))));
      expect(failure.type).toBe(CONNECTOR_FAILURE.REJECTED);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('Validation Failed');
    });

    it('a role externalId without "<repo>:<permission>", or a permission entitlement, is CONNECTOR_MISCONFIGURED', async () => {
      expect((await failureOf(connector.grant(change('alice', entitlement('role', 'api'))))).type).toBe(
        CONNECTOR_FAILURE.MISCONFIGURED,
      );
      expect((await failureOf(connector.grant(change('alice', entitlement('permission', 'api:push'))))).type).toBe(
        CONNECTOR_FAILURE.MISCONFIGURED,
      );
    });
  });

  describe('rate limits and failures', () => {
    const team = entitlement('group', 'platform');

    beforeEach(() => start({ users: ['alice'], orgMembers: ['alice'], teams: { platform: [] } }));

    it('a primary rate limit (403, x-ratelimit-remaining 0) is retried after x-ratelimit-reset', async () => {
      const reset = Math.floor(Date.now() / 1000) + 90;
      fake.state.faults.add({
        method: 'PUT',
        status: 403,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' },
      });
      const failure = await failureOf(connector.grant(change('alice', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RATE_LIMITED);
      expect(failure.nonRetryable).toBe(false);
      const delay = nextRetryDelayMs(failure)!;
      expect(delay).toBeGreaterThan(80_000);
      expect(delay).toBeLessThanOrEqual(90_000);
      // Temporal retries; the next attempt goes through.
      await connector.grant(change('alice', team));
      expect(fake.state.teams.get('platform')).toEqual(new Set(['alice']));
    });

    it('a secondary rate limit (403 with retry-after) is retried after retry-after', async () => {
      fake.state.faults.add({
        status: 403,
        headers: { 'retry-after': '7' },
        body: { message: 'You have exceeded a secondary rate limit.' },
      });
      const failure = await failureOf(connector.grant(change('alice', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RATE_LIMITED);
      expect(nextRetryDelayMs(failure)).toBe(7_000);
    });

    it('a 429 with retry-after is retried after retry-after; a secondary limit without it waits a minute', async () => {
      fake.state.faults.add({ status: 429, headers: { 'retry-after': '3' }, body: { message: 'Too many requests' } });
      expect(nextRetryDelayMs(await failureOf(connector.listMembers(team)))).toBe(3_000);
      fake.state.faults.add({
        status: 403,
        body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes.' },
      });
      expect(nextRetryDelayMs(await failureOf(connector.listMembers(team)))).toBe(60_000);
    });

    it('a 403 that is no rate limit means the token lacks a permission: permanent CONNECTOR_UNAUTHORIZED', async () => {
      fake.state.faults.add({ status: 403, body: { message: 'Resource not accessible by personal access token' } });
      const failure = await failureOf(connector.grant(change('alice', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(failure.nonRetryable).toBe(true);
    });

    it('a 5xx is retryable without a delay of its own; an unreachable GitHub too', async () => {
      fake.state.faults.add({ status: 502, body: { message: 'Server Error' } });
      const failure = await failureOf(connector.grant(change('alice', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(failure.nonRetryable).toBe(false);
      expect(nextRetryDelayMs(failure)).toBeUndefined();
      expect(targetRefused(failure)).toBe(true); // GitHub answered: nothing was applied

      await fake.close();
      const offline = await failureOf(connector.grant(change('alice', team)));
      expect(offline.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(targetRefused(offline)).toBe(false); // no answer: it may have been applied
    });

    it('an unset token variable is a permanent CONNECTOR_MISCONFIGURED naming the variable', async () => {
      const unset = createConnector(
        'github-app',
        { type: 'github', config: { org: 'acme', baseUrl: fake.url, tokenEnv: TOKEN_ENV } },
        { env: {}, demoMemberships: unusedDemoStore },
      );
      const failure = await failureOf(unset.grant(change('alice', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(TOKEN_ENV);
    });

    it('a wrong token is a permanent CONNECTOR_UNAUTHORIZED that never shows the token', async () => {
      const wrong = `ghp_fake_${randomUUID()}`;
      const misfit = createConnector(
        'github-app',
        { type: 'github', config: { org: 'acme', baseUrl: fake.url, tokenEnv: TOKEN_ENV } },
        { env: { [TOKEN_ENV]: wrong }, demoMemberships: unusedDemoStore },
      );
      const failure = await failureOf(misfit.grant(change('alice', team)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(failure.message).not.toContain(wrong);
    });
  });

  describe('checkConnection', () => {
    beforeEach(() => start({}));

    it('reports the org and the token scopes', async () => {
      const check = await connector.checkConnection();
      expect(check).toEqual({ ok: true, message: expect.stringContaining('GitHub org "acme" reachable') });
      expect(check.message).toContain('repo, admin:org');
    });

    it('reports a rejected token, an unset variable and an unknown org without throwing', async () => {
      const wrong = `ghp_fake_${randomUUID()}`;
      const configFor = (org: string) => ({
        type: 'github' as const,
        config: { org, baseUrl: fake.url, tokenEnv: TOKEN_ENV },
      });
      const rejected = await createConnector('a', configFor('acme'), {
        env: { [TOKEN_ENV]: wrong },
        demoMemberships: unusedDemoStore,
      }).checkConnection();
      expect(rejected.ok).toBe(false);
      expect(rejected.message).toContain('401');
      expect(rejected.message).not.toContain(wrong);

      const unset = await createConnector('a', configFor('acme'), {
        env: {},
        demoMemberships: unusedDemoStore,
      }).checkConnection();
      expect(unset).toEqual({ ok: false, message: expect.stringContaining(TOKEN_ENV) });

      const unknownOrg = await createConnector('a', configFor('umbrella'), {
        env: { [TOKEN_ENV]: token },
        demoMemberships: unusedDemoStore,
      }).checkConnection();
      expect(unknownOrg.ok).toBe(false);
    });
  });

  it('refuses a config without an org, or with a baseUrl that is no URL: CONNECTOR_MISCONFIGURED', async () => {
    for (const config of [{ tokenEnv: TOKEN_ENV }, { org: 'acme', tokenEnv: TOKEN_ENV, baseUrl: 'not a url' }]) {
      const failure = await failureOf(
        Promise.resolve().then(() =>
          createConnector('a', { type: 'github', config }, { env: {}, demoMemberships: unusedDemoStore }),
        ),
      );
      expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
    }
  });
});

/** The demo connector's store, which a GitHub app never touches. */
const unusedDemoStore = {
  add: () => Promise.reject(new Error('not used')),
  remove: () => Promise.reject(new Error('not used')),
  members: () => Promise.reject(new Error('not used')),
};
