/**
 * Access held by tickets, at the activities, against targets we can inspect: the demo connector's
 * memberships (FerretDB) and the Slack fake. Activities run in Temporal's mock activity context.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { App, ApplyAccessInput, RevokeAccessInput, TicketActivities, TicketChange } from '@gatehouse/domain';
import * as connectorsModule from '@gatehouse/connectors';
import type { Connector, ConnectorDeps } from '@gatehouse/connectors';
import { grantKey, type Store } from '@gatehouse/store';
import { openTestStore, uniqueId } from '../../test/support/harness';
import type { RunningFake } from '../../test/fakes/fake-http';
import { startSlackServer, type SlackFakeState } from '../../test/fakes/slack-server';
import { createTicketActivities } from './ticket-activities';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => store?.close());

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

function activitiesFor(
  connectorFor?: (app: App, deps: ConnectorDeps) => Connector,
  env: NodeJS.ProcessEnv = {},
): TicketActivities {
  return createTicketActivities({ store, connectors: { demoMemberships: store.demoMemberships, env }, connectorFor });
}

/** Activities whose connectors are the real ones, but grant through `grant` (given the real connector). */
function grantingThrough(
  grant: (real: Connector, change: Parameters<Connector['grant']>[0]) => ReturnType<Connector['grant']>,
): TicketActivities {
  return activitiesFor((target, deps) => {
    const real = connectorsModule.createConnector(target.id, target.connector, deps);
    return {
      type: real.type,
      grant: (c) => grant(real, c),
      revoke: (c) => real.revoke(c),
      listMembers: (e) => real.listMembers(e),
      checkConnection: () => real.checkConnection(),
    };
  });
}

/** Runs an activity as Temporal would: inside an activity context (heartbeats, cancellation). */
function run<I, O>(activity: (input: I) => Promise<O>, input: I): Promise<O> {
  return new MockActivityEnvironment().run(activity, input);
}

async function demoApp(): Promise<App> {
  const app: App = {
    id: uniqueId('app-'),
    name: 'Demo',
    connector: { type: 'demo', config: {} },
    entitlements: [{ id: 'eng', kind: 'group', name: 'Engineering' }],
    licenses: [],
    policy: { approval: { steps: [] } } as unknown as App['policy'],
  };
  await store.apps.put(app);
  return app;
}

const eng: TicketChange = {
  op: 'add',
  entitlement: { id: 'eng', name: 'Engineering', kind: 'group' },
  fields: {},
} as TicketChange;

function applyInput(app: App, ticketId: string, userId: string, end: string | null): ApplyAccessInput {
  return {
    ticketId,
    appId: app.id,
    beneficiaryId: userId,
    changes: [eng],
    duration: end ? { type: 'limited', start: new Date().toISOString(), end } : { type: 'indefinite' },
  };
}

function revokeInput(
  app: App,
  ticketId: string,
  userId: string,
  reason: 'expired' | 'revoked',
  includePreexisting = false,
): RevokeAccessInput {
  return { ticketId, appId: app.id, beneficiaryId: userId, changes: [eng], reason, includePreexisting };
}

const isMember = async (app: App, userId: string) =>
  (await store.demoMemberships.members(app.id, 'eng')).includes(userId);

