import { ApplicationFailure } from '@temporalio/common';
import { createConnector, type Connector } from '@gatehouse/connectors';
import { eventually, openTestClient } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

/** Entitlements whose grant fails permanently in this stack's target (for "a failed modify keeps the old access"). */
const brokenGrants = new Set<string>();

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    worker: {
      connectorFor: (app, deps) => {
        const real = createConnector(app.id, app.connector, deps);
        const wrapped: Connector = {
          type: real.type,
          grant: async (c) => {
            if (brokenGrants.has(`${app.id}:${c.entitlement.id}`)) {
              throw ApplicationFailure.create({
                type: 'ENTITLEMENT_NOT_FOUND',
                message: `${c.entitlement.externalId} does not exist in the target`,
                nonRetryable: true,
              });
            }
            return real.grant(c);
          },
          revoke: (c) => real.revoke(c),
          listMembers: (e) => real.listMembers(e),
          checkConnection: () => real.checkConnection(),
        };
        return wrapped;
      },
    },
  });
});
afterAll(async () => stack?.stop());

const alice = () => stack.as(users.alice);
const carol = () => stack.as(users.carol);
const root = () => stack.as(users.root);
const secondsFromNow = (s: number) => new Date(Date.now() + s * 1000).toISOString();

async function grantedTicket(appId: string, duration: object, entitlementId = 'engineering-team', who = alice()) {
  const t = (await who.post('/tickets', { appId, changes: [{ op: 'add', entitlementId }], duration, reason: 'work' }))
    .body;
  await carol().post(`/tickets/${t.id}/approve`, {});
  return waitFor(t.id, 'active', who);
}

async function waitFor(ticketId: string, accessState: string, who = alice(), timeoutMs = 20_000) {
  return eventually(
    async () => {
      const res = await who.get(`/tickets/${ticketId}`);
      return res.body.access?.state === accessState && res.body;
    },
    timeoutMs,
    `${ticketId} access ${accessState}`,
  );
}

async function parentOf(workflowId: string): Promise<string | undefined> {
  const { client, connection } = await openTestClient();
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.parentExecution?.workflowId ?? undefined;
  } finally {
    await connection.close();
  }
}

const events = (t: { log: { event: string }[] }) => t.log.map((e) => e.event);

