import { randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import type { EntitlementKind } from '@gatehouse/domain';
import { failureOf, nextRetryDelayMs } from '../../../test/fakes/connector-failures';
import type { RunningFake } from '../../../test/fakes/fake-http';
import { startSlackServer, type SlackFakeSeed, type SlackFakeState } from '../../../test/fakes/slack-server';
import { CONNECTOR_FAILURE, targetRefused, type AccessChange, type TargetEntitlement } from '../connector';
import { createSlackConnector, type SlackConnector } from './slack-connector';

const TOKEN_ENV = 'GATEHOUSE_TEST_SLACK_TOKEN';

function entitlement(kind: EntitlementKind, externalId: string): TargetEntitlement {
  return { id: `ent-${externalId}`, externalId, kind, name: externalId };
}

function change(account: string, target: TargetEntitlement): AccessChange {
  return { account, entitlement: target, fields: {} };
}

const sorted = (values: Iterable<string>) => [...values].sort();

const people = ['UALICE', 'UBOB', 'UCAROL', 'UDAVE'].map((id) => ({
  id,
  name: id.slice(1).toLowerCase(),
  email: `${id.slice(1).toLowerCase()}@acme.test`,
}));

describe('Slack connector', () => {
  let fake: RunningFake<SlackFakeState>;
  let token: string;

  /** A fresh connector per call, as activities build them. */
  const connector = (env: NodeJS.ProcessEnv = { [TOKEN_ENV]: token }): SlackConnector =>
    createSlackConnector({ apiUrl: fake.url, tokenEnv: TOKEN_ENV }, env);

  async function start(seed: Omit<SlackFakeSeed, 'token'> = {}): Promise<void> {
    token = `xoxb-fake-${randomUUID()}`;
    fake = await startSlackServer({
      token,
      users: people,
      usergroups: [
        { id: 'SENG', handle: 'engineering', users: ['UBOB'] },
        { id: 'SSOLO', handle: 'on-call', users: ['UCAROL'] },
      ],
      channels: [
        { id: 'GINCIDENTS', name: 'incidents', members: ['UBOT00001', 'UBOB'] },
        { id: 'GSECRET', name: 'secret', members: ['UBOB'] },
        { id: 'COPEN', name: 'open', isPrivate: false, members: ['UBOB'] },
        { id: 'GOLD', name: 'old', isArchived: true, members: ['UBOT00001'] },
      ],
      ...seed,
    });
  }

  afterEach(async () => {
    await fake?.close();
  });

  describe('user groups (group entitlements)', () => {
    const engineering = entitlement('group', 'SENG');

    beforeEach(() => start());

    it('adds a member without dropping the others, and granting again writes nothing', async () => {
      expect(await connector().grant(change('UALICE', engineering))).toEqual({ alreadyHeld: false });
      expect(await connector().grant(change('UALICE', engineering))).toEqual({ alreadyHeld: true });
      expect(sorted(fake.state.usergroups.get('SENG')!.users)).toEqual(['UALICE', 'UBOB']);
      const updates = fake.state.requests.filter((r) => r.path === '/api/usergroups.users.update');
      expect(updates.map((r) => r.body)).toEqual([{ usergroup: 'SENG', users: 'UBOB,UALICE' }]);
      expect(sorted(await connector().listMembers(engineering))).toEqual(['UALICE', 'UBOB']);
    });

    it('removes a member, and revoking what is gone succeeds', async () => {
      await connector().grant(change('UALICE', engineering));
      await connector().revoke(change('UBOB', engineering));
      await connector().revoke(change('UBOB', engineering));
      expect(fake.state.usergroups.get('SENG')!.users).toEqual(['UALICE']);
    });

    it('removing the last member disables the group (Slack cannot empty one); the next grant does not bring them back', async () => {
      const onCall = entitlement('group', 'SSOLO');
      await connector().revoke(change('UCAROL', onCall));
      expect(fake.state.usergroups.get('SSOLO')!.disabled).toBe(true);
      expect(await connector().listMembers(onCall)).toEqual([]);
      await connector().revoke(change('UCAROL', onCall));

      await connector().grant(change('UDAVE', onCall));
      expect(fake.state.usergroups.get('SSOLO')).toMatchObject({ disabled: false, users: ['UDAVE'] });
    });

    it('accepts an email as the account, looked up with users.lookupByEmail', async () => {
      await connector().grant(change('alice@acme.test', engineering));
      expect(sorted(fake.state.usergroups.get('SENG')!.users)).toEqual(['UALICE', 'UBOB']);
      await connector().revoke(change('alice@acme.test', engineering));
      expect(fake.state.usergroups.get('SENG')!.users).toEqual(['UBOB']);
    });

    it('an unknown email or user id is a permanent ACCOUNT_NOT_FOUND on grant; revoking them succeeds', async () => {
      for (const account of ['nobody@acme.test', 'UNOBODY']) {
        const failure = await failureOf(connector().grant(change(account, engineering)));
        expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
        expect(failure.nonRetryable).toBe(true);
        await connector().revoke(change(account, engineering));
      }
      expect(fake.state.usergroups.get('SENG')!.users).toEqual(['UBOB']);
    });

    it('an unknown user group is a permanent ENTITLEMENT_NOT_FOUND', async () => {
      const missing = entitlement('group', 'SNOPE');
      for (const work of [
        () => connector().grant(change('UALICE', missing)),
        () => connector().revoke(change('UALICE', missing)),
        () => connector().listMembers(missing),
      ]) {
        const failure = await failureOf(work());
        expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT);
      }
    });
  });

  describe('two grants to one group at the same moment', () => {
    const engineering = entitlement('group', 'SENG');
    const newcomers = Array.from({ length: 12 }, (_, i) => ({ id: `UNEW${i}`, name: `new${i}` }));

    beforeEach(async () => {
      await start({ users: [...people, ...newcomers] });
      // Reads answer slowly, so that read-modify-writes which are not serialized really overlap.
      fake.state.usersListDelayMs = 20;
    });

    it('the fake really loses one of two unserialized read-modify-writes (what the connector must prevent)', async () => {
      const raw = new WebClient(token, { slackApiUrl: `${fake.url}/`, retryConfig: { retries: 0 } });
      await Promise.all(
        ['UALICE', 'UCAROL'].map(async (id) => {
          const { users = [] } = await raw.usergroups.users.list({ usergroup: 'SENG' });
          await raw.usergroups.users.update({ usergroup: 'SENG', users: [...users, id].join(',') });
        }),
      );
      expect(fake.state.usergroups.get('SENG')!.users).toHaveLength(2);
    });

    it('concurrent grants, each through its own connector, keep every member', async () => {
      await Promise.all(newcomers.map((n) => connector().grant(change(n.id, engineering))));
      expect(sorted(fake.state.usergroups.get('SENG')!.users)).toEqual(sorted(['UBOB', ...newcomers.map((n) => n.id)]));
    });

    it('concurrent grants and revokes of one group all take effect', async () => {
      await connector().grant(change('UALICE', engineering));
      await Promise.all([
        connector().grant(change('UCAROL', engineering)),
        connector().revoke(change('UBOB', engineering)),
        connector().grant(change('UDAVE', engineering)),
        connector().revoke(change('UALICE', engineering)),
      ]);
      expect(sorted(fake.state.usergroups.get('SENG')!.users)).toEqual(['UCAROL', 'UDAVE']);
    });

    it('a write undone by another writer (another worker) is noticed on the read-back and made again', async () => {
      let interfered = false;
      fake.state.onUsergroupUpdate = (group) => {
        if (interfered) return;
        interfered = true;
        // The other writer read the list before our write and writes its own change on top of that stale read.
        group.users = ['UBOB', 'UCAROL'];
      };
      await connector().grant(change('UALICE', engineering));
      expect(sorted(fake.state.usergroups.get('SENG')!.users)).toEqual(['UALICE', 'UBOB', 'UCAROL']);
      expect(fake.state.requests.filter((r) => r.path === '/api/usergroups.users.update')).toHaveLength(2);
    });

    it('a group that keeps being rewritten fails this attempt as retryable, for Temporal to try again later', async () => {
      fake.state.onUsergroupUpdate = (group) => {
        group.users = ['UBOB'];
      };
      const failure = await failureOf(connector().grant(change('UALICE', engineering)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(failure.nonRetryable).toBe(false);
    });
  });

  describe('private channels (permission entitlements)', () => {
    const incidents = entitlement('permission', 'GINCIDENTS');

    beforeEach(() => start());

    it('invites and removes; inviting a member and removing a non-member succeed', async () => {
      await connector().grant(change('UALICE', incidents));
      await connector().grant(change('UALICE', incidents));
      expect(fake.state.channels.get('GINCIDENTS')!.members).toEqual(['UBOT00001', 'UBOB', 'UALICE']);
      await connector().revoke(change('UALICE', incidents));
      await connector().revoke(change('UALICE', incidents));
      expect(fake.state.channels.get('GINCIDENTS')!.members).toEqual(['UBOT00001', 'UBOB']);
      const invites = fake.state.requests.filter((r) => r.path === '/api/conversations.invite');
      expect(invites.map((r) => r.body)).toEqual([
        { channel: 'GINCIDENTS', users: 'UALICE' },
        { channel: 'GINCIDENTS', users: 'UALICE' },
      ]);
    });

    it('lists members across pages linked by response_metadata.next_cursor', async () => {
      const crowd = Array.from({ length: 450 }, (_, i) => `UCROWD${i}`);
      fake.state.channels.get('GINCIDENTS')!.members.push(...crowd);
      expect(await connector().listMembers(incidents)).toEqual(['UBOT00001', 'UBOB', ...crowd]);
      const calls = fake.state.requests.filter((r) => r.path === '/api/conversations.members');
      expect(calls).toHaveLength(3);
      expect(calls[1].body).toMatchObject({ cursor: expect.any(String), limit: '200' });
    });

    it('a channel the app cannot see is ENTITLEMENT_NOT_FOUND; an unknown user ACCOUNT_NOT_FOUND', async () => {
      expect((await failureOf(connector().grant(change('UALICE', entitlement('permission', 'GSECRET'))))).type).toBe(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
      );
      expect((await failureOf(connector().grant(change('UNOBODY', incidents)))).type).toBe(
        CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
      );
      await connector().revoke(change('UNOBODY', incidents));
    });

    it('inviting into a channel the app is not in is CONNECTOR_UNAUTHORIZED; into an archived one CONNECTOR_REJECTED', async () => {
      const open = await failureOf(connector().grant(change('UALICE', entitlement('permission', 'COPEN'))));
      expect(open.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(open.message).toContain('add the app to the channel');
      const archived = await failureOf(connector().grant(change('UALICE', entitlement('permission', 'GOLD'))));
      expect(archived.type).toBe(CONNECTOR_FAILURE.REJECTED);
      expect(archived.nonRetryable).toBe(true);
    });

    it('a role entitlement is CONNECTOR_MISCONFIGURED: Slack roles are not managed', async () => {
      expect((await failureOf(connector().grant(change('UALICE', entitlement('role', 'admin'))))).type).toBe(
        CONNECTOR_FAILURE.MISCONFIGURED,
      );
    });
  });

  describe('errors', () => {
    const engineering = entitlement('group', 'SENG');
    const incidents = entitlement('permission', 'GINCIDENTS');

    beforeEach(() => start());

    it('HTTP 429 with Retry-After is retryable after that many seconds', async () => {
      fake.state.faults.add({
        path: 'conversations.invite',
        status: 429,
        headers: { 'Retry-After': '12' },
        body: { ok: false, error: 'ratelimited' },
      });
      const failure = await failureOf(connector().grant(change('UALICE', incidents)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RATE_LIMITED);
      expect(failure.nonRetryable).toBe(false);
      expect(nextRetryDelayMs(failure)).toBe(12_000);
      // No retry happened inside the client: one request, then the failure.
      expect(fake.state.requests.filter((r) => r.path === '/api/conversations.invite')).toHaveLength(1);
    });

    it('a missing scope, a revoked or inactive token are permanent CONNECTOR_UNAUTHORIZED', async () => {
      fake.state.scopes.delete('usergroups:write');
      const scope = await failureOf(connector().grant(change('UALICE', engineering)));
      expect(scope.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(scope.message).toContain('usergroups:write');

      for (const error of ['account_inactive', 'not_authed', 'invalid_auth']) {
        fake.state.faults.add({ status: 200, body: { ok: false, error } });
        const failure = await failureOf(connector().listMembers(incidents));
        expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
        expect(failure.nonRetryable).toBe(true);
      }
    });

    it('an unset token variable is a permanent CONNECTOR_MISCONFIGURED naming the variable', async () => {
      for (const work of [
        () => connector({}).grant(change('UALICE', engineering)),
        () => connector({}).grant(change('alice@acme.test', incidents)),
      ]) {
        const failure = await failureOf(work());
        expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
        expect(failure.nonRetryable).toBe(true);
        expect(failure.message).toContain(TOKEN_ENV);
      }
    });

    it('a wrong token is CONNECTOR_UNAUTHORIZED and is never in the message', async () => {
      const wrong = `xoxb-fake-${randomUUID()}`;
      const failure = await failureOf(connector({ [TOKEN_ENV]: wrong }).grant(change('UALICE', engineering)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(failure.message).not.toContain(wrong);
    });

    it('internal_error, an HTTP 503 and an unreachable Slack are retryable', async () => {
      fake.state.faults.add({ status: 200, body: { ok: false, error: 'internal_error' } });
      expect((await failureOf(connector().listMembers(incidents))).type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      fake.state.faults.add({ status: 503, body: { ok: false, error: 'service_unavailable' } });
      const answered = await failureOf(connector().listMembers(incidents));
      expect(answered.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(targetRefused(answered)).toBe(true);
      await fake.close();
      const offline = await failureOf(connector().listMembers(incidents));
      expect(offline.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(offline.nonRetryable).toBe(false);
      expect(targetRefused(offline)).toBe(false); // no answer: it may have been applied
    });
  });

  describe('checkConnection', () => {
    beforeEach(() => start());

    it('reports the workspace and the token scopes', async () => {
      const check = await connector().checkConnection();
      expect(check.ok).toBe(true);
      expect(check.message).toContain('Slack workspace "Acme" reachable');
      expect(check.message).toContain('usergroups:write');
    });

    it('reports a rejected token and an unset variable without throwing', async () => {
      const wrong = await connector({ [TOKEN_ENV]: `xoxb-fake-${randomUUID()}` }).checkConnection();
      expect(wrong).toEqual({ ok: false, message: expect.stringContaining('invalid_auth') });
      const unset = await connector({}).checkConnection();
      expect(unset).toEqual({ ok: false, message: expect.stringContaining(TOKEN_ENV) });
    });
  });

  describe('accountForEmail', () => {
    beforeEach(() => start());

    it('answers the Slack user id users.lookupByEmail finds, and null when nobody has the email', async () => {
      expect(await connector().accountForEmail('Bob@acme.test')).toBe('UBOB');
      expect(await connector().accountForEmail('nobody@acme.test')).toBeNull();
      expect(fake.state.requests.filter((r) => r.path.endsWith('users.lookupByEmail'))).toHaveLength(2);
    });

    it('a token without users:read.email is CONNECTOR_UNAUTHORIZED naming the scope', async () => {
      await fake.close();
      await start({ scopes: ['usergroups:read', 'usergroups:write', 'groups:read', 'groups:write'] });
      const failure = await failureOf(connector().accountForEmail('bob@acme.test'));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(failure.message).toContain('users:read.email');
    });
  });
});