describe('a grant held by several tickets', () => {
  const activities = () => activitiesFor();

  test('a later ticket taking over does not let the earlier one’s expiry remove access the other still gives', async () => {
    const app = await demoApp();
    const a = activities();
    // B starts now for 10 minutes; A (scheduled) starts after it and ends first.
    await run(a.applyAccess, applyInput(app, 'TCK-B', 'bob', inMinutes(10)));
    await run(a.applyAccess, applyInput(app, 'TCK-A', 'bob', inMinutes(1)));

    const expiredA = await run(a.revokeAccess, revokeInput(app, 'TCK-A', 'bob', 'expired'));
    expect(expiredA).toMatchObject({ skipped: [], kept: ['eng'] });
    expect(await isMember(app, 'bob')).toBe(true);
    const [grant] = await store.grants.list({ userId: 'bob', appId: app.id });
    expect(grant).toMatchObject({
      state: 'active',
      ticketId: 'TCK-B',
      holders: [expect.objectContaining({ ticketId: 'TCK-B' })],
    });

    const expiredB = await run(a.revokeAccess, revokeInput(app, 'TCK-B', 'bob', 'expired'));
    expect(expiredB.skipped).toEqual([]);
    expect(expiredB.kept).toBeUndefined();
    expect(await isMember(app, 'bob')).toBe(false);
    expect(await store.grants.list({ userId: 'bob', appId: app.id, state: 'expired' })).toEqual([
      expect.objectContaining({ holders: [] }),
    ]);
  });

  test('the effective end is the latest holder’s (indefinite beats any), and an extension moves only its own holder', async () => {
    const app = await demoApp();
    const a = activities();
    const [in1h, in2h, in3h] = [inMinutes(60), inMinutes(120), inMinutes(180)];
    await run(a.applyAccess, applyInput(app, 'TCK-1', 'carol', in1h));
    await run(a.applyAccess, applyInput(app, 'TCK-2', 'carol', in2h));
    expect((await store.grants.activeFor('carol', app.id)).get('eng')).toMatchObject({ end: in2h, ticketId: 'TCK-2' });

    await run(a.extendGrant, {
      ticketId: 'TCK-1',
      appId: app.id,
      beneficiaryId: 'carol',
      entitlementIds: ['eng'],
      end: in3h,
    });
    const extended = (await store.grants.activeFor('carol', app.id)).get('eng')!;
    expect(extended).toMatchObject({ end: in3h, ticketId: 'TCK-1' });
    expect(extended.holders).toEqual(
      expect.arrayContaining([expect.objectContaining({ ticketId: 'TCK-2', end: in2h })]),
    );

    await run(a.applyAccess, applyInput(app, 'TCK-3', 'carol', null));
    expect((await store.grants.activeFor('carol', app.id)).get('eng')).toMatchObject({ end: null, ticketId: 'TCK-3' });
  });

  test('ten tickets granting at once, then nine ending at once while another grants: the membership is there exactly while a holder is', async () => {
    const app = await demoApp();
    const a = activities();
    const tickets = Array.from({ length: 10 }, (_, i) => `TCK-${i}`);
    await Promise.all(tickets.map((t) => run(a.applyAccess, applyInput(app, t, 'dave', inMinutes(10)))));
    expect((await store.grants.holders(app.id, 'dave', 'eng')).map((h) => h.ticketId).sort()).toEqual(
      [...tickets].sort(),
    );

    await Promise.all([
      ...tickets.slice(1).map((t) => run(a.revokeAccess, revokeInput(app, t, 'dave', 'expired'))),
      run(a.applyAccess, applyInput(app, 'TCK-late', 'dave', inMinutes(10))),
    ]);
    expect((await store.grants.holders(app.id, 'dave', 'eng')).map((h) => h.ticketId).sort()).toEqual([
      'TCK-0',
      'TCK-late',
    ]);
    expect(await isMember(app, 'dave')).toBe(true);

    await Promise.all(['TCK-0', 'TCK-late'].map((t) => run(a.revokeAccess, revokeInput(app, t, 'dave', 'revoked'))));
    expect(await isMember(app, 'dave')).toBe(false);
    expect(await store.grants.activeOwner(app.id, 'dave', 'eng')).toBeNull();
  });
});