describe('extend', () => {
  test('access is extended twice, expires, and is re-raised: one chain of tickets, one tree of workflows', async () => {
    const appId = await createApp(stack, { policy: { maxDurationSeconds: 3600, reraiseWindowSeconds: 600 } });
    const original = await grantedTicket(appId, { type: 'limited', end: secondsFromNow(5) });
    const firstEnd = original.access.end;

    const ext1 = await alice().post(`/tickets/${original.id}/extend`, {
      end: secondsFromNow(8),
      reason: 'incident still open',
    });
    expect(ext1.status).toBe(201);
    expect(ext1.body).toMatchObject({ type: 'extend', action: 'add', status: 'pending', parentTicketId: original.id });
    expect(ext1.body.duration.start).toBe(original.access.start);
    const own = await alice().post(`/tickets/${ext1.body.id}/approve`, {});
    expect([own.status, own.body.code]).toEqual([403, 'NOT_AN_APPROVER']);
    await carol().post(`/tickets/${ext1.body.id}/approve`, {});
    const extended = await eventually(
      async () => {
        const t = (await alice().get(`/tickets/${original.id}`)).body;
        return t.access.end === ext1.body.duration.end && t;
      },
      10_000,
      'the end to move',
    );
    expect(extended.access.state).toBe('active');
    expect(Date.parse(extended.access.end)).toBeGreaterThan(Date.parse(firstEnd));
    expect(events(extended)).toEqual(['created', 'approved', 'applying', 'granted', 'extended']);
    expect((await waitFor(ext1.body.id, 'active')).log.map((e: { event: string }) => e.event)).toContain('extended');
    const grants = (await alice().get(`/grants?appId=${appId}`)).body;
    expect(grants).toEqual([expect.objectContaining({ ticketId: original.id, end: ext1.body.duration.end })]);

    const ext2 = await alice().post(`/tickets/${original.id}/extend`, {
      end: secondsFromNow(9),
      reason: 'one more day',
    });
    await carol().post(`/tickets/${ext2.body.id}/approve`, {});
    await eventually(
      async () => (await alice().get(`/tickets/${original.id}`)).body.access.end === ext2.body.duration.end,
      10_000,
      'second move',
    );

    const expired = await waitFor(original.id, 'expired');
    expect(events(expired)).toEqual(['created', 'approved', 'applying', 'granted', 'extended', 'extended', 'expired']);
    expect(expired.access.end).toBe(ext2.body.duration.end);
    expect(expired.childTicketIds).toEqual([ext1.body.id, ext2.body.id]);
    expect(await stack.store.demoMemberships.members(appId, 'engineering-team')).toEqual([]);

    const late = await alice().post(`/tickets/${original.id}/extend`, { end: inHours(1), reason: 'x' });
    expect([late.status, late.body.code]).toEqual([409, 'ACCESS_NOT_ACTIVE']);

    const again = await alice().post(`/tickets/${original.id}/reraise`, {
      duration: { type: 'limited', end: inHours(0.5) },
      reason: 'needed again',
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ type: 'reraise', parentTicketId: original.id, status: 'pending' });
    await carol().post(`/tickets/${again.body.id}/approve`, {});
    await waitFor(again.body.id, 'active');

    // The Temporal UI's tree: every ticket of this access is a child of the original workflow.
    expect(await parentOf(ext1.body.id)).toBe(original.id);
    expect(await parentOf(ext2.body.id)).toBe(original.id);
    expect(await parentOf(again.body.id)).toBe(original.id);
    expect(await parentOf(original.id)).toBeUndefined();
    expect((await alice().get(`/tickets/${original.id}`)).body.childTicketIds).toEqual([
      ext1.body.id,
      ext2.body.id,
      again.body.id,
    ]);
  });

  test('a rejected extension leaves the original end; the maximum counts from now; a second pending extension is 409', async () => {
    const appId = await createApp(stack, { policy: { maxDurationSeconds: 3600 } });
    const t = await grantedTicket(appId, { type: 'limited', end: inHours(0.5) });
    const tooFar = await alice().post(`/tickets/${t.id}/extend`, { end: inHours(1.5), reason: 'x' });
    expect([tooFar.status, tooFar.body.code, tooFar.body.flags?.[0]?.code]).toEqual([
      422,
      'POLICY_VIOLATION',
      'MAX_DURATION_EXCEEDED',
    ]);
    const backwards = await alice().post(`/tickets/${t.id}/extend`, { end: inHours(0.25), reason: 'x' });
    expect(backwards.status).toBe(400);
    const ext = await alice().post(`/tickets/${t.id}/extend`, { end: inHours(0.9), reason: 'x' });
    expect(ext.status).toBe(201);
    const dup = await alice().post(`/tickets/${t.id}/extend`, { end: inHours(0.8), reason: 'x' });
    expect([dup.status, dup.body.code]).toEqual([409, 'DUPLICATE_OPEN_TICKET']);
    const stranger = await stack.as(users.mallory).post(`/tickets/${t.id}/extend`, { end: inHours(0.9), reason: 'x' });
    expect(stranger.status).toBe(404);
    await carol().post(`/tickets/${ext.body.id}/reject`, { comment: 'no' });
    const after = (await alice().get(`/tickets/${t.id}`)).body;
    expect(after.access.end).toBe(t.access.end);
    expect(events(after)).not.toContain('extended');
    const reraiseActive = await alice().post(`/tickets/${t.id}/reraise`, {
      duration: { type: 'limited', end: inHours(1) },
      reason: 'x',
    });
    expect([reraiseActive.status, reraiseActive.body.code]).toEqual([409, 'ACCESS_NOT_EXPIRED']);
    const indefinite = await grantedTicket(await createApp(stack), { type: 'indefinite' });
    const notLimited = await alice().post(`/tickets/${indefinite.id}/extend`, { end: inHours(1), reason: 'x' });
    expect([notLimited.status, notLimited.body.code]).toEqual([409, 'ACCESS_NOT_ACTIVE']);
  });

  test('revoking access while an extension is pending rejects the extension with a logged reason', async () => {
    const appId = await createApp(stack);
    const t = await grantedTicket(appId, { type: 'limited', end: inHours(1) });
    const ext = (await alice().post(`/tickets/${t.id}/extend`, { end: inHours(2), reason: 'x' })).body;
    const revoked = await root().post(`/tickets/${t.id}/revoke`, { comment: 'incident over' });
    expect(revoked.body.access.state).toBe('revoked');
    const rejected = await eventually(
      async () => {
        const e = (await alice().get(`/tickets/${ext.id}`)).body;
        return e.status === 'rejected' && e;
      },
      10_000,
      'extension rejected',
    );
    expect(rejected.log[rejected.log.length - 1]).toMatchObject({
      event: 'rejected',
      actor: 'system',
      details: { reason: 'access_ended' },
    });
    expect(rejected.log[rejected.log.length - 1].comment).toContain('revoked');
  });
});

