import { randomUUID } from 'node:crypto';
import type { EntitlementKind } from '@gatehouse/domain';
import { failureOf, nextRetryDelayMs } from '../../../test/fakes/connector-failures';
import type { RunningFake } from '../../../test/fakes/fake-http';
import { startScimServer, type ScimFakeState } from '../../../test/fakes/scim-server';
import { CONNECTOR_FAILURE, targetRefused, type AccessChange, type TargetEntitlement } from '../connector';
import { createConnector } from '../registry';
import type { Connector } from '../connector';

const TOKEN_ENV = 'GATEHOUSE_TEST_SCIM_TOKEN';

function group(externalId: string, kind: EntitlementKind = 'group'): TargetEntitlement {
  return { id: `ent-${externalId.slice(0, 8)}`, externalId, kind, name: 'a SCIM group' };
}

function change(account: string, target: TargetEntitlement): AccessChange {
  return { account, entitlement: target, fields: {} };
}

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/**
 * Against a real SCIM implementation (scimmy + scimmy-routers in a child process), not a fake of ours.
 * One server for the file; every test makes its own users and groups.
 */
describe('SCIM connector', () => {
  let server: RunningFake<ScimFakeState>;
  let scim: ScimFakeState;

  const connector = (env: NodeJS.ProcessEnv = { [TOKEN_ENV]: scim.token }): Connector =>
    createConnector(
      'scim-app',
      { type: 'scim', config: { baseUrl: server.url, tokenEnv: TOKEN_ENV } },
      { env, demoMemberships: unusedDemoStore },
    );

  beforeAll(async () => {
    server = await startScimServer();
    scim = server.state;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('adds a user found by userName to the group, and granting again adds no second copy', async () => {
    const alice = unique('alice');
    const aliceId = await scim.createUser(alice);
    const bobId = await scim.createUser(unique('bob'));
    const groupId = await scim.createGroup(unique('engineering'), [bobId]);

    expect(await connector().grant(change(alice, group(groupId)))).toEqual({ alreadyHeld: false });
    expect(await connector().grant(change(alice, group(groupId)))).toEqual({ alreadyHeld: true });
    expect((await scim.groupMemberIds(groupId)).sort()).toEqual([aliceId, bobId].sort());
  });

  it('finds a user by email when no userName matches the account', async () => {
    const email = `${unique('carol')}@acme.test`;
    const carolId = await scim.createUser(unique('carol-login'), [email]);
    const groupId = await scim.createGroup(unique('sales'));

    await connector().grant(change(email, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([carolId]);
    await connector().revoke(change(email, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([]);
  });

  it('finds a user by their SCIM id when the account is what the IdP shows as the id', async () => {
    const email = `${unique('hana')}@acme.test`;
    const hanaId = await scim.createUser(unique('hana-login'), [email]);
    const groupId = await scim.createGroup(unique('finance'));

    await connector().grant(change(hanaId, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([hanaId]);
    // The same person by email is the same member, whichever the admin copied.
    await connector().grant(change(email, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([hanaId]);
    await connector().revoke(change(hanaId, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([]);
    // An id nobody has is still an unknown account.
    const failure = await failureOf(connector().grant(change('0f0e0d0c-0000-4000-8000-000000000000', group(groupId))));
    expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
  });

  it('removes a member with a filtered remove, leaving the others, and revoking again succeeds', async () => {
    const dave = unique('dave');
    const daveId = await scim.createUser(dave);
    const erinId = await scim.createUser(unique('erin'));
    const groupId = await scim.createGroup(unique('ops'), [daveId, erinId]);

    await connector().revoke(change(dave, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([erinId]);
    await connector().revoke(change(dave, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toEqual([erinId]);
  });

  it('concurrent grants to one group keep every member (PATCH add is applied by the server)', async () => {
    const names = Array.from({ length: 8 }, () => unique('crowd'));
    const ids = await Promise.all(names.map((n) => scim.createUser(n)));
    const groupId = await scim.createGroup(unique('crowded'));
    await Promise.all(names.map((n) => connector().grant(change(n, group(groupId)))));
    expect((await scim.groupMemberIds(groupId)).sort()).toEqual(ids.sort());
  });

  it('lists members as userNames, resolving their ids in batches', async () => {
    const names = Array.from({ length: 45 }, () => unique('member'));
    const ids = [];
    for (const n of names) ids.push(await scim.createUser(n));
    const groupId = await scim.createGroup(unique('big'), ids);
    const before = (await scim.requests()).length;
    expect((await connector().listMembers(group(groupId))).sort()).toEqual([...names].sort());
    const lookups = (await scim.requests()).slice(before).filter((r) => r.method === 'GET' && r.path === '/Users');
    expect(lookups).toHaveLength(3);
    expect(lookups[0].query.filter).toMatch(/^id eq "[^"]+"( or id eq "[^"]+"){19}$/);
  });

  it('an unknown user is ACCOUNT_NOT_FOUND on grant, and revoking them succeeds', async () => {
    const groupId = await scim.createGroup(unique('empty'));
    const failure = await failureOf(connector().grant(change(unique('nobody'), group(groupId))));
    expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
    expect(failure.nonRetryable).toBe(true);
    await connector().revoke(change(unique('nobody'), group(groupId)));
  });

  it('an unknown group is ENTITLEMENT_NOT_FOUND on grant, revoke and list', async () => {
    const frank = unique('frank');
    await scim.createUser(frank);
    const missing = group(randomUUID());
    for (const work of [
      () => connector().grant(change(frank, missing)),
      () => connector().revoke(change(frank, missing)),
      () => connector().listMembers(missing),
    ]) {
      const failure = await failureOf(work());
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT);
      expect(failure.nonRetryable).toBe(true);
    }
  });

  it('a role or permission entitlement is CONNECTOR_MISCONFIGURED', async () => {
    const failure = await failureOf(connector().grant(change('x', group('g', 'role'))));
    expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
  });

  it('a 429 with Retry-After is retryable after it; a 503 is retryable', async () => {
    const gina = unique('gina');
    await scim.createUser(gina);
    const groupId = await scim.createGroup(unique('throttled'));

    await scim.injectFault({ method: 'PATCH', path: '/Groups', status: 429, headers: { 'Retry-After': '9' } });
    const limited = await failureOf(connector().grant(change(gina, group(groupId))));
    expect(limited.type).toBe(CONNECTOR_FAILURE.RATE_LIMITED);
    expect(limited.nonRetryable).toBe(false);
    expect(nextRetryDelayMs(limited)).toBe(9_000);

    await scim.injectFault({ path: '/Users', status: 503 });
    const down = await failureOf(connector().grant(change(gina, group(groupId))));
    expect(down.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
    expect(down.nonRetryable).toBe(false);

    // The next attempt, as Temporal would make it, goes through.
    await connector().grant(change(gina, group(groupId)));
    expect(await scim.groupMemberIds(groupId)).toHaveLength(1);
  });

  it('a wrong token (401) or a forbidden call (403) is CONNECTOR_UNAUTHORIZED, never showing the token', async () => {
    const wrong = `scim-fake-${randomUUID()}`;
    const failure = await failureOf(connector({ [TOKEN_ENV]: wrong }).grant(change('anyone', group(randomUUID()))));
    expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
    expect(failure.message).not.toContain(wrong);

    await scim.injectFault({ path: '/Users', status: 403 });
    expect((await failureOf(connector().grant(change('anyone', group(randomUUID()))))).type).toBe(
      CONNECTOR_FAILURE.UNAUTHORIZED,
    );
  });

  it('checkConnection reads /ServiceProviderConfig; a wrong token or an unset variable is reported, not thrown', async () => {
    expect(await connector().checkConnection()).toEqual({
      ok: true,
      message: expect.stringContaining('PATCH and filter supported'),
    });
    const wrong = await connector({ [TOKEN_ENV]: 'nope' }).checkConnection();
    expect(wrong.ok).toBe(false);
    expect(wrong.message).toContain('SCIM service refused the token');
    expect(wrong.message).toContain('401');
    expect(await connector({}).checkConnection()).toEqual({ ok: false, message: expect.stringContaining(TOKEN_ENV) });
  });

  it('checkConnection against something that is no SCIM service reports it', async () => {
    const elsewhere = createConnector(
      'scim-app',
      { type: 'scim', config: { baseUrl: `${server.url}/not-scim`, tokenEnv: TOKEN_ENV } },
      { env: { [TOKEN_ENV]: scim.token }, demoMemberships: unusedDemoStore },
    );
    expect(await elsewhere.checkConnection()).toEqual({
      ok: false,
      message: expect.stringContaining('no SCIM ServiceProviderConfig'),
    });
  });

  it('accountForEmail answers the userName of the one user with that email (or that userName), else null', async () => {
    const email = `${unique('frank')}@acme.test`;
    const login = unique('frank-login');
    await scim.createUser(login, [email]);
    expect(await connector().accountForEmail!(email)).toBe(login);
    const named = `${unique('gina')}@acme.test`;
    await scim.createUser(named);
    expect(await connector().accountForEmail!(named)).toBe(named);
    expect(await connector().accountForEmail!(`${unique('nobody')}@acme.test`)).toBeNull();
    const shared = `${unique('shared')}@acme.test`;
    await scim.createUser(unique('one'), [shared]);
    await scim.createUser(unique('two'), [shared]);
    expect((await failureOf(connector().accountForEmail!(shared))).type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
  });

  it('an unset token variable is a permanent CONNECTOR_MISCONFIGURED naming the variable', async () => {
    const failure = await failureOf(connector({}).grant(change('anyone', group(randomUUID()))));
    expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(TOKEN_ENV);
  });

  it('an unreachable SCIM service is retryable', async () => {
    const offline = createConnector(
      'scim-app',
      { type: 'scim', config: { baseUrl: 'http://127.0.0.1:9/scim/v2', tokenEnv: TOKEN_ENV } },
      { env: { [TOKEN_ENV]: scim.token }, demoMemberships: unusedDemoStore },
    );
    const failure = await failureOf(offline.grant(change('anyone', group(randomUUID()))));
    expect(failure.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
    expect(targetRefused(failure)).toBe(false); // no answer: it may have been applied
  });
});

/** The demo connector's store, which a SCIM app never touches. */
const unusedDemoStore = {
  add: () => Promise.reject(new Error('not used')),
  remove: () => Promise.reject(new Error('not used')),
  members: () => Promise.reject(new Error('not used')),
};