describe('a revocation run again', () => {
  test('answers as its first run did (revoked, kept) once that run saved, and a ticket that never held is still skipped', async () => {
    const app = await demoApp();
    const a = activitiesFor();
    await run(a.applyAccess, applyInput(app, 'TCK-R1', 'rita', inMinutes(10)));
    await run(a.applyAccess, applyInput(app, 'TCK-R2', 'rita', inMinutes(10)));

    // The first run of each saved its release; the second (a retry, or the activity after a local attempt) finds it done.
    const kept = await run(a.revokeAccess, revokeInput(app, 'TCK-R1', 'rita', 'expired'));
    expect(await run(a.revokeAccess, revokeInput(app, 'TCK-R1', 'rita', 'expired'))).toMatchObject({
      skipped: [],
      kept: ['eng'],
    });
    expect(kept).toMatchObject({ skipped: [], kept: ['eng'] });
    const revoked = await run(a.revokeAccess, revokeInput(app, 'TCK-R2', 'rita', 'expired'));
    const again = await run(a.revokeAccess, revokeInput(app, 'TCK-R2', 'rita', 'expired'));
    expect([revoked, again].map((r) => [r.skipped, r.kept])).toEqual([
      [[], undefined],
      [[], undefined],
    ]);
    expect(await isMember(app, 'rita')).toBe(false);
    expect(await run(a.revokeAccess, revokeInput(app, 'TCK-never', 'rita', 'expired'))).toMatchObject({
      skipped: ['eng'],
    });
  });

  test('remembers the latest twenty releases of a grant, not every one', async () => {
    const app = await demoApp();
    const a = activitiesFor();
    const tickets = Array.from({ length: 22 }, (_, i) => `TCK-M${i}`);
    for (const t of tickets) await run(a.applyAccess, applyInput(app, t, 'mo', inMinutes(10)));
    for (const t of tickets) await run(a.revokeAccess, revokeInput(app, t, 'mo', 'expired'));
    const grant = await store.grants.read(app.id, 'mo', 'eng');
    expect(grant?.released.map((r) => r.ticketId)).toEqual(tickets.slice(2));
    // The oldest is forgotten: run again, it can no longer tell and skips.
    expect(await run(a.revokeAccess, revokeInput(app, tickets[0], 'mo', 'expired'))).toMatchObject({
      skipped: ['eng'],
    });
    expect(await run(a.revokeAccess, revokeInput(app, tickets[21], 'mo', 'expired'))).toMatchObject({ skipped: [] });
  });
});

