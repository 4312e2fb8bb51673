/**
 * Leases: one holder at a time per key, across every worker process, on MongoDB and on FerretDB.
 *
 * FerretDB (v1.24, SQLite) has no transactions and loses concurrent guarded updates; only a unique `_id`
 * insert is atomic there. So a lease is the document whose `_id` is its key: inserting it takes the
 * lease, deleting it gives it back. A holder renews its expiry while it works; a lease whose expiry
 * passed (its worker crashed) is taken over, by one taker only: the right to delete a stale lease is
 * itself a unique insert naming that lease's owner.
 *
 * The trade-off: the expiry is compared with the taker's clock, and FerretDB's conditional delete is
 * not atomic either, so a holder stalled for longer than the whole expiry (not renewing) may overlap
 * with the worker that took its lease over. Renewal every third of the expiry makes that a stall of
 * tens of seconds inside one call.
 */
import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from './connection';

export interface LeaseDoc {
  /** The key: what the lease serializes (`grant:<grant key>`, `target:<connector key>`). */
  _id: string;
  /** Unique per acquisition: release and renewal touch only the holder's own lease. */
  owner: string;
  /** Epoch milliseconds after which the lease may be taken over. */
  expiresAt: number;
  acquiredAt: string;
}

const LeaseSchema = new Schema<LeaseDoc>(
  { _id: String, owner: String, expiresAt: Number, acquiredAt: String },
  { versionKey: false, collection: 'leases' },
);

/** One document per stale lease taken over: its unique `_id` lets exactly one taker delete that lease. */
const LeaseTakeoverSchema = new Schema<{ _id: string; at: string }>(
  { _id: String, at: String },
  { versionKey: false, collection: 'lease_takeovers' },
);

export interface LeaseOptions {
  /** How long a lease outlives its holder's last renewal (default 20 s). */
  ttlMs?: number;
  /** Called while waiting for another holder (an activity heartbeats here). */
  onWait?: () => void;
  /** Stops the wait (an activity's cancellation). */
  signal?: AbortSignal;
}

/**
 * As long as the activities' heartbeat timeout: by the time Temporal retries an activity whose worker
 * died, that worker's leases have expired too, so the retry does not wait for them.
 */
const DEFAULT_TTL_MS = 20_000;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

export class LeaseRepository {
  readonly model: Model<LeaseDoc>;
  readonly takeovers: Model<{ _id: string; at: string }>;

  constructor(connection: Connection) {
    this.model = connection.model<LeaseDoc>('Lease', LeaseSchema);
    this.takeovers = connection.model('LeaseTakeover', LeaseTakeoverSchema);
  }

  /** Runs `work` holding the lease `key`, waiting for its current holder (or its expiry) first. */
  async withLease<T>(key: string, work: () => Promise<T>, options: LeaseOptions = {}): Promise<T> {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    const owner = randomUUID();
    let pollMs = FIRST_POLL_MS;
    while (!(await this.tryAcquire(key, owner, ttlMs))) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error(`gave up waiting for lease ${key}`);
      options.onWait?.();
      // Jittered backoff: waiters that woke together do not knock together again.
      await new Promise((resolve) => setTimeout(resolve, pollMs / 2 + Math.random() * pollMs));
      pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
    }
    const renewal = setInterval(() => {
      this.model
        .updateOne({ _id: key, owner }, { $set: { expiresAt: Date.now() + ttlMs } })
        .exec()
        .catch(() => undefined); // a missed renewal only shortens the lease; the next one may land
    }, ttlMs / 3);
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      // A release that fails (the database away) only leaves the lease to expire: not the work's failure.
      await this.release(key, owner).catch(() => undefined);
    }
  }

  /** Takes the lease if it is free or stale; true when `owner` holds it now. */
  async tryAcquire(key: string, owner: string, ttlMs = DEFAULT_TTL_MS): Promise<boolean> {
    try {
      await this.model.collection.insertOne({
        _id: key,
        owner,
        expiresAt: Date.now() + ttlMs,
        acquiredAt: new Date().toISOString(),
      } as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const holder = await this.model.findById(key).lean<LeaseDoc>().exec();
    if (holder && holder.expiresAt < Date.now()) await this.takeOver(holder);
    return false;
  }

  /** Deletes a stale lease, if this caller is the one taker that won the right to. */
  private async takeOver(stale: LeaseDoc): Promise<void> {
    try {
      await this.takeovers.collection.insertOne({
        _id: `${stale._id}\n${stale.owner}`,
        at: new Date().toISOString(),
      } as never);
    } catch (err) {
      if (isDuplicateKeyError(err)) return; // another waiter is taking it over
      throw err;
    }
    await this.model.deleteOne({ _id: stale._id, owner: stale.owner }).exec();
  }

  async release(key: string, owner: string): Promise<void> {
    await this.model.deleteOne({ _id: key, owner }).exec();
  }
}
