/**
 * The embedded FerretDB (v1.24.2 built with tools/patches/ferretdb-1.24.2-id-index.patch by
 * tools/scripts/install-servers.sh) finds documents by `_id` through the `_id` index. Unpatched, its SQLite
 * backend looks `_id` up with an expression that differs from the index's, so every find, update and delete
 * by `_id` scans the whole collection: the read model's cost grows with the number of tickets.
 *
 * FerretDB's explain carries SQLite's EXPLAIN QUERY PLAN for the query it pushes down: a row
 * `SEARCH <table> USING INDEX <index> (...)` when the index is used, `SCAN <table>` when the table is read
 * through. This runs against the FerretDB the test setup starts (FERRETDB_BIN, or .tools/bin/ferretdb).
 */
import mongoose, { type Connection } from 'mongoose';
import { testMongoUri, uniqueId } from '../support/harness';

const { ObjectId } = mongoose.mongo;
type Doc = { _id: string | InstanceType<typeof ObjectId>; n: number; note?: string };

let connection: Connection;
beforeAll(async () => {
  connection = await mongoose
    .createConnection(testMongoUri(), { dbName: uniqueId('gh_'), retryWrites: false })
    .asPromise();
});
afterAll(async () => {
  await connection?.dropDatabase();
  await connection?.close();
});

/** A collection holding `count` documents with the ids `makeId(0..count-1)`. */
async function seeded(makeId: (i: number) => Doc['_id'], count = 300) {
  const collection = connection.db!.collection<Doc>(uniqueId('c_'));
  await collection.insertMany(Array.from({ length: count }, (_, n) => ({ _id: makeId(n), n })));
  return collection;
}

/** The SQLite plan rows FerretDB reports for `find(filter)`, e.g. `id=3 parent=0 notused=0 detail=SCAN t`. */
async function sqlitePlan(collection: Awaited<ReturnType<typeof seeded>>, filter: Pick<Doc, '_id'>) {
  const explain = await collection.find(filter).explain();
  const plan: unknown = explain.queryPlanner?.Plan;
  if (!Array.isArray(plan)) throw new Error(`no SQLite plan in FerretDB's explain: ${JSON.stringify(explain)}`);
  return { plan: plan.map(String), filterPushdown: explain.filterPushdown as unknown };
}

test.each([
  ['a string _id (ticket ids are strings)', (n: number) => `t-${n}`],
  ['an ObjectId _id', (n: number) => new ObjectId(n.toString(16).padStart(24, '0'))],
])('find by %s searches the _id index instead of scanning the collection', async (_name, makeId) => {
  const collection = await seeded(makeId);
  const id = makeId(123);

  const { plan, filterPushdown } = await sqlitePlan(collection, { _id: id });
  expect(filterPushdown).toBe(true);
  expect(plan.filter((row) => /detail=SCAN\b/.test(row))).toEqual([]);
  expect(plan).toEqual([expect.stringMatching(/detail=SEARCH \S+ USING INDEX \S+__id_ \(<expr>=\?\)/)]);

  // And the lookup still finds exactly that document.
  expect(await collection.find({ _id: id }).toArray()).toEqual([{ _id: id, n: 123 }]);
});

test('update and delete by _id change exactly the document named', async () => {
  const collection = await seeded((n) => `t-${n}`, 50);

  expect(await collection.updateOne({ _id: 't-7' }, { $set: { note: 'changed' } })).toMatchObject({
    matchedCount: 1,
    modifiedCount: 1,
  });
  expect(await collection.find({ note: 'changed' }).toArray()).toEqual([{ _id: 't-7', n: 7, note: 'changed' }]);

  expect(await collection.deleteOne({ _id: 't-8' })).toMatchObject({ deletedCount: 1 });
  expect(await collection.findOne({ _id: 't-8' })).toBeNull();
  expect(await collection.countDocuments()).toBe(49);
  expect(await collection.findOne({ _id: 't-9' })).toEqual({ _id: 't-9', n: 9 });
});