describe('round trips of a grant', () => {
  test('a first grant reads the grant once (under its lease), not again for its revision when it saves', async () => {
    const app = await demoApp();
    const reads = jest.spyOn(store.grants.model, 'findById');
    try {
      await run(activitiesFor().applyAccess, applyInput(app, 'TCK-RT', 'ruth', inMinutes(5)));
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
    expect(await store.grants.read(app.id, 'ruth', 'eng')).toMatchObject({
      revision: 2,
      holders: [expect.objectContaining({ ticketId: 'TCK-RT' })],
    });
  });
});

describe('the grant path while the app is read', () => {
  test('takes the grant’s lease and reads the grant meanwhile, and writes nothing before it has the app and the account; an app that is gone writes nothing at all', async () => {
    const app = await demoApp();
    let letThrough!: () => void;
    const held = new Promise<void>((r) => (letThrough = r));
    const get = store.apps.get.bind(store.apps);
    const appRead = jest.spyOn(store.apps, 'get').mockImplementation(async (id) => {
      await held;
      return get(id);
    });
    const reads = jest.spyOn(store.grants.model, 'findById');
    const saves = jest.spyOn(store.grants.model, 'replaceOne');
    try {
      const applied = run(activitiesFor().applyAccess, applyInput(app, 'TCK-P', 'pia', inMinutes(5)));
      for (let i = 0; i < 200 && reads.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(reads).toHaveBeenCalledTimes(1);
      expect(saves).not.toHaveBeenCalled();
      letThrough();
      await applied;
      expect(await isMember(app, 'pia')).toBe(true);

      const gone = { ...app, id: uniqueId('gone-') };
      saves.mockClear();
      await expect(run(activitiesFor().applyAccess, applyInput(gone, 'TCK-Q', 'quin', inMinutes(5)))).rejects.toThrow(
        'no longer exists',
      );
      expect(saves).not.toHaveBeenCalled();
      expect(await store.grants.read(gone.id, 'quin', 'eng')).toBeNull();
    } finally {
      appRead.mockRestore();
      reads.mockRestore();
      saves.mockRestore();
    }
  });
});

describe('the grant feed on the grant path', () => {
  test('the target is called while the mark’s feed row is still being written, and the grant is not answered (nor its lease let go) before that row has landed', async () => {
    const app = await demoApp();
    const key = grantKey(app.id, 'hana', 'eng');
    const feed = store.grants.feed;
    const append = feed.append.bind(feed);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const rows: { granting: string[]; holders: number }[] = [];
    let held = false;
    const spy = jest.spyOn(feed, 'append').mockImplementation(async (row) => {
      if (row._id !== key) return append(row);
      // The first row of this grant (the mark) waits until the test lets it through.
      const first = !held;
      held = true;
      if (first) await released;
      rows.push({ granting: row.granting ?? [], holders: row.holders?.length ?? 0 });
      return append(row);
    });
    try {
      let called = false;
      const a = grantingThrough((real, c) => {
        called = true;
        return real.grant(c);
      });
      let answered = false;
      const applied = run(a.applyAccess, applyInput(app, 'TCK-H', 'hana', inMinutes(5))).then(() => {
        answered = true;
      });
      for (let i = 0; i < 200 && !(called && rows.length === 1); i++) await new Promise((r) => setTimeout(r, 25));
      // The target was called and the final row written while the mark's row waits.
      expect(called).toBe(true);
      expect(rows).toEqual([{ granting: [], holders: 1 }]);
      expect(answered).toBe(false);
      release();
      await applied;
      expect(rows).toEqual([
        { granting: [], holders: 1 },
        { granting: ['TCK-H'], holders: 0 },
      ]);
      // The rows arrived out of order; the index keeps the newest revision, the granted one.
      await store.grants.index.load();
      const listed = await store.grants.pageFromIndex({ appId: app.id, limit: 10 });
      expect(listed.items.map((g) => [g.userId, g.state])).toEqual([['hana', 'active']]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('access the person held before Gatehouse granted it', () => {
  test('is reported as already held, survives the expiry of the ticket, and an admin’s revoke removes it', async () => {
    const app = await demoApp();
    const a = activitiesFor();
    await store.demoMemberships.add(app.id, 'erin', 'eng');
    await store.demoMemberships.add(app.id, 'frank', 'eng');

    expect(await run(a.applyAccess, applyInput(app, 'TCK-E', 'erin', inMinutes(1)))).toMatchObject({
      alreadyHeld: ['eng'],
    });
    expect(await run(a.revokeAccess, revokeInput(app, 'TCK-E', 'erin', 'expired'))).toMatchObject({ kept: ['eng'] });
    expect(await isMember(app, 'erin')).toBe(true);
    // A non-admin's revoke leaves it too.
    expect(await run(a.applyAccess, applyInput(app, 'TCK-E2', 'erin', inMinutes(1)))).toMatchObject({
      alreadyHeld: ['eng'],
    });
    await run(a.revokeAccess, revokeInput(app, 'TCK-E2', 'erin', 'revoked'));
    expect(await isMember(app, 'erin')).toBe(true);

    expect(await run(a.applyAccess, applyInput(app, 'TCK-F', 'frank', inMinutes(1)))).toMatchObject({
      alreadyHeld: ['eng'],
    });
    await run(a.revokeAccess, revokeInput(app, 'TCK-F', 'frank', 'revoked', true));
    expect(await isMember(app, 'frank')).toBe(false);
  });

  test('access Gatehouse granted is not taken for the person’s own when the grant is retried after a crash before it was recorded', async () => {
    const app = await demoApp();
    let crashOnce = true;
    const a = grantingThrough(async (real, c) => {
      const outcome = await real.grant(c);
      if (crashOnce) {
        crashOnce = false;
        throw new Error('worker lost after the target granted');
      }
      return outcome;
    });
    await expect(run(a.applyAccess, applyInput(app, 'TCK-G', 'gina', inMinutes(1)))).rejects.toThrow('worker lost');
    expect(await isMember(app, 'gina')).toBe(true);
    const retried = await run(a.applyAccess, applyInput(app, 'TCK-G', 'gina', inMinutes(1)));
    expect(retried.alreadyHeld).toBeUndefined();
    await run(a.revokeAccess, revokeInput(app, 'TCK-G', 'gina', 'expired'));
    expect(await isMember(app, 'gina')).toBe(false);
  });

  /** A connector over the demo target whose first grant fails with `failure` before reaching the membership. */
  function failingFirstGrant(failure: Error) {
    let failOnce = true;
    return grantingThrough(async (real, c) => {
      if (failOnce) {
        failOnce = false;
        throw failure;
      }
      return real.grant(c);
    });
  }

  test('survives expiry when the first grant attempt was refused by the target (a 503) and the retry found it', async () => {
    const app = await demoApp();
    await store.demoMemberships.add(app.id, 'kim', 'eng');
    const a = failingFirstGrant(connectorsModule.ConnectorFailure.retryable('the target is unavailable'));
    await expect(run(a.applyAccess, applyInput(app, 'TCK-K', 'kim', inMinutes(1)))).rejects.toThrow('unavailable');
    expect(await run(a.applyAccess, applyInput(app, 'TCK-K', 'kim', inMinutes(1)))).toMatchObject({
      alreadyHeld: ['eng'],
    });
    expect(await run(a.revokeAccess, revokeInput(app, 'TCK-K', 'kim', 'expired'))).toMatchObject({ kept: ['eng'] });
    expect(await isMember(app, 'kim')).toBe(true);
  });

  test('after a first attempt without an answer, the retry cannot tell and treats the access as the ticket’s', async () => {
    const app = await demoApp();
    await store.demoMemberships.add(app.id, 'lou', 'eng');
    const a = failingFirstGrant(connectorsModule.ConnectorFailure.unreachable('the target did not answer in time'));
    await expect(run(a.applyAccess, applyInput(app, 'TCK-L', 'lou', inMinutes(1)))).rejects.toThrow('did not answer');
    expect((await run(a.applyAccess, applyInput(app, 'TCK-L', 'lou', inMinutes(1)))).alreadyHeld).toBeUndefined();
  });

  test('a ticket that failed after its grant reached the target removes it when revoked', async () => {
    const app = await demoApp();
    const a = grantingThrough(async (real, c) => {
      await real.grant(c);
      throw new Error('the target timed out after applying the change');
    });
    await expect(run(a.applyAccess, applyInput(app, 'TCK-H', 'hal', inMinutes(1)))).rejects.toThrow('timed out');
    expect(await run(a.revokeAccess, revokeInput(app, 'TCK-H', 'hal', 'revoked'))).toMatchObject({ skipped: [] });
    expect(await isMember(app, 'hal')).toBe(false);
  });
});

describe('grants written before holders existed', () => {
  test('are migrated to one holder each, once; a running workflow’s revoke works before and after', async () => {
    const app = await demoApp();
    const now = new Date().toISOString();
    const old = (userId: string, state: string, ticketId: string) => ({
      _id: grantKey(app.id, userId, 'eng'),
      userId,
      appId: app.id,
      entitlementId: 'eng',
      state,
      start: now,
      end: inMinutes(5),
      ticketId,
      updatedAt: now,
    });
    await store.grants.model.collection.insertMany([
      old('ivan', 'active', 'TCK-I'),
      old('judy', 'active', 'TCK-J'),
      old('kim', 'expired', 'TCK-K'),
    ] as never[]);
    for (const u of ['ivan', 'judy']) await store.demoMemberships.add(app.id, u, 'eng');

    // Before the migration: the old shape reads as one holder.
    await run(activitiesFor().revokeAccess, revokeInput(app, 'TCK-J', 'judy', 'expired'));
    expect(await isMember(app, 'judy')).toBe(false);

    expect(await store.grants.migrateToHolders()).toBeGreaterThanOrEqual(2);
    expect(await store.grants.migrateToHolders()).toBe(0);
    const ivan = await store.grants.model
      .findById(grantKey(app.id, 'ivan', 'eng'))
      .lean()
      .exec();
    expect(ivan).toMatchObject({
      state: 'active',
      ticketId: 'TCK-I',
      holders: [{ ticketId: 'TCK-I', start: now, end: expect.any(String) }],
      preexisting: false,
    });
    const kim = await store.grants.model
      .findById(grantKey(app.id, 'kim', 'eng'))
      .lean()
      .exec();
    expect(kim).toMatchObject({ state: 'expired', holders: [] });

    await run(activitiesFor().revokeAccess, revokeInput(app, 'TCK-I', 'ivan', 'expired'));
    expect(await isMember(app, 'ivan')).toBe(false);
  });
});

describe('Slack user groups changed from two workers at once', () => {
  const TOKEN_ENV = 'GATEHOUSE_TEST_SLACK_TOKEN';
  let fake: RunningFake<SlackFakeState>;
  let token: string;
  const newcomers = Array.from({ length: 8 }, (_, i) => ({ id: `UNEW${i}`, name: `new${i}` }));

  beforeAll(async () => {
    token = `xoxb-fake-${randomUUID()}`;
    fake = await startSlackServer({
      token,
      users: [{ id: 'UBOB', name: 'bob' }, ...newcomers],
      usergroups: [{ id: 'SENG', handle: 'engineering', users: ['UBOB'] }],
    });
    // Reads answer slowly, so that read-modify-writes that are not serialized really overlap.
    fake.state.usersListDelayMs = 20;
  });
  afterAll(async () => fake?.close());

  /** A worker process of its own: its own copy of the connectors (and of their in-process serialization). */
  function workerConnectors(): typeof connectorsModule {
    let isolated!: typeof connectorsModule;
    jest.isolateModules(() => {
      isolated = jest.requireActual<typeof connectorsModule>('@gatehouse/connectors');
    });
    return isolated;
  }

  test('every user added through either worker stays a member; removals through both take effect', async () => {
    const app: App = {
      id: uniqueId('slack-'),
      name: 'Slack',
      connector: { type: 'slack', config: { apiUrl: fake.url, tokenEnv: TOKEN_ENV } },
      entitlements: [{ id: 'eng', kind: 'group', name: 'Engineering', externalId: 'SENG' }],
      licenses: [],
      policy: { approval: { steps: [] } } as unknown as App['policy'],
    };
    await store.apps.put(app);
    for (const n of newcomers) await store.users.put(n.name, { accounts: { slack: n.id } });
    const env = { [TOKEN_ENV]: token };
    const workers = [workerConnectors(), workerConnectors()].map((c) =>
      activitiesFor((a, deps) => c.createConnector(a.id, a.connector, deps), env),
    );
    expect(workers[0]).not.toBe(workers[1]);

    await Promise.all(
      newcomers.map((n, i) => run(workers[i % 2].applyAccess, applyInput(app, `TCK-${n.name}`, n.name, inMinutes(10)))),
    );
    expect([...fake.state.usergroups.get('SENG')!.users].sort()).toEqual(
      ['UBOB', ...newcomers.map((n) => n.id)].sort(),
    );

    const leaving = newcomers.slice(0, 4);
    await Promise.all(
      leaving.map((n, i) => run(workers[i % 2].revokeAccess, revokeInput(app, `TCK-${n.name}`, n.name, 'expired'))),
    );
    expect([...fake.state.usergroups.get('SENG')!.users].sort()).toEqual(
      ['UBOB', ...newcomers.slice(4).map((n) => n.id)].sort(),
    );
  });
});
