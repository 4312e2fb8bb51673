import { randomUUID } from 'node:crypto';
import type { EntitlementKind } from '@gatehouse/domain';
import { failureOf, nextRetryDelayMs } from '../../../test/fakes/connector-failures';
import type { RunningFake } from '../../../test/fakes/fake-http';
import {
  startSalesforceServer,
  type SalesforceFakeSeed,
  type SalesforceFakeState,
} from '../../../test/fakes/salesforce-server';
import { CONNECTOR_FAILURE, targetRefused, type AccessChange, type TargetEntitlement } from '../connector';
import { createSalesforceConnector, type SalesforceConnector } from './salesforce-connector';

const TOKEN_ENV = 'GATEHOUSE_TEST_SF_TOKEN';
const CLIENT_ID_ENV = 'GATEHOUSE_TEST_SF_CLIENT_ID';
const CLIENT_SECRET_ENV = 'GATEHOUSE_TEST_SF_CLIENT_SECRET';

function entitlement(kind: EntitlementKind, externalId: string): TargetEntitlement {
  return { id: `ent-${externalId}`, externalId, kind, name: externalId };
}

function change(account: string, target: TargetEntitlement): AccessChange {
  return { account, entitlement: target, fields: {} };
}

const seedOrg: SalesforceFakeSeed = {
  users: [
    { username: 'alice@acme.test' },
    { username: 'bob@acme.test', role: 'Sales_Rep' },
    { username: 'carol@acme.test' },
  ],
  permissionSets: ['Reports_Export', 'Api_Access'],
  roles: ['Sales_Rep', 'Sales_Manager'],
};