describe('re-raise after the window', () => {
  test('once the expired workflow has closed, a re-raise is a new top-level workflow linked by parentTicketId', async () => {
    const appId = await createApp(stack, { policy: { reraiseWindowSeconds: 1 } });
    const t = await grantedTicket(appId, { type: 'limited', end: secondsFromNow(2) });
    await waitFor(t.id, 'expired');
    await new Promise((r) => setTimeout(r, 1500));
    const again = await alice().post(`/tickets/${t.id}/reraise`, {
      duration: { type: 'limited', end: inHours(1) },
      reason: 'back again',
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ type: 'reraise', parentTicketId: t.id });
    expect(await parentOf(again.body.id)).toBeUndefined();
    expect((await alice().get(`/tickets/${t.id}`)).body.childTicketIds).toContain(again.body.id);
    await carol().post(`/tickets/${again.body.id}/approve`, {});
    await waitFor(again.body.id, 'active');
  });
});

describe('modify', () => {
  test('role A → role B: B is granted before A is removed', async () => {
    const appId = await createApp(stack);
    await grantedTicket(appId, { type: 'indefinite' }, 'maintainer');
    const move = await alice().post('/tickets', {
      appId,
      changes: [
        { op: 'remove', entitlementId: 'maintainer' },
        { op: 'add', entitlementId: 'engineering-team' },
      ],
      duration: { type: 'indefinite' },
      reason: 'changing teams',
    });
    expect(move.body.action).toBe('modify');
    await carol().post(`/tickets/${move.body.id}/approve`, {});
    await waitFor(move.body.id, 'active');
    const held = (await alice().get(`/grants?appId=${appId}`)).body.map(
      (g: { entitlementId: string }) => g.entitlementId,
    );
    expect(held).toEqual(['engineering-team']);
    expect(await stack.store.demoMemberships.members(appId, 'maintainer')).toEqual([]);
    expect(await stack.store.demoMemberships.members(appId, 'engineering-team')).toEqual(['alice']);
  });

  test('a modify whose grant fails keeps the old access: the user never ends with neither', async () => {
    const appId = await createApp(stack);
    await grantedTicket(appId, { type: 'indefinite' }, 'maintainer');
    brokenGrants.add(`${appId}:engineering-team`);
    const move = (
      await alice().post('/tickets', {
        appId,
        changes: [
          { op: 'remove', entitlementId: 'maintainer' },
          { op: 'add', entitlementId: 'engineering-team' },
        ],
        duration: { type: 'indefinite' },
        reason: 'changing teams',
      })
    ).body;
    await carol().post(`/tickets/${move.id}/approve`, {});
    const failed = await waitFor(move.id, 'failed');
    expect(failed.access.error).toContain('does not exist');
    expect(await stack.store.demoMemberships.members(appId, 'maintainer')).toEqual(['alice']);
    expect(
      (await alice().get(`/grants?appId=${appId}`)).body.map((g: { entitlementId: string }) => g.entitlementId),
    ).toEqual(['maintainer']);

    const notAdmin = await carol().post(`/tickets/${move.id}/retry`, {});
    expect([notAdmin.status, notAdmin.body.code]).toEqual([403, 'FORBIDDEN']);
    brokenGrants.delete(`${appId}:engineering-team`);
    const retried = await root().post(`/tickets/${move.id}/retry`, {});
    expect(retried.status).toBe(202);
    await waitFor(move.id, 'active');
    expect(await stack.store.demoMemberships.members(appId, 'maintainer')).toEqual([]);
    const again = await root().post(`/tickets/${move.id}/retry`, {});
    expect([again.status, again.body.code]).toEqual([409, 'ACCESS_NOT_FAILED']);
  });
});

