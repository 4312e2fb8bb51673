/**
 * The read model's version guard: a persist attempt that stalls and lands after its retry (and after the
 * workflow's next writes) must never roll the ticket back, on the embedded FerretDB whose guarded updates
 * are not atomic. Stalls are injected into a second store's collections, standing in for another worker.
 */
import type { PersistTicketStateInput } from '@gatehouse/domain';
import { newTicketState } from '@gatehouse/domain';
import { openTestStore, sameDatabase } from '../../test/support/harness';
import { testApp, workflowInput } from '../../test/support/fixtures';
import { Store } from './store';

let store: Store;
let stalled: Store;
beforeAll(async () => {
  store = await openTestStore();
  // Same database, separate models and collection objects: what another worker process would have.
  stalled = sameDatabase(store);
});
afterEach(() => jest.restoreAllMocks());
afterAll(async () => store?.close());

/**
 * The persists a workflow makes, numbered as it numbers them: with gaps (several changes can land in one
 * persist), each naming the version persisted before it. The i-th has i + 1 log entries, so each is recognisable.
 */
function versions(count: number): PersistTicketStateInput[] {
  const ticket = workflowInput(testApp());
  const first = newTicketState(ticket);
  return Array.from({ length: count }, (_, i) => {
    const version = 2 * i + 1;
    const state = {
      ...first,
      status: version === 1 ? ('pending' as const) : ('approved' as const),
      log: [
        ...first.log,
        ...Array.from({ length: i }, (_, j) => ({
          at: ticket.createdAt,
          actor: 'carol',
          event: 'approved' as const,
          comment: `v${j + 2}`,
          details: {},
        })),
      ],
    };
    return {
      ticketId: ticket.ticketId,
      version,
      previousVersion: i === 0 ? 0 : version - 2,
      state,
      ticket,
      runId: 'run-1',
    };
  });
}

/** Holds the next call of `method` on `target` until `release` is called; resolves `reached` when it is held. */
function holdNext<T extends object>(target: T, method: keyof T & string) {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  let held = false;
  jest.spyOn(target, method as never).mockImplementation((async (...args: unknown[]) => {
    if (!held) {
      held = true;
      reached();
      await released;
    }
    return original(...args);
  }) as never);
  return { reached: reachedP, release };
}

async function stored(ticketId: string) {
  return store.tickets.model.collection.findOne({ _id: ticketId } as never) as Promise<{
    version: number;
    status: string;
    log: unknown[];
  } | null>;
}

test.each([
  ['the workflow names the version before', (v: PersistTicketStateInput) => v],
  ['a persist scheduled before versions were chained', ({ previousVersion: _, ...v }: PersistTicketStateInput) => v],
])(
  'a persist that stalls and lands after its retry and a newer write leaves the newer state (%s)',
  async (_name, scheduled) => {
    const [v1, v2, v3] = versions(3).map(scheduled);
    await store.tickets.persistState(v1);

    // Attempt 1 of version 2 reads, then stalls before its write reaches the database.
    const hold = holdNext(stalled.tickets.model.collection, 'updateOne');
    const attempt1 = stalled.tickets.persistState(v2);
    await hold.reached;
    // Temporal retries it; the retry lands, and the workflow moves on to version 3.
    expect((await store.tickets.persistState(v2)).written).toBe(true);
    expect((await store.tickets.persistState(v3)).written).toBe(true);

    hold.release();
    await attempt1;
    const doc = await stored(v3.ticketId);
    expect(doc?.version).toBe(v3.version);
    expect(doc?.log).toHaveLength(3);
  },
);

test('stale attempts landing while newer versions are written never leave an older state behind', async () => {
  const pause = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
  const readDone = new Map<string, () => void>();
  // A stalled attempt reads at once, then each of its later calls pauses for up to a few later versions.
  for (const collection of [stalled.tickets.model.collection, stalled.tickets.versions] as unknown as Record<
    string,
    (...a: unknown[]) => Promise<unknown>
  >[]) {
    for (const method of ['findOne', 'insertOne', 'updateOne']) {
      const original = collection[method].bind(collection);
      jest.spyOn(collection, method as never).mockImplementation((async (...args: unknown[]) => {
        if (method === 'findOne' && collection === (stalled.tickets.model.collection as never)) {
          const result = await original(...args);
          readDone.get((args[0] as { _id: string })._id)?.();
          return result;
        }
        await pause();
        return original(...args);
      }) as never);
    }
  }
  async function persistWithStaleAttempts(chain: PersistTicketStateInput[]): Promise<void> {
    const stale: Promise<unknown>[] = [];
    for (const input of chain) {
      // Two attempts of each version: one reads first and lands late (the stalled one), one as the workflow awaits it.
      if (input !== chain[chain.length - 1]) {
        const read = new Promise<void>((r) => readDone.set(input.ticketId, r));
        stale.push(stalled.tickets.persistState(input));
        await read;
      }
      await store.tickets.persistState(input);
    }
    await Promise.all(stale);
  }
  const chains = [versions(12), versions(12), versions(12)];
  await Promise.all(chains.map(persistWithStaleAttempts));
  for (const chain of chains) {
    const doc = await stored(chain[0].ticketId);
    expect(doc?.version).toBe(chain[11].version);
    expect(doc?.log).toHaveLength(12);
  }
});

test('a chain of persists in one process announces each version without a failed insert', async () => {
  const [...chain] = versions(7);
  const next = chain.pop()!;
  const inserts = jest.spyOn(store.tickets.versions, 'insertOne');
  for (const input of chain) expect((await store.tickets.persistState(input)).written).toBe(true);
  const outcomes = await Promise.allSettled(inserts.mock.results.map((r) => r.value as Promise<unknown>));
  // Each write: its announcement and its check, both landing on the first try.
  expect(outcomes.map((o) => o.status)).toEqual(Array(2 * chain.length).fill('fulfilled'));
  expect((await stored(chain[0].ticketId))?.version).toBe(chain[5].version);

  // Another process (which does not know the slots) continues the chain: it finds the taken slot and moves on.
  expect((await stalled.tickets.persistState(next)).written).toBe(true);
  expect((await stored(chain[0].ticketId))?.log).toHaveLength(7);
});
