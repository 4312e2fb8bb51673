/**
 * Leases on FerretDB: one holder at a time per key across processes (two Store instances stand for two
 * workers), a crashed holder's lease taken over once it expires, and a release that frees only its own.
 */
import { openTestStore, sameDatabase } from '../../test/support/harness';
import { Store } from './store';

let store: Store;
let other: Store;
beforeAll(async () => {
  store = await openTestStore();
  other = sameDatabase(store);
});
afterAll(async () => store?.close());

test('work under one key from two workers never overlaps, and every piece of it runs', async () => {
  let inside = 0;
  let most = 0;
  let done = 0;
  const work = async () => {
    inside++;
    most = Math.max(most, inside);
    await new Promise((r) => setTimeout(r, 5));
    inside--;
    done++;
  };
  await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? store : other).leases.withLease('grant:one', work)));
  expect(most).toBe(1);
  expect(done).toBe(16);
  expect(await store.leases.model.countDocuments({ _id: 'grant:one' })).toBe(0);
});

test('the lease of a worker that died is taken over once it expires, by one waiter at a time', async () => {
  await store.leases.model.collection.insertOne({
    _id: 'grant:crashed',
    owner: 'dead-worker',
    expiresAt: Date.now() + 300,
    acquiredAt: new Date().toISOString(),
  } as never);
  let inside = 0;
  let most = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      (i % 2 ? store : other).leases.withLease('grant:crashed', async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(most).toBe(1);
});

test('a release frees only its own lease, and a waiter heartbeats while it waits', async () => {
  expect(await store.leases.tryAcquire('grant:mine', 'me')).toBe(true);
  expect(await other.leases.tryAcquire('grant:mine', 'someone-else')).toBe(false);
  await other.leases.release('grant:mine', 'someone-else');
  expect(await store.leases.model.findById('grant:mine').lean().exec()).toMatchObject({ owner: 'me' });

  let beats = 0;
  const waiting = other.leases.withLease('grant:mine', async () => 'mine at last', { onWait: () => beats++ });
  await new Promise((r) => setTimeout(r, 200));
  await store.leases.release('grant:mine', 'me');
  expect(await waiting).toBe('mine at last');
  expect(beats).toBeGreaterThan(0);
});
