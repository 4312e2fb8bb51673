/**
 * The embedded FerretDB (v1.24.2 built with tools/patches/ferretdb-1.24.2-serial-writes.patch by
 * tools/scripts/install-servers.sh) queues its writes in Go, in arrival order. Unpatched, each write that
 * meets SQLite's write lock held sleeps in SQLite's busy handler (1, 2, 5 … 100 ms at a time), and which
 * one gets the lock next is a lottery: a write may wait far longer than the writes queued before it.
 *
 * The test holds a database's write lock from outside (Python's sqlite3 on the data file: WAL mode lets
 * another process take it), sends inserts one after another while it is held, lets go, and reads the
 * order they completed in. Queued in Go they complete in the order they were sent; through the busy
 * handler they complete in whatever order their sleeps end. It starts its own FerretDB (the same binary
 * as the test setup's: FERRETDB_BIN, or .tools/bin/ferretdb) to reach its data file.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('writes that wait for the write lock complete in the order they were sent', async () => {
  const collection = ferret.client.db('writes').collection<{ _id: string }>('queued');
  await collection.insertOne({ _id: 'created' }); // the database file and the collection's table exist now

  const lock = await holdWriteLock(path.join(ferret.dir, 'writes.sqlite'));
  const completed: number[] = [];
  const inserts: Promise<void>[] = [];
  for (let i = 0; i < 6; i++) {
    inserts.push(collection.insertOne({ _id: `w${i}` }).then(() => void completed.push(i)));
    await sleep(150); // each insert reaches the server, and waits, before the next is sent
  }
  expect(completed).toEqual([]); // none got past the lock
  await lock.release();
  await Promise.all(inserts);

  expect(completed).toEqual([0, 1, 2, 3, 4, 5]);
  expect((await collection.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([
    'created',
    'w0',
    'w1',
    'w2',
    'w3',
    'w4',
    'w5',
  ]);
});