describe('revoke', () => {
  test('an admin or an approver revokes now; the requester may not; revoking again is 409', async () => {
    const appId = await createApp(stack);
    const t = await grantedTicket(appId, { type: 'limited', end: inHours(2) });
    const byRequester = await alice().post(`/tickets/${t.id}/revoke`, {});
    expect([byRequester.status, byRequester.body.code]).toEqual([403, 'FORBIDDEN']);
    const ok = await stack.as(users.dave).post(`/tickets/${t.id}/revoke`, { comment: 'no longer on call' });
    expect(ok.status).toBe(200);
    expect(ok.body.access).toMatchObject({ state: 'revoked', revokedAt: expect.any(String) });
    expect(ok.body.log[ok.body.log.length - 1]).toMatchObject({
      event: 'revoked',
      actor: 'dave',
      comment: 'no longer on call',
    });
    expect((await alice().get(`/grants?appId=${appId}`)).body).toEqual([]);
    const twice = await root().post(`/tickets/${t.id}/revoke`, {});
    expect([twice.status, twice.body.code]).toEqual([409, 'ACCESS_NOT_ACTIVE']);
  });
});

describe('license seats', () => {
  const licensed = {
    entitlements: [{ id: 'sales-manager', kind: 'role' as const, name: 'Sales Manager', licenseId: 'seat' }],
    licenses: [{ id: 'seat', name: 'Salesforce seat', seats: 1 }],
  };
  const licensedTicket = (appId: string) => ({
    appId,
    changes: [{ op: 'add', entitlementId: 'sales-manager' }],
    duration: { type: 'indefinite' },
    reason: 'quota',
  });

  test('two approvals race for the last seat: one wins, the other is 409 NO_SEAT_AVAILABLE; the seat comes back on revoke', async () => {
    const appId = await createApp(stack, licensed);
    const body = licensedTicket(appId);
    const a = (await alice().post('/tickets', body)).body;
    const b = (await stack.as(users.bob).post('/tickets', body)).body;
    expect(a.licenses).toEqual([{ id: 'seat', name: 'Salesforce seat', seats: 1, used: 0, available: 1 }]);
    const [ra, rb] = await Promise.all([
      carol().post(`/tickets/${a.id}/approve`, {}),
      carol().post(`/tickets/${b.id}/approve`, {}),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([200, 409]);
    const loser = ra.status === 409 ? ra : rb;
    const winner = ra.status === 200 ? a : b;
    const losingTicket = ra.status === 409 ? a : b;
    expect(loser.body.code).toBe('NO_SEAT_AVAILABLE');
    expect((await root().get(`/tickets/${losingTicket.id}`)).body.status).toBe('pending');
    const held = await waitFor(winner.id, 'active', root());
    expect(held.licenses[0]).toMatchObject({ used: 1, available: 0 });

    await root().post(`/tickets/${winner.id}/revoke`, { comment: 'freeing the seat' });
    expect((await root().get(`/tickets/${losingTicket.id}`)).body.licenses[0]).toMatchObject({ used: 0, available: 1 });
    const now = await carol().post(`/tickets/${losingTicket.id}/approve`, {});
    expect(now.status).toBe(200);
    await waitFor(losingTicket.id, 'active', root());
  });

  test('a ticket approved without an approver takes its seat too; with none free the system rejects it', async () => {
    const appId = await createApp(stack, { ...licensed, policy: { approval: { steps: [] } } });
    const body = licensedTicket(appId);
    const a = (await alice().post('/tickets', body)).body;
    const held = await waitFor(a.id, 'active', root());
    expect(held.log.map((e: { event: string }) => e.event).slice(0, 2)).toEqual(['created', 'approved']);
    expect(held.licenses[0]).toMatchObject({ used: 1, available: 0 });

    const b = (await stack.as(users.bob).post('/tickets', body)).body;
    const rejected = await eventually(
      async () => {
        const t = (await root().get(`/tickets/${b.id}`)).body;
        return t.status !== 'pending' && t;
      },
      20_000,
      `${b.id} decided`,
    );
    expect(rejected).toMatchObject({ status: 'rejected', access: { state: 'none' } });
    expect(rejected.log.at(-1)).toMatchObject({
      event: 'rejected',
      actor: 'system',
      comment: 'No seat of Salesforce seat is free (1 in use).',
      details: { reason: 'no_seat_available' },
    });
    expect(rejected.licenses[0]).toMatchObject({ used: 1, available: 0 });
    expect((await stack.as(users.bob).get(`/grants?appId=${appId}`)).body).toEqual([]);

    // The seat comes back on revoke, and the next ticket approved at create takes it.
    await root().post(`/tickets/${a.id}/revoke`, { comment: 'freeing the seat' });
    const again = (await stack.as(users.bob).post('/tickets', body)).body;
    expect((await waitFor(again.id, 'active', root())).licenses[0]).toMatchObject({ used: 1, available: 0 });
  });
});
