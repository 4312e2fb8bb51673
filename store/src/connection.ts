import mongoose, { type Connection } from 'mongoose';

/**
 * One connection per process (never mongoose's global one, so tests can hold several).
 * `serverSelectionTimeoutMS` is short so a MongoDB outage surfaces as an error within seconds
 * (the gateway answers 503) instead of a hung request.
 */
export async function connectStore(
  uri: string,
  dbName: string,
  options: { serverSelectionTimeoutMS?: number } = {},
): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 3000,
    // FerretDB has no retryable writes; activities and the gateway retry at their own level.
    retryWrites: false,
    // Set below, before any model is compiled (models build their schema's indexes when they are).
    autoIndex: false,
  });
  await connection.asPromise();
  // The schemas' secondary indexes serve MongoDB's queries. FerretDB (SQLite) never uses them: each is an
  // expression index its queries do not match, only maintained on every write (docs/performance.md,
  // "FerretDB: no secondary indexes").
  connection.set('autoIndex', !(await isFerretDb(connection)));
  return connection;
}

/** `isFerretDb`'s answer per connection: its start-up callers (the store, its indexes, its lists) ask once. */
const ferretDbAnswers = new WeakMap<Connection, Promise<boolean>>();

/** Whether the server is FerretDB (it says so in `buildInfo`) rather than MongoDB. */
export function isFerretDb(connection: Connection): Promise<boolean> {
  let answer = ferretDbAnswers.get(connection);
  if (!answer) {
    answer = connection
      .db!.admin()
      .command({ buildInfo: 1 })
      .then((info) => 'ferretdbVersion' in info);
    // A failed ask is asked again next time.
    answer.catch(() => ferretDbAnswers.delete(connection));
    ferretDbAnswers.set(connection, answer);
  }
  return answer;
}

export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/** Errors that mean "MongoDB cannot be reached right now", as opposed to a bad query. */
export function isStoreUnavailableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as { name?: string }).name ?? '';
  return /MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoTopologyClosedError|MongooseServerSelectionError/.test(
    name,
  );
}
