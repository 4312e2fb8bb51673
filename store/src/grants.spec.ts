/**
 * The admin console's grant list must answer from memory exactly as the database query does. Random
 * grants are saved through the repository (under their leases, as the activities save them) from two
 * stores standing in for two processes; random pages (each filter, ending within, cursors) then compare
 * `pageFromIndex` with `pageFromDatabase` on the same FerretDB.
 */
import { openTestStore, sameDatabase } from '../../test/support/harness';
import { Random } from '../../test/random/prng';
import { expectSamePages } from '../../test/support/same-pages';
import { grantKey, newGrantRecord, type GrantPageFilter, type GrantRecord } from './grants';
import type { GrantState } from './schemas';
import { Store } from './store';

const APPS = ['app-a', 'app-b', 'app-c'];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const ENTITLEMENTS = ['eng', 'ops', 'admin'];
const ENDED: Exclude<GrantState, 'active'>[] = ['expired', 'revoked', 'removed'];
const STATES: GrantState[] = ['active', ...ENDED];
const T0 = Date.parse('2026-06-01T10:00:00.000Z');

let store: Store;
let other: Store;
beforeAll(async () => {
  store = await openTestStore();
  other = sameDatabase(store);
});
afterAll(async () => store?.close());

const hour = (rnd: Random) => new Date(T0 + rnd.int(0, 48) * 3_600_000).toISOString();

/** Saves the grant with random holders (none: ended, one of the ended states), as an activity would. */
async function randomSave(rnd: Random, writer: Store, key?: [string, string, string]): Promise<void> {
  const [appId, userId, entitlementId] = key ?? [rnd.pick(APPS), rnd.pick(USERS), rnd.pick(ENTITLEMENTS)];
  await writer.grants.exclusive(appId, userId, entitlementId, async () => {
    const record =
      (await writer.grants.read(appId, userId, entitlementId)) ?? newGrantRecord(appId, userId, entitlementId);
    const holders = Array.from({ length: rnd.chance(0.35) ? 0 : rnd.int(1, 2) }, (_, i) => ({
      ticketId: `TCK-${rnd.int(1, 999)}-${i}`,
      start: hour(rnd),
      end: rnd.chance(0.2) ? null : hour(rnd),
    }));
    const next: GrantRecord = { ...record, holders, preexisting: rnd.chance(0.1) };
    await writer.grants.save(next, holders.length === 0 ? rnd.pick(ENDED) : undefined);
  });
}

function randomFilter(rnd: Random): GrantPageFilter {
  return {
    appId: rnd.chance(0.4) ? rnd.pick(APPS) : undefined,
    userId: rnd.chance(0.3) ? rnd.pick(USERS) : undefined,
    entitlementId: rnd.chance(0.3) ? rnd.pick(ENTITLEMENTS) : undefined,
    state: rnd.chance(0.6) ? undefined : rnd.pick(STATES),
    endingBefore: rnd.chance(0.3) ? hour(rnd) : undefined,
    limit: rnd.int(1, 12),
  };
}

/** The first pages of `filter` from both sources, following cursors; they must agree page by page. */
async function expectSameAnswers(filter: GrantPageFilter, reader: Store = store, maxPages = 4): Promise<number> {
  return expectSamePages(
    filter,
    { index: (p) => reader.grants.pageFromIndex(p), database: (p) => reader.grants.pageFromDatabase(p) },
    maxPages,
  );
}

describe('the admin grant list index', () => {
  it('gives the database query’s answers on random grants saved by two processes', async () => {
    const rnd = new Random(20261128);
    for (let i = 0; i < 30; i++) await randomSave(rnd, rnd.chance(0.5) ? store : other);
    // The index loads now, so the saves below reach it through the feed only.
    await store.grants.index.load();
    let pages = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) await randomSave(rnd, rnd.chance(0.5) ? store : other);
      for (let i = 0; i < 25; i++) pages += await expectSameAnswers(randomFilter(rnd));
    }
    // A second reader that loads after all of it agrees as well.
    for (let i = 0; i < 10; i++) pages += await expectSameAnswers(randomFilter(rnd), other);
    expect(pages).toBeGreaterThan(80);
    expect(store.grants.index.size).toBe(await store.grants.model.countDocuments().exec());
  }, 240_000);

  it('keeps the newest save of a grant when its feed rows arrive out of order', async () => {
    const save = (writer: Store, record: GrantRecord, endedAs?: 'expired') =>
      writer.grants.exclusive('app-z', 'u9', 'eng', () => writer.grants.save(record, endedAs));
    await save(store, newGrantRecord('app-z', 'u9', 'eng'), 'expired');
    const first = await store.grants.model
      .findById(grantKey('app-z', 'u9', 'eng'))
      .lean()
      .exec();
    await store.grants.index.load();
    const holder = { ticketId: 'TCK-9', start: new Date(T0).toISOString(), end: null };
    await save(other, { ...newGrantRecord('app-z', 'u9', 'eng'), holders: [holder] });
    // A stalled save's row (the first revision) lands after the newest one's.
    await other.grants.feed.append(first!);
    expect(first!.revision).toBe(1);
    const page = await store.grants.pageFromIndex({ appId: 'app-z', limit: 5 });
    expect(page.items).toMatchObject([{ state: 'active', ticketId: 'TCK-9' }]);
    expect((await store.grants.pageFromIndex({ appId: 'app-z', state: 'expired', limit: 5 })).items).toEqual([]);
  });

  it('lists a grant as soon as its save returns', async () => {
    await store.grants.index.load();
    await other.grants.exclusive('app-y', 'u1', 'ops', async () => {
      await other.grants.save({
        ...newGrantRecord('app-y', 'u1', 'ops'),
        holders: [{ ticketId: 'TCK-7', start: new Date(T0).toISOString(), end: null }],
      });
    });
    const page = await store.grants.pageFromIndex({ appId: 'app-y', limit: 5 });
    expect(page.items).toMatchObject([{ userId: 'u1', entitlementId: 'ops', state: 'active', ticketId: 'TCK-7' }]);
  });
});
