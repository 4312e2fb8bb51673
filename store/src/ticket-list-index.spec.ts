/**
 * The tracker's list index must answer exactly as the database query does. Random tickets are written
 * through the repository's real write paths (the gateway's insert, the workflow's persists, a bulk import),
 * from two stores standing in for two processes; random lists then compare `listFromIndex` with
 * `listFromDatabase` on the same FerretDB, page by page, counts included.
 */
import type { PersistTicketStateInput, TicketStatus, TicketType } from '@gatehouse/domain';
import { newTicketState } from '@gatehouse/domain';
import { openTestStore, sameDatabase } from '../../test/support/harness';
import { testApp, workflowInput } from '../../test/support/fixtures';
import { Random } from '../../test/random/prng';
import { expectSamePages } from '../../test/support/same-pages';
import { Store } from './store';
import { feedKey } from './feed';
import { ticketRowOf } from './ticket-feed';
import { newTicketDoc, type TicketListQuery, type TicketTab } from './tickets';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const RULES = ['user:u1', 'user:u2', 'group:eng', 'group:ops', 'role:admin', 'role:security'];
const APPS = [testApp({ id: 'app-a', name: 'A' }), testApp({ id: 'app-b', name: 'B' }), testApp({ id: 'app-c' })];
const STATUSES: TicketStatus[] = ['pending', 'approved', 'rejected', 'cancelled'];
const TYPES: TicketType[] = ['request', 'reraise', 'extend'];
const TABS: TicketTab[] = ['all', 'open', 'closed', 'rejected'];

let store: Store;
let other: Store;
beforeAll(async () => {
  store = await openTestStore();
  // Same database, separate models and feed position: what another worker or gateway process has.
  other = sameDatabase(store);
});
afterAll(async () => store?.close());

let nextSeq = 1_000;
function person(rnd: Random) {
  const id = rnd.pick(USERS);
  return { id, name: id.toUpperCase() };
}
function some<T>(rnd: Random, items: readonly T[], max: number): T[] {
  return [...new Set(Array.from({ length: rnd.int(0, max) }, () => rnd.pick(items)))];
}

/** A ticket at `version`, with random people, app, type, status and approvers. */
function randomPersist(rnd: Random, base?: PersistTicketStateInput): PersistTicketStateInput {
  const app = rnd.pick(APPS);
  const requester = person(rnd);
  const ticket = base?.ticket ?? {
    ...workflowInput(app, { requester }),
    ticketId: `TCK-${nextSeq++}`,
    beneficiary: rnd.chance(0.7) ? requester : person(rnd),
    type: rnd.pick(TYPES),
  };
  const first = newTicketState(ticket);
  const status = rnd.pick(STATUSES);
  const steps = [{ ...first.approval.steps[0], approvers: some(rnd, RULES, 3), approvedBy: some(rnd, USERS, 2) }];
  const state = {
    ...first,
    status,
    approval: { ...first.approval, steps, awaiting: status === 'pending' ? some(rnd, RULES, 3) : [] },
  };
  const version = (base?.version ?? 0) + rnd.int(1, 2);
  return { ticketId: ticket.ticketId, version, previousVersion: base?.version ?? 0, ticket, state, runId: 'run-1' };
}

function randomQuery(rnd: Random): TicketListQuery {
  const admin = rnd.chance(0.3);
  const id = rnd.pick(USERS);
  return {
    viewer: { id, admin, rules: [`user:${id}`, ...some(rnd, RULES, 3)] },
    tab: rnd.pick(TABS),
    appId: rnd.chance(0.25) ? rnd.pick(APPS).id : undefined,
    requesterId: rnd.chance(0.2) ? rnd.pick(USERS) : undefined,
    beneficiaryId: rnd.chance(0.2) ? rnd.pick(USERS) : undefined,
    type: rnd.chance(0.2) ? rnd.pick(TYPES) : undefined,
    awaitingMe: rnd.chance(0.2) || undefined,
    limit: rnd.int(2, 30),
  };
}

/** The first pages of `q` from both sources, following cursors; they must agree page by page. */
async function expectSameAnswers(q: TicketListQuery, reader: Store = store, maxPages = 3): Promise<number> {
  return expectSamePages(
    q,
    { index: (p) => reader.tickets.listFromIndex(p), database: (p) => reader.tickets.listFromDatabase(p) },
    maxPages,
    Number,
  );
}

