/**
 * The schemas' secondary indexes: built on MongoDB, whose queries use them; on FerretDB neither built nor
 * kept, since its SQLite backend never uses one and maintains each on every write. A database an earlier
 * version indexed on FerretDB loses those indexes at the next `ensureIndexes` (a worker's start).
 */
import { openTestStore } from '../../test/support/harness';
import { isFerretDb } from './connection';
import { Store } from './store';

let store: Store;
let ferretDb: boolean;
beforeAll(async () => {
  store = await openTestStore();
  ferretDb = await isFerretDb(store.connection);
});
afterAll(async () => {
  await store?.connection.dropDatabase();
  await store?.close();
});

/** The names of a collection's indexes, sorted. */
async function indexNames(model: { collection: { indexes(): Promise<{ name?: string }[]> } }): Promise<string[]> {
  return (await model.collection.indexes()).map((i) => i.name ?? '').sort();
}

test('ensureIndexes builds the indexes the schemas declare on MongoDB, and none but _id on FerretDB', async () => {
  await store.tickets.model.collection.insertOne({ _id: 'TCK-IDX-1' } as never); // the collection exists
  await store.ensureIndexes();

  const declared = store.tickets.model.schema.indexes().length;
  expect(declared).toBeGreaterThan(5); // the tracker's list shapes
  const names = await indexNames(store.tickets.model);
  if (ferretDb) expect(names).toEqual(['_id_']);
  else expect(names).toHaveLength(declared + 1);
});

test('on FerretDB, indexes an earlier version built are dropped by the next ensureIndexes', async () => {
  if (!ferretDb) return; // MongoDB keeps them: its queries use them
  await store.grants.model.collection.createIndex({ userId: 1, appId: 1, state: 1 });
  await store.tickets.model.collection.createIndex({ status: 1, seq: -1 });
  expect(await indexNames(store.grants.model)).toContain('userId_1_appId_1_state_1');

  await store.ensureIndexes();

  expect(await indexNames(store.grants.model)).toEqual(['_id_']);
  expect(await indexNames(store.tickets.model)).toEqual(['_id_']);
});
