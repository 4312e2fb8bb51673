/**
 * The embedded FerretDB (v1.24.2 built with tools/patches/ferretdb-1.24.2-serial-writes.patch by
 * tools/scripts/install-servers.sh) queues its writes in Go, in arrival order. Unpatched, each write that
 * meets SQLite's write lock held sleeps in SQLite's busy handler (1, 2, 5 … 100 ms at a time), and which
 * one gets the lock next is a lottery: a write may wait far longer than the writes queued before it.
 *
 * The test holds a database's write lock from outside (Python's sqlite3 on the data file: WAL mode lets
 * another process take it), sends inserts one after another while it is held, lets go, and reads the
 * order they were written in from the table itself (SQLite's rowid: each insert takes the next one).
 * Queued in Go they are written in the order they were sent; through the busy handler, in whatever order
 * their sleeps end. It starts its own FerretDB (the same binary as the test setup's: FERRETDB_BIN, or
 * .tools/bin/ferretdb) to reach its data file.
 *
 * The order the client sees the replies in is not the order of the writes: each insert has its own
 * connection, and a client that was not scheduled while two replies arrived reads them in either order
 * (CI saw w1's reply before w0's once). So the test reads the server's order, not the replies'.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { ownFerretDb } from './own-ferretdb';

jest.setTimeout(60_000);

const ferret = ownFerretDb('writes');

/** Holds the write lock of a SQLite file until `release()`: resolves once it is held. */
async function holdWriteLock(file: string): Promise<{ release(): Promise<void> }> {
  const script = [
    'import sqlite3, sys',
    'c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)',
    "c.execute('BEGIN IMMEDIATE')",
    "print('locked', flush=True)",
    'sys.stdin.read()',
    "c.execute('COMMIT')",
  ].join('\n');
  const py: ChildProcessWithoutNullStreams = spawn('python3', ['-c', script, file]);
  let stderr = '';
  py.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => py.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    py.stdout.once('data', () => resolve());
    py.once('error', (err) => reject(new Error(`python3 is needed to hold a SQLite lock: ${err.message}`)));
    void exited.then((code) => reject(new Error(`python3 exited (${code}) before taking the lock: ${stderr}`)));
  });
  return {
    async release() {
      py.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`python3 failed to release the lock (${code}): ${stderr}`);
    },
  };
}

/** The `_id`s of a collection's documents in the order they were written (their rows' rowid order). */
function writtenOrder(file: string, collection: string): string[] {
  const script = [
    'import sqlite3, sys, json',
    'c = sqlite3.connect(sys.argv[1])',
    '(table,) = c.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?", (sys.argv[2],)).fetchone()',
    `rows = c.execute('SELECT json_extract(_ferretdb_sjson, "$._id") FROM "%s" ORDER BY rowid' % table)`,
    'print(json.dumps([r[0] for r in rows]))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, file, collection], { encoding: 'utf8' })) as string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('writes that wait for the write lock are written in the order they were sent', async () => {
  const collection = ferret.client.db('writes').collection<{ _id: string }>('queued');
  await collection.insertOne({ _id: 'created' }); // the database file and the collection's table exist now

  const lock = await holdWriteLock(path.join(ferret.dir, 'writes.sqlite'));
  let done = 0;
  const inserts: Promise<void>[] = [];
  for (let i = 0; i < 6; i++) {
    inserts.push(collection.insertOne({ _id: `w${i}` }).then(() => void done++));
    await sleep(150); // each insert reaches the server, and waits, before the next is sent
  }
  expect(done).toBe(0); // none got past the lock
  await lock.release();
  await Promise.all(inserts);

  expect(writtenOrder(path.join(ferret.dir, 'writes.sqlite'), 'queued')).toEqual([
    'created',
    'w0',
    'w1',
    'w2',
    'w3',
    'w4',
    'w5',
  ]);
});
