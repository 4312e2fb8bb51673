/**
 * FerretDB (v1.24, SQLite) loses concurrent updates to one document. These tests hammer the two places
 * that must never hand out the same thing twice: ticket numbers and license seats.
 */
import { openTestStore, sameDatabase } from '../../test/support/harness';
import type { Store } from './store';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => store?.close());

test('50 concurrent ticket numbers are 50 distinct numbers', async () => {
  const numbers = await Promise.all(Array.from({ length: 50 }, () => store.ticketNumbers.next()));
  expect(new Set(numbers).size).toBe(50);
});

test('two gateway replicas taking numbers at once never take the same one', async () => {
  const other = sameDatabase(store);
  try {
    const numbers = await Promise.all([
      ...Array.from({ length: 20 }, () => store.ticketNumbers.next()),
      ...Array.from({ length: 20 }, () => other.ticketNumbers.next()),
    ]);
    expect(new Set(numbers).size).toBe(40);
  } finally {
    // shares the connection with `store`; nothing to close
  }
});

test('ten users racing for three seats: exactly three win, and each winner holds one slot', async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => store.seats.reserve('app', 'lic', 3, `u${i}`, `TCK-${i}`)),
  );
  expect(results.filter(Boolean)).toHaveLength(3);
  expect(await store.seats.used('app', 'lic')).toBe(3);
});

test('a seat is idempotent per user, says which ticket took it, and comes back when released', async () => {
  expect(await store.seats.reserve('app', 'one', 1, 'ann', 'TCK-1')).toBe('taken');
  expect(await store.seats.reserve('app', 'one', 1, 'ann', 'TCK-1')).toBe('taken'); // a retried attempt
  expect(await store.seats.reserve('app', 'one', 1, 'ann', 'TCK-2')).toBe('held'); // held before TCK-2
  expect(await store.seats.reserve('app', 'one', 1, 'ben', 'TCK-3')).toBe(false);
  await store.seats.release('app', 'one', 'ann');
  expect(await store.seats.used('app', 'one')).toBe(0);
  expect(await store.seats.reserve('app', 'one', 1, 'ben', 'TCK-3')).toBe('taken');
});