describe('Salesforce connector', () => {
  let fake: RunningFake<SalesforceFakeState>;
  let token: string;

  const tokenConnector = (env: NodeJS.ProcessEnv = { [TOKEN_ENV]: token }): SalesforceConnector =>
    createSalesforceConnector({ instanceUrl: fake.url, tokenEnv: TOKEN_ENV }, env);

  async function start(seed: SalesforceFakeSeed = {}): Promise<void> {
    token = `00DFAKE!${randomUUID()}`;
    fake = await startSalesforceServer({ ...seedOrg, accessToken: token, ...seed });
  }

  afterEach(async () => {
    await fake?.close();
  });

  describe('permission sets (permission entitlements)', () => {
    const reports = entitlement('permission', 'Reports_Export');

    beforeEach(() => start());

    it('assigns a permission set named by API name, and granting again creates no second assignment', async () => {
      expect(await tokenConnector().grant(change('alice@acme.test', reports))).toEqual({ alreadyHeld: false });
      expect(await tokenConnector().grant(change('alice@acme.test', reports))).toEqual({ alreadyHeld: true });
      expect(fake.state.assigneesOf('Reports_Export')).toEqual(['alice@acme.test']);
      expect(fake.state.tables.PermissionSetAssignment.rows.size).toBe(1);
      const inserts = fake.state.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/sobjects/PermissionSetAssignment'),
      );
      expect(inserts.map((r) => r.body)).toEqual([
        {
          AssigneeId: fake.state.userId('alice@acme.test'),
          PermissionSetId: fake.state.permissionSetId('Reports_Export'),
        },
      ]);
    });

    it('takes a permission set Id as externalId and a User Id as account', async () => {
      const byId = entitlement('permission', fake.state.permissionSetId('Api_Access'));
      await tokenConnector().grant(change(fake.state.userId('carol@acme.test'), byId));
      expect(fake.state.assigneesOf('Api_Access')).toEqual(['carol@acme.test']);
      expect(await tokenConnector().listMembers(byId)).toEqual(['carol@acme.test']);
    });

    it('removes the assignment, and revoking what is gone succeeds', async () => {
      await tokenConnector().grant(change('alice@acme.test', reports));
      await tokenConnector().revoke(change('alice@acme.test', reports));
      await tokenConnector().revoke(change('alice@acme.test', reports));
      expect(fake.state.assigneesOf('Reports_Export')).toEqual([]);
    });

    it('an assignment made by someone else between our look and our insert (DUPLICATE_VALUE) counts as granted', async () => {
      fake.state.faults.add({
        method: 'POST',
        path: '/sobjects/PermissionSetAssignment',
        status: 400,
        body: [{ message: 'Duplicate PermissionSetAssignment', errorCode: 'DUPLICATE_VALUE', fields: [] }],
      });
      await tokenConnector().grant(change('alice@acme.test', reports));
    });

    it('an unknown user is ACCOUNT_NOT_FOUND on grant, and revoking them succeeds', async () => {
      const failure = await failureOf(tokenConnector().grant(change('nobody@acme.test', reports)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
      expect(failure.nonRetryable).toBe(true);
      await tokenConnector().revoke(change('nobody@acme.test', reports));
    });

    it('an unknown permission set is ENTITLEMENT_NOT_FOUND on grant, revoke and list', async () => {
      const missing = entitlement('permission', 'No_Such_Set');
      for (const work of [
        () => tokenConnector().grant(change('alice@acme.test', missing)),
        () => tokenConnector().revoke(change('alice@acme.test', missing)),
        () => tokenConnector().listMembers(missing),
      ]) {
        const failure = await failureOf(work());
        expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT);
        expect(failure.nonRetryable).toBe(true);
      }
    });

    it('a username with a quote cannot break out of the SOQL literal', async () => {
      const failure = await failureOf(tokenConnector().grant(change("x' OR Username != 'y", reports)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT);
    });

    it('lists every assignee across query pages linked by nextRecordsUrl', async () => {
      await fake.close();
      const crowd = Array.from({ length: 8 }, (_, i) => `user${i}@acme.test`);
      await start({ users: crowd.map((username) => ({ username })), pageSize: 3 });
      for (const username of crowd) await tokenConnector().grant(change(username, reports));
      expect((await tokenConnector().listMembers(reports)).sort()).toEqual(crowd);
      const more = fake.state.requests.filter((r) => r.path.includes('/query/01gFAKE'));
      expect(more).toHaveLength(2);
    });
  });

  describe('roles (role entitlements)', () => {
    const rep = entitlement('role', 'Sales_Rep');
    const manager = entitlement('role', 'Sales_Manager');

    beforeEach(() => start());

    it('setting a role replaces the previous one; revoking the old one leaves the new one', async () => {
      await tokenConnector().grant(change('bob@acme.test', manager));
      expect(fake.state.roleOf('bob@acme.test')).toBe('Sales_Manager');
      await tokenConnector().revoke(change('bob@acme.test', rep));
      expect(fake.state.roleOf('bob@acme.test')).toBe('Sales_Manager');
      expect(await tokenConnector().listMembers(manager)).toEqual(['bob@acme.test']);
      expect(await tokenConnector().listMembers(rep)).toEqual([]);
    });

    it('revoking the role the user has clears it, and revoking again succeeds', async () => {
      await tokenConnector().revoke(change('bob@acme.test', rep));
      expect(fake.state.roleOf('bob@acme.test')).toBeNull();
      await tokenConnector().revoke(change('bob@acme.test', rep));
      const patches = fake.state.requests.filter((r) => r.method === 'PATCH');
      expect(patches.map((r) => r.body)).toEqual([{ UserRoleId: null }]);
    });

    it('granting the role the user has writes nothing; a role Id works as externalId', async () => {
      await tokenConnector().grant(change('bob@acme.test', entitlement('role', fake.state.roleId('Sales_Rep'))));
      expect(fake.state.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    });

    it('an unknown role is ENTITLEMENT_NOT_FOUND; a group entitlement CONNECTOR_MISCONFIGURED', async () => {
      expect((await failureOf(tokenConnector().grant(change('bob@acme.test', entitlement('role', 'CEO'))))).type).toBe(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
      );
      expect(
        (await failureOf(tokenConnector().grant(change('bob@acme.test', entitlement('group', 'Everyone'))))).type,
      ).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
    });

    it('a user deleted between the lookup and the update (404 NOT_FOUND) is ACCOUNT_NOT_FOUND', async () => {
      fake.state.faults.add({
        method: 'PATCH',
        status: 404,
        body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
      });
      expect((await failureOf(tokenConnector().grant(change('alice@acme.test', rep)))).type).toBe(
        CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
      );
    });
  });

  describe('errors', () => {
    const reports = entitlement('permission', 'Reports_Export');

    beforeEach(() => start());

    it('an invalid or expired access token (401 INVALID_SESSION_ID) is a permanent CONNECTOR_UNAUTHORIZED', async () => {
      fake.state.validTokens.clear();
      const failure = await failureOf(tokenConnector().grant(change('alice@acme.test', reports)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('INVALID_SESSION_ID');
      expect(failure.message).not.toContain(token);
    });

    it('an unset token variable is a permanent CONNECTOR_MISCONFIGURED naming the variable', async () => {
      const failure = await failureOf(tokenConnector({}).grant(change('alice@acme.test', reports)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(TOKEN_ENV);
    });

    it('REQUEST_LIMIT_EXCEEDED is retryable', async () => {
      fake.state.faults.add({
        status: 403,
        body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
      });
      const failure = await failureOf(tokenConnector().grant(change('alice@acme.test', reports)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(failure.nonRetryable).toBe(false);
    });

    it('a 503 with Retry-After is retried after it, once, by Temporal: jsforce does not retry by itself', async () => {
      fake.state.faults.add({
        method: 'GET',
        status: 503,
        headers: { 'Retry-After': '30' },
        body: [{ message: 'down', errorCode: 'SERVER_UNAVAILABLE' }],
      });
      const failure = await failureOf(tokenConnector().listMembers(reports));
      expect(failure.type).toBe(CONNECTOR_FAILURE.RATE_LIMITED);
      expect(nextRetryDelayMs(failure)).toBe(30_000);
      expect(fake.state.requests.filter((r) => r.path.endsWith('/query'))).toHaveLength(1);
    });

    it('a 500 and an unreachable org are retryable', async () => {
      fake.state.faults.add({ status: 500, body: [{ message: 'boom', errorCode: 'UNKNOWN_EXCEPTION' }] });
      const answered = await failureOf(tokenConnector().grant(change('alice@acme.test', reports)));
      expect(answered.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(targetRefused(answered)).toBe(true);
      await fake.close();
      const offline = await failureOf(tokenConnector().grant(change('alice@acme.test', reports)));
      expect(offline.type).toBe(CONNECTOR_FAILURE.RETRYABLE);
      expect(offline.nonRetryable).toBe(false);
      expect(targetRefused(offline)).toBe(false); // no answer: it may have been applied
    });
  });

  describe('client credentials flow', () => {
    const reports = entitlement('permission', 'Reports_Export');
    let clientId: string;
    let clientSecret: string;

    const clientConnector = (secret = clientSecret): SalesforceConnector =>
      createSalesforceConnector(
        { instanceUrl: fake.url, clientIdEnv: CLIENT_ID_ENV, clientSecretEnv: CLIENT_SECRET_ENV },
        { [CLIENT_ID_ENV]: clientId, [CLIENT_SECRET_ENV]: secret },
      );

    beforeEach(async () => {
      clientId = `3MVG9fake${randomUUID()}`;
      clientSecret = `fake-secret-${randomUUID()}`;
      await start({ accessToken: undefined, clientId, clientSecret });
    });

    it('gets a token from /services/oauth2/token and uses it', async () => {
      await clientConnector().grant(change('alice@acme.test', reports));
      expect(fake.state.assigneesOf('Reports_Export')).toEqual(['alice@acme.test']);
      const tokenCalls = fake.state.requests.filter((r) => r.path === '/services/oauth2/token');
      expect(tokenCalls).toHaveLength(1);
      expect(tokenCalls[0].body).toEqual({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      });
    });

    it('replaces a token that expired mid-way and carries on', async () => {
      const connector = clientConnector();
      await connector.grant(change('alice@acme.test', reports));
      fake.state.validTokens.clear();
      await connector.grant(change('carol@acme.test', reports));
      expect(fake.state.assigneesOf('Reports_Export')).toEqual(['alice@acme.test', 'carol@acme.test']);
      expect(fake.state.requests.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2);
    });

    it('wrong client credentials are a permanent CONNECTOR_UNAUTHORIZED that never shows the secret', async () => {
      const wrong = `fake-secret-${randomUUID()}`;
      const failure = await failureOf(clientConnector(wrong).grant(change('alice@acme.test', reports)));
      expect(failure.type).toBe(CONNECTOR_FAILURE.UNAUTHORIZED);
      expect(failure.message).toContain('invalid_client');
      expect(failure.message).not.toContain(wrong);
      expect(failure.message).not.toContain(clientId);
    });

    it('checkConnection reports ok, and wrong credentials without throwing', async () => {
      expect(await clientConnector().checkConnection()).toEqual({
        ok: true,
        message: expect.stringContaining('daily API requests left'),
      });
      expect(await clientConnector('nope').checkConnection()).toEqual({
        ok: false,
        message: expect.stringContaining('invalid_client'),
      });
    });
  });

  describe('checkConnection with an access token', () => {
    beforeEach(() => start());

    it('reports the org, an invalid token and an unset variable without throwing', async () => {
      expect(await tokenConnector().checkConnection()).toEqual({
        ok: true,
        message: expect.stringContaining(`Salesforce org at ${fake.url} reachable`),
      });
      expect(await tokenConnector({ [TOKEN_ENV]: 'expired' }).checkConnection()).toEqual({
        ok: false,
        message: expect.stringContaining('INVALID_SESSION_ID'),
      });
      expect(await tokenConnector({}).checkConnection()).toEqual({
        ok: false,
        message: expect.stringContaining(TOKEN_ENV),
      });
    });
  });

  describe('accountForEmail', () => {
    beforeEach(() => start());

    it('answers the Username equal to the email, or null', async () => {
      expect(await tokenConnector().accountForEmail('carol@acme.test')).toBe('carol@acme.test');
      expect(await tokenConnector().accountForEmail("o'brien@acme.test")).toBeNull();
    });
  });

  it('refuses a config with both or neither auth mode, or without instanceUrl: CONNECTOR_MISCONFIGURED', async () => {
    for (const config of [
      { instanceUrl: 'https://acme.my.salesforce.com', tokenEnv: 'A', clientIdEnv: 'B', clientSecretEnv: 'C' },
      { instanceUrl: 'https://acme.my.salesforce.com' },
      { tokenEnv: 'A' },
      { instanceUrl: 'https://acme.my.salesforce.com', tokenEnv: 'A', apiVersion: 'v61' },
      { instanceUrl: 'https://acme.lightning.force.com', tokenEnv: 'A' },
    ]) {
      const failure = await failureOf(Promise.resolve().then(() => createSalesforceConnector(config, {})));
      expect(failure.type).toBe(CONNECTOR_FAILURE.MISCONFIGURED);
    }
  });
});
