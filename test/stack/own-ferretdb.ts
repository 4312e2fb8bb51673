/**
 * A FerretDB of the test's own (the same binary as the test setup's: FERRETDB_BIN, or .tools/bin/ferretdb),
 * for tests that reach past the wire protocol: its data files, its debug handler. Started before the file's
 * tests and stopped after them, data removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';

const { MongoClient } = mongoose.mongo;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const servers = require('../../tools/scripts/stack') as typeof import('../../tools/scripts/stack');

export interface OwnFerretDb {
  /** The data directory: one `<database>.sqlite` file per database. */
  dir: string;
  server: Awaited<ReturnType<typeof servers.startFerretDb>>;
  client: InstanceType<typeof MongoClient>;
}

/** Registers the hooks; the returned object is filled in once `beforeAll` has run. */
export function ownFerretDb(name: string): OwnFerretDb {
  const own = {} as OwnFerretDb;
  beforeAll(async () => {
    own.dir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-ferretdb-${name}-`));
    own.server = await servers.startFerretDb({ dataDir: own.dir });
    own.client = await MongoClient.connect(own.server.uri, { maxPoolSize: 20, retryWrites: false });
  });
  afterAll(async () => {
    await own.client?.close();
    await own.server?.stop();
    if (own.dir) fs.rmSync(own.dir, { recursive: true, force: true });
  });
  return own;
}
