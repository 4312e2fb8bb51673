/**
 * The embedded FerretDB (v1.24.2 built with tools/patches/ferretdb-1.24.2-no-resource-tracking.patch by
 * tools/scripts/install-servers.sh) does not track the lifetime of its iterators, cursors and transactions.
 * Unpatched, it adds every one it creates to a pprof profile named after its type ("FerretDB/…", taking a
 * stack trace each time) and sets a finalizer on it: 9% of its CPU under Gatehouse's create load.
 *
 * The profiles are visible from outside: FerretDB's debug handler lists every pprof profile at
 * /debug/pprof/. The test starts its own FerretDB (the same binary as the test setup's: FERRETDB_BIN, or
 * .tools/bin/ferretdb) to reach that handler, inserts, reads and updates documents (each iterates over
 * documents and arrays), and expects no FerretDB/ profile there.
 */
import { ownFerretDb } from './own-ferretdb';

jest.setTimeout(60_000);

const ferret = ownFerretDb('tracking');

/** The names of the pprof profiles FerretDB's debug handler lists (it may start listening a little later). */
async function profileNames(): Promise<string[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const res = await fetch(`${ferret.server.debugUrl}/debug/pprof/`);
      if (res.ok) {
        const html = await res.text();
        return [...html.matchAll(/href=['"]([^'"?]+)\?debug=1['"]/g)].map((m) => m[1]);
      }
      lastError = new Error(`GET /debug/pprof/ → ${res.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw lastError;
}

it('tracks no iterators, cursors or transactions in pprof profiles', async () => {
  const tickets = ferret.client.db('tracking').collection<{ _id: string; n: number; tags: string[] }>('tickets');
  await tickets.insertMany(Array.from({ length: 20 }, (_, n) => ({ _id: `t${n}`, n, tags: ['a', 'b'] })));
  await tickets.updateOne({ _id: 't3' }, { $set: { tags: ['c'] } });
  expect(await tickets.findOne({ _id: 't3' })).toEqual({ _id: 't3', n: 3, tags: ['c'] });
  expect(await tickets.find({ n: { $gte: 10 } }, { batchSize: 3 }).toArray()).toHaveLength(10);

  const names = await profileNames();
  // The handler works (Go's own profiles are listed), and FerretDB added none of its own.
  expect(names).toEqual(expect.arrayContaining(['goroutine', 'heap']));
  expect(names.filter((name) => name.startsWith('FerretDB/'))).toEqual([]);
});
