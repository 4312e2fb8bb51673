/**
 * A revoke whose target keeps failing: the revocation is retried until it succeeds, and meanwhile the API
 * says so. The revoke call itself answers 503 with Retry-After once its deadline passes (the access is not
 * gone yet); further revokes and extensions answer 409 ACCESS_ENDING; a pending extension is rejected
 * because the access ended; when the target recovers the access is revoked once.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createConnector } from '@gatehouse/connectors';
import { eventually } from '../support/harness';
import { demoAppBody, inProcessStack, people, type Answer, type InProcessStack } from './support/in-process';

jest.setTimeout(120_000);

/** Apps whose target refuses every revoke (retryably) for now. */
const failingRevokes = new Set<string>();

let stack: InProcessStack;
beforeAll(async () => {
  stack = await inProcessStack({
    config: { temporalDeadlines: { startMs: 5_000, updateMs: 4_000 } },
    connectorFor: (app, deps) => {
      const real = createConnector(app.id, app.connector, deps);
      return {
        type: real.type,
        grant: (c) => real.grant(c),
        revoke: async (c) => {
          if (failingRevokes.has(app.id))
            throw ApplicationFailure.create({ type: 'CONNECTOR_RETRYABLE', message: 'target answered 503' });
          return real.revoke(c);
        },
        listMembers: (e) => real.listMembers(e),
        checkConnection: () => real.checkConnection(),
      };
    },
  });
});
afterAll(() => stack?.close());

/** Retried with the same Idempotency-Key while it answers 503: this file's update deadline is short. */
async function untilDone(
  as: Parameters<InProcessStack['call']>[0],
  path: string,
  body: unknown,
  key: string,
): Promise<Answer> {
  return eventually(
    async () => {
      const res = await stack.call(as, 'POST', path, body, { 'idempotency-key': key });
      return res.status === 503 ? null : res;
    },
    60_000,
    `POST ${path}`,
  );
}

const ticket = async (id: string) => (await stack.call(people.root, 'GET', `/tickets/${id}`)).body;

test('while a revoke retries against a failing target: 503 for the revoke, 409 ACCESS_ENDING for more revokes and extensions, the pending extension is rejected, then revoked once', async () => {
  const appId = `app-${Math.random().toString(36).slice(2, 10)}`;
  expect((await stack.call(people.root, 'PUT', `/apps/${appId}`, demoAppBody())).status).toBe(201);
  const requester = people.requester('ending-user');
  const created = await untilDone(
    requester,
    '/tickets',
    {
      appId,
      changes: [{ op: 'add', entitlementId: 'eng' }],
      duration: { type: 'limited', end: new Date(Date.now() + 3600_000).toISOString() },
    },
    'ending-create',
  );
  const id = created.body.id as string;
  expect((await untilDone(people.carol, `/tickets/${id}/approve`, {}, 'ending-approve')).status).toBe(200);
  await eventually(async () => (await ticket(id)).access.state === 'active', 20_000, `${id} active`);
  const extension = await untilDone(
    requester,
    `/tickets/${id}/extend`,
    { end: new Date(Date.now() + 7200_000).toISOString() },
    'ending-extend',
  );
  expect(extension.status).toBe(201);

  failingRevokes.add(appId);
  const revoke = await stack.call(people.root, 'POST', `/tickets/${id}/revoke`, { comment: 'offboarding' });
  expect([revoke.status, revoke.body.code, Number(revoke.headers.get('retry-after')) > 0]).toEqual([
    503,
    'DEPENDENCY_UNAVAILABLE',
    true,
  ]);

  const again = await stack.call(people.root, 'POST', `/tickets/${id}/revoke`, {});
  expect([again.status, again.body.code]).toEqual([409, 'ACCESS_ENDING']);
  const moreTime = await stack.call(requester, 'POST', `/tickets/${id}/extend`, {
    end: new Date(Date.now() + 9000_000).toISOString(),
  });
  expect([moreTime.status, moreTime.body.code]).toEqual([409, 'ACCESS_ENDING']);
  const rejected = await eventually(
    async () => {
      const e = await ticket(extension.body.id);
      return e.status === 'rejected' && e;
    },
    20_000,
    'the pending extension rejected',
  );
  expect(rejected.log[rejected.log.length - 1]).toMatchObject({
    event: 'rejected',
    actor: 'system',
    details: { reason: 'access_ended' },
  });
  expect(await stack.store.demoMemberships.model.countDocuments({ appId, account: 'ending-user' }).exec()).toBe(1);

  failingRevokes.delete(appId);
  const revoked = await eventually(
    async () => {
      const t = await ticket(id);
      return t.access.state === 'revoked' && t;
    },
    60_000,
    `${id} revoked once the target recovers`,
  );
  expect(revoked.log.filter((e: { event: string }) => e.event === 'revoked')).toHaveLength(1);
  expect(await stack.store.demoMemberships.model.countDocuments({ appId, account: 'ending-user' }).exec()).toBe(0);
});
