/**
 * The audit log's index must answer exactly as the database query does. Random entries are appended
 * through the repository from two stores standing in for two processes (and in bulk); random queries
 * (each filter, time ranges, cursors) then compare `listFromIndex` with `listFromDatabase` on the same
 * FerretDB, page by page.
 */
import { openTestStore, sameDatabase } from '../../test/support/harness';
import { Random } from '../../test/random/prng';
import { expectSamePages } from '../../test/support/same-pages';
import type { AuditDoc, AuditEntry, AuditListQuery } from './audit';
import { Store } from './store';

const ACTORS = ['alice', 'bob', 'carol', 'dave'];
const TARGETS = ['TCK-1', 'TCK-2', 'app-a', 'app-b', 'bob', 'policy-1'];
const ACTIONS = ['ticket.approve', 'ticket.reject', 'app.put', 'user.put', 'webhook.create'];
/** Entries fall within ten seconds, many in the same millisecond, so ranges cut between and through them. */
const T0 = Date.parse('2026-06-01T10:00:00.000Z');

let store: Store;
let other: Store;
beforeAll(async () => {
  store = await openTestStore();
  other = sameDatabase(store);
});
afterAll(async () => store?.close());

const instant = (rnd: Random) => new Date(T0 + rnd.int(0, 400) * 25).toISOString();

function randomEntry(rnd: Random): Omit<AuditEntry, 'id'> {
  return {
    at: instant(rnd),
    actor: rnd.pick(ACTORS),
    action: rnd.pick(ACTIONS),
    target: rnd.pick(TARGETS),
    status: rnd.pick([200, 201, 204, 403]),
    requestId: `req-${rnd.int(0, 1e6)}`,
    details: rnd.chance(0.5) ? { comment: 'ok', n: rnd.int(0, 9) } : {},
  };
}

function randomQuery(rnd: Random): AuditListQuery {
  const [a, b] = [instant(rnd), instant(rnd)].sort();
  const range = rnd.int(0, 3);
  return {
    actor: rnd.chance(0.3) ? rnd.pick(ACTORS) : undefined,
    target: rnd.chance(0.25) ? rnd.pick(TARGETS) : undefined,
    action: rnd.chance(0.25) ? rnd.pick(ACTIONS) : undefined,
    from: range === 1 || range === 3 ? a : undefined,
    to: range === 2 || range === 3 ? b : undefined,
    limit: rnd.int(1, 25),
  };
}

/** The first pages of `q` from both sources, following cursors; they must agree page by page. */
async function expectSameAnswers(q: AuditListQuery, reader: Store = store, maxPages = 4): Promise<number> {
  return expectSamePages(
    q,
    { index: (p) => reader.audit.listFromIndex(p), database: (p) => reader.audit.listFromDatabase(p) },
    maxPages,
  );
}

describe('the audit log index', () => {
  it('gives the database query’s answers on random entries appended by two processes', async () => {
    const rnd = new Random(20261128);
    const imported: AuditDoc[] = Array.from({ length: 80 }, (_, i) => {
      const entry = randomEntry(rnd);
      const seq = Date.parse(entry.at);
      return { _id: `${String(seq).padStart(15, '0')}-imp${i}`, seq, ...entry };
    });
    await store.audit.appendMany(imported);
    for (let i = 0; i < 80; i++) await (rnd.chance(0.5) ? store : other).audit.append(randomEntry(rnd));
    // The index loads now, so the entries below reach it through the feed only.
    await store.audit.index.load();
    let pages = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 30; i++) await (rnd.chance(0.5) ? store : other).audit.append(randomEntry(rnd));
      for (let i = 0; i < 20; i++) pages += await expectSameAnswers(randomQuery(rnd));
    }
    // A cursor of the client's choosing (any id, not only one the log holds) cuts the same way.
    pages += await expectSameAnswers({ limit: 7, cursor: `${String(T0 + 5_000).padStart(15, '0')}-zzz` });
    // A second reader that loads after all of it agrees as well.
    for (let i = 0; i < 10; i++) pages += await expectSameAnswers(randomQuery(rnd), other);
    expect(pages).toBeGreaterThan(80);
    expect(store.audit.index.size).toBe(250);
  }, 240_000);

  it('exports the same entries from memory as from the database', async () => {
    const memory = sameDatabase(store);
    const database = sameDatabase(store);
    memory.useListSource('memory');
    database.useListSource('database');
    await memory.warmListIndexes();
    const q = { actor: 'alice', from: new Date(T0 + 1_000).toISOString() };
    const read = async (s: Store) => {
      const all = [];
      for await (const page of s.audit.all(q, 9)) all.push(...page);
      return all;
    };
    const exported = await read(memory);
    expect(memory.audit.index.state).toBe('ready');
    expect(exported.length).toBeGreaterThan(9);
    expect(exported).toEqual(await read(database));
  });

  it('lists an entry as soon as its append returns', async () => {
    await store.audit.index.load();
    await other.audit.append({ ...randomEntry(new Random(5)), actor: 'zed', at: new Date().toISOString() });
    const page = await store.audit.listFromIndex({ actor: 'zed', limit: 5 });
    expect(page.items.map((e) => e.actor)).toEqual(['zed']);
  });
});