describe('the tracker list index', () => {
  it('gives the database query’s answers on random tickets written by two processes', async () => {
    const rnd = new Random(20261128);
    // A bulk import first, then the gateway's inserts and the workflows' persists from either process.
    const imported = Array.from({ length: 60 }, () => newTicketDoc(randomPersist(rnd)));
    await store.tickets.insertMany(imported);
    const live: PersistTicketStateInput[] = [];
    for (let i = 0; i < 60; i++) {
      const input = randomPersist(rnd);
      if (rnd.chance(0.5)) await store.tickets.insertIfAbsent(newTicketDoc({ ...input, version: 0 }));
      await (rnd.chance(0.5) ? store : other).tickets.persistState(input);
      live.push(input);
    }
    // The index loads now, so the changes below reach it through the feed only.
    await store.tickets.listIndex.load();
    let pages = 0;
    const started = Date.now();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 25; i++) {
        const k = rnd.int(0, live.length - 1);
        live[k] = randomPersist(rnd, live[k]);
        await (rnd.chance(0.5) ? store : other).tickets.persistState(live[k]);
      }
      for (let i = 0; i < 12; i++) pages += await expectSameAnswers(randomQuery(rnd));
    }
    // A second reader that loads after all of it agrees as well.
    for (let i = 0; i < 6; i++) pages += await expectSameAnswers(randomQuery(rnd), other);
    expect(pages).toBeGreaterThan(50);
    expect(store.tickets.listIndex.size).toBe(120);
    console.log(`${pages} pages compared in ${Date.now() - started} ms`);
  }, 240_000);

  it('shows a write as soon as the write returns', async () => {
    const rnd = new Random(7);
    const input = { ...randomPersist(rnd), ticketId: `TCK-${nextSeq++}` };
    const q: TicketListQuery = { viewer: { id: 'admin', admin: true, rules: [] }, tab: 'all', limit: 5 };
    await store.tickets.listIndex.load();
    await other.tickets.persistState({ ...input, ticket: { ...input.ticket, ticketId: input.ticketId } });
    const page = await store.tickets.listFromIndex(q);
    expect(page.items[0]).toMatchObject({ id: input.ticketId, status: input.state.status });
  });

  it('keeps the newest version of a ticket when entries arrive out of order', async () => {
    const rnd = new Random(11);
    const v1 = randomPersist(rnd);
    const v3 = { ...randomPersist(rnd, v1), version: 3, state: { ...v1.state, status: 'approved' as const } };
    await store.tickets.persistState(v1);
    await store.tickets.listIndex.load();
    // A stalled attempt's entry (version 1) lands after version 3's.
    await store.tickets.feed.append(ticketRowOf(newTicketDoc(v3)));
    await store.tickets.feed.append(ticketRowOf(newTicketDoc(v1)));
    const q: TicketListQuery = { viewer: { id: 'admin', admin: true, rules: [] }, tab: 'all', limit: 200 };
    const page = await store.tickets.listFromIndex(q);
    expect(page.items.find((t) => t.id === v1.ticketId)?.status).toBe('approved');
  });

  it('closes a slot whose writer never filled it, and still reads what came after', async () => {
    const rnd = new Random(13);
    await store.tickets.listIndex.refresh();
    const input = randomPersist(rnd);
    const doc = newTicketDoc(input);
    await store.tickets.model.collection.insertOne(doc as never);
    // A writer took slot `end` and died; another filled `end + 1`.
    const end = await store.tickets.feed.end();
    await store.tickets.feed.collection.insertOne({
      _id: feedKey(end + 1),
      row: ticketRowOf(doc),
      at: new Date(),
    } as never);
    const q: TicketListQuery = { viewer: { id: 'admin', admin: true, rules: [] }, tab: 'all', limit: 500 };
    const page = await store.tickets.listFromIndex(q);
    expect(page.items.map((t) => t.id)).toContain(input.ticketId);
    expect(await store.tickets.feed.collection.findOne({ _id: feedKey(end) } as never)).toMatchObject({ skip: true });
    // A writer that comes late to the closed slot appends further on, and its entry is read.
    const later = randomPersist(rnd, input);
    await other.tickets.persistState(later);
    const again = await store.tickets.listFromIndex(q);
    expect(again.items.find((t) => t.id === input.ticketId)?.status).toBe(later.state.status);
  });
});
