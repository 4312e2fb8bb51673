/**
 * Grants: access a user holds in an app's entitlement, held by tickets (its holders).
 *
 * One document per (app, user, entitlement). Each ticket whose access is active is a holder with its own
 * period; the target is granted while any holder is, and the document's `start`/`end`/`ticketId` are the
 * effective period (the latest end wins; any indefinite holder makes it indefinite). `preexisting` marks
 * access the person held in the target before Gatehouse granted it, which no holder's end removes.
 *
 * Every read-modify-write of a grant runs under its lease (`exclusive`), together with the target call it
 * decides on: two tickets' activities changing one grant at once would otherwise lose a holder on
 * FerretDB, whose guarded updates are not atomic.
 *
 * Every save also appends the grant's row to the grant feed (`grant_feed`, see `Feed`), from which the
 * admin console's list (`page`) reads in memory on FerretDB.
 */
import type { Connection, Model } from 'mongoose';
import { Feed, FeedIndex, firstIndex, ListSourceSetting } from './feed';
import type { LeaseOptions, LeaseRepository } from './leases';
import { GrantSchema, type GrantDoc, type GrantHolderDoc, type GrantReleaseDoc, type GrantState } from './schemas';

const now = () => new Date().toISOString();

export function grantKey(appId: string, userId: string, entitlementId: string): string {
  return `${appId}:${userId}:${entitlementId}`;
}

export type GrantHolder = GrantHolderDoc;

/**
 * How many ended holdings a grant remembers (`released`): enough for any release still being retried,
 * since a ticket releases once, right after its own end, and retries within minutes.
 */
export const RELEASES_KEPT = 20;

/** `released` with how `ticketId`'s holding ended, newest last, keeping the latest `RELEASES_KEPT`. */
export function withRelease(
  released: GrantReleaseDoc[],
  ticketId: string,
  outcome: GrantReleaseDoc['outcome'],
): GrantReleaseDoc[] {
  return [...released.filter((r) => r.ticketId !== ticketId), { ticketId, outcome }].slice(-RELEASES_KEPT);
}

export interface Grant {
  userId: string;
  appId: string;
  entitlementId: string;
  state: GrantState;
  start: string;
  end: string | null;
  /** The holder whose end is the effective end. */
  ticketId: string;
  /** The tickets through which the access is held now, each with its own period. */
  holders: GrantHolder[];
  /** Held in the target before Gatehouse granted it: expiry leaves it; only an admin's revoke removes it. */
  preexisting: boolean;
}

export interface GrantPageFilter {
  appId?: string;
  userId?: string;
  entitlementId?: string;
  /** Default `active`. */
  state?: GrantState;
  /** ISO time: only access whose end is at or before it. */
  endingBefore?: string;
  limit: number;
  cursor?: string;
}

/** A grant as its read-modify-writes see it. */
export interface GrantRecord extends Omit<Grant, 'state'> {
  state: GrantDoc['state'];
  /** Tickets that marked their connector grant before making it and have not recorded their holder yet. */
  granting: string[];
  /** The latest holdings that ended, with how (see GrantDoc.released). */
  released: GrantReleaseDoc[];
  /**
   * The stored revision this record was read at; `save` writes the next one and records it here, so
   * saving one record again under the same lease needs no read. Absent (a new record): `save` reads it.
   */
  revision?: number;
}

/** The holder shape of any stored document: one written before holders existed has one holder while active. */
export function grantRecordFromDoc(doc: GrantDoc): GrantRecord {
  const holders =
    doc.holders ?? (doc.state === 'active' ? [{ ticketId: doc.ticketId, start: doc.start, end: doc.end ?? null }] : []);
  return {
    userId: doc.userId,
    appId: doc.appId,
    entitlementId: doc.entitlementId,
    state: doc.state,
    start: doc.start,
    end: doc.end ?? null,
    ticketId: doc.ticketId,
    holders: holders.map((h) => ({ ticketId: h.ticketId, start: h.start, end: h.end ?? null })),
    preexisting: doc.preexisting ?? false,
    granting: doc.granting ?? [],
    released: doc.released ?? [],
    revision: doc.revision ?? 0,
  };
}

export function newGrantRecord(appId: string, userId: string, entitlementId: string): GrantRecord {
  return {
    userId,
    appId,
    entitlementId,
    state: 'granting',
    start: now(),
    end: null,
    ticketId: '',
    holders: [],
    preexisting: false,
    granting: [],
    released: [],
  };
}

/** The holder whose end is the effective end: an indefinite one, else the latest end (the later holder on a tie). */
function effectiveHolder(holders: GrantHolder[]): GrantHolder {
  return holders.reduce((best, h) => {
    if (best.end === null) return h.end === null ? h : best;
    if (h.end === null) return h;
    return Date.parse(h.end) >= Date.parse(best.end) ? h : best;
  });
}

/**
 * The record with its summary fields derived from its holders. With no holder left, `endedAs` says how
 * the last one ended and the summary keeps the last effective period.
 */
export function summarized(record: GrantRecord, endedAs?: Exclude<GrantState, 'active'>): GrantRecord {
  if (record.holders.length === 0) {
    return { ...record, state: endedAs ?? record.state };
  }
  const effective = effectiveHolder(record.holders);
  const start = record.holders.map((h) => h.start).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
  return { ...record, state: 'active', start, end: effective.end, ticketId: effective.ticketId };
}

function publicGrant(record: GrantRecord): Grant {
  const { granting: _granting, released: _released, revision: _revision, ...grant } = record;
  return { ...grant, state: grant.state as GrantState };
}

export interface GrantPage {
  items: Grant[];
  nextCursor: string | null;
}

/** `page`'s filter (but the cursor) as a predicate over stored grants: the database query's filter, mirrored. */
function pageMatcher(filter: GrantPageFilter): (d: GrantDoc) => boolean {
  const state = filter.state ?? 'active';
  const { endingBefore } = filter;
  return (d) =>
    d.state === state &&
    (!filter.appId || d.appId === filter.appId) &&
    (!filter.userId || d.userId === filter.userId) &&
    (!filter.entitlementId || d.entitlementId === filter.entitlementId) &&
    (!endingBefore || (typeof d.end === 'string' && d.end <= endingBefore));
}

/** A page from up to `limit + 1` grants in `_id` order (one more than the page says whether another follows). */
function grantPageOf(docs: GrantDoc[], limit: number): GrantPage {
  const page = docs.slice(0, limit);
  return {
    items: page.map((d) => publicGrant(summarized(grantRecordFromDoc(d)))),
    nextCursor: docs.length > limit ? page[page.length - 1]._id : null,
  };
}

export class GrantRepository {
  readonly model: Model<GrantDoc>;
  /** Every grant saved, in order (`grant_feed`); rows carry the grant's `revision`. */
  readonly feed: Feed<GrantDoc>;
  /** Every grant in memory, by `_id`: what `page` reads on FerretDB. */
  readonly index: FeedIndex<GrantDoc>;

  /** `listSource`: where `page` reads (shared by the store's in-memory lists). */
  constructor(
    connection: Connection,
    private readonly leases: LeaseRepository,
    private readonly listSource = new ListSourceSetting(connection),
  ) {
    this.model = connection.model<GrantDoc>('Grant', GrantSchema);
    this.feed = new Feed(connection.collection('grant_feed'), 'grant feed');
    this.index = new FeedIndex(this.feed, {
      scan: () => this.model.find().lean<GrantDoc[]>().exec(),
      compare: (a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0),
      version: (row) => row.revision ?? 0,
    });
  }

  /**
   * Runs `work` alone among every worker for this grant: it reads the grant, calls the target, and
   * saves, with nobody else's read-modify-write of this grant in between.
   */
  async exclusive<T>(
    appId: string,
    userId: string,
    entitlementId: string,
    work: () => Promise<T>,
    options: LeaseOptions = {},
  ): Promise<T> {
    return this.leases.withLease(`grant:${grantKey(appId, userId, entitlementId)}`, work, options);
  }

  /** The grant in the holder shape, or null when there never was one. Read inside `exclusive` before changing it. */
  async read(appId: string, userId: string, entitlementId: string): Promise<GrantRecord | null> {
    const doc = await this.current(appId, userId, entitlementId);
    return doc ? grantRecordFromDoc(doc) : null;
  }

  /**
   * Writes the whole grant (summary derived from its holders) with the next revision, then its row to the
   * grant feed. Call inside `exclusive`: the lease is what keeps two saves from taking one revision.
   */
  async save(record: GrantRecord, endedAs?: Exclude<GrantState, 'active'>): Promise<GrantRecord> {
    const { saved, fed } = await this.saveBeforeFeed(record, endedAs);
    await fed;
    return saved;
  }

  /**
   * As `save`, but answers once the grant itself is written: `fed` settles when its feed row has landed.
   * For a write that a later save of the same lease supersedes (the mark before a target call), so the
   * call need not wait for the row; the caller awaits `fed` before it lets the lease go.
   */
  async saveBeforeFeed(
    record: GrantRecord,
    endedAs?: Exclude<GrantState, 'active'>,
  ): Promise<{ saved: GrantRecord; fed: Promise<void> }> {
    const saved = summarized(record, endedAs);
    const _id = grantKey(saved.appId, saved.userId, saved.entitlementId);
    const previous =
      record.revision ??
      (await this.model.findById(_id, { revision: 1 }).lean<Pick<GrantDoc, 'revision'>>().exec())?.revision ??
      0;
    const doc: GrantDoc = {
      _id,
      userId: saved.userId,
      appId: saved.appId,
      entitlementId: saved.entitlementId,
      state: saved.state,
      start: saved.start,
      end: saved.end,
      ticketId: saved.ticketId,
      holders: saved.holders,
      preexisting: saved.preexisting,
      granting: saved.granting,
      released: saved.released,
      updatedAt: now(),
      revision: previous + 1,
    };
    await this.model.replaceOne({ _id: doc._id }, doc, { upsert: true }).exec();
    record.revision = doc.revision;
    const fed = this.feed.append(doc);
    // Awaited by the caller; a failure must not go unhandled meanwhile.
    fed.catch(() => undefined);
    return { saved, fed };
  }

  /** Inserts new grants in bulk (imports, benchmarks) at revision 1, and their rows into the feed. */
  async insertMany(docs: GrantDoc[]): Promise<void> {
    const first = docs.map((d) => ({ ...d, revision: 1 }));
    await this.model.collection.insertMany(first.map((d) => ({ ...d })) as never[], { ordered: false });
    await this.feed.appendMany(first);
  }

  // Lookups by `_id` alone, conditions checked here: FerretDB scans the collection for any other filter.

  private async current(appId: string, userId: string, entitlementId: string): Promise<GrantDoc | null> {
    return this.model
      .findById(grantKey(appId, userId, entitlementId))
      .lean<GrantDoc>()
      .exec();
  }

  /** The ticket whose period is this access's effective one, while the access is held through a ticket. */
  async activeOwner(appId: string, userId: string, entitlementId: string): Promise<string | null> {
    const doc = await this.current(appId, userId, entitlementId);
    if (!doc) return null;
    const record = grantRecordFromDoc(doc);
    return record.holders.length > 0 ? summarized(record).ticketId : null;
  }

  /** The tickets holding this access now. */
  async holders(appId: string, userId: string, entitlementId: string): Promise<GrantHolder[]> {
    const doc = await this.current(appId, userId, entitlementId);
    return doc ? grantRecordFromDoc(doc).holders : [];
  }

  async list(filter: { userId?: string; appId?: string; state?: GrantState }): Promise<Grant[]> {
    const q: Record<string, unknown> = {};
    if (filter.userId) q.userId = filter.userId;
    if (filter.appId) q.appId = filter.appId;
    q.state = filter.state ?? { $ne: 'granting' };
    const docs = await this.model
      .find(q)
      .sort({ appId: 1, userId: 1, entitlementId: 1 })
      .limit(1000)
      .lean<GrantDoc[]>()
      .exec();
    return docs.map((d) => publicGrant(summarized(grantRecordFromDoc(d))));
  }

  /**
   * One page of grants for the admin console, by `_id` (`<appId>:<userId>:<entitlementId>`, so by app,
   * then user, then entitlement). Keyset paging: `cursor` is the last `_id` of the previous page.
   * `endingBefore`: only access that ends by then (indefinite access never does). Reads memory or the
   * database as the list source says (`ListSource`).
   */
  async page(filter: GrantPageFilter): Promise<GrantPage> {
    return this.listSource.read(
      this.index,
      () => this.pageFromIndex(filter),
      () => this.pageFromDatabase(filter),
    );
  }

  /** Loads the index when lists read memory; resolves once loaded (gateways call it at start). */
  async warm(): Promise<void> {
    if ((await this.listSource.resolve()) === 'memory') await this.index.load();
  }

  /** The page from the index, brought up to date with every save before the call. */
  async pageFromIndex(filter: GrantPageFilter): Promise<GrantPage> {
    const rows = await this.index.upToDate();
    const matches = pageMatcher(filter);
    const { cursor } = filter;
    const docs: GrantDoc[] = [];
    for (let i = cursor ? firstIndex(rows, (r) => r._id > cursor) : 0; i < rows.length; i++) {
      if (!matches(rows[i])) continue;
      docs.push(rows[i]);
      if (docs.length > filter.limit) break;
    }
    return grantPageOf(docs, filter.limit);
  }

  /**
   * The page as the database answers it. With app, user and entitlement all given it is one lookup by
   * `_id`, the only query FerretDB answers from an index.
   */
  async pageFromDatabase(filter: GrantPageFilter): Promise<GrantPage> {
    const state = filter.state ?? 'active';
    let docs: GrantDoc[];
    if (filter.appId && filter.userId && filter.entitlementId) {
      const key = grantKey(filter.appId, filter.userId, filter.entitlementId);
      const doc = !filter.cursor || key > filter.cursor ? await this.model.findById(key).lean<GrantDoc>().exec() : null;
      docs = doc && pageMatcher(filter)(doc) ? [doc] : [];
    } else {
      const q: Record<string, unknown> = { state };
      if (filter.appId) q.appId = filter.appId;
      if (filter.userId) q.userId = filter.userId;
      if (filter.entitlementId) q.entitlementId = filter.entitlementId;
      if (filter.endingBefore) q.end = { $ne: null, $lte: filter.endingBefore };
      if (filter.cursor) q._id = { $gt: filter.cursor };
      docs = await this.model
        .find(q)
        .sort({ _id: 1 })
        .limit(filter.limit + 1)
        .lean<GrantDoc[]>()
        .exec();
    }
    return grantPageOf(docs, filter.limit);
  }

  /** Every active grant of an app (the drift report compares them with the target's members). */
  async activeIn(appId: string): Promise<Grant[]> {
    const docs = await this.model.find({ appId, state: 'active' }).lean<GrantDoc[]>().exec();
    return docs.map((d) => publicGrant(summarized(grantRecordFromDoc(d))));
  }

  /**
   * Which of these entitlements the user holds in the app, each with the ticket whose end is in force and
   * that end: one `_id` lookup each (FerretDB pushes only those down).
   */
  async activeAmong(
    userId: string,
    appId: string,
    entitlementIds: string[],
  ): Promise<Map<string, { ticketId: string; end: string | null }>> {
    const docs = await Promise.all([...new Set(entitlementIds)].map((e) => this.current(appId, userId, e)));
    const active = docs.filter((d): d is GrantDoc => d !== null && d.state === 'active');
    return new Map(active.map((d) => [d.entitlementId, { ticketId: d.ticketId, end: d.end }]));
  }

  /** Active access of one user in one app, by entitlement. */
  async activeFor(userId: string, appId?: string): Promise<Map<string, Grant>> {
    const grants = await this.list({ userId, appId, state: 'active' });
    return new Map(grants.map((g) => [appId ? g.entitlementId : `${g.appId}:${g.entitlementId}`, g]));
  }

  /**
   * Rewrites documents of the one-holder shape in the holder shape (each under its lease, so a grant
   * changed meanwhile is left as its writer saved it). Idempotent: run at every worker start.
   */
  async migrateToHolders(): Promise<number> {
    const old = await this.model
      .find({ holders: { $exists: false } }, { _id: 1, appId: 1, userId: 1, entitlementId: 1 })
      .lean<GrantDoc[]>()
      .exec();
    let migrated = 0;
    for (const { appId, userId, entitlementId } of old) {
      await this.exclusive(appId, userId, entitlementId, async () => {
        const doc = await this.current(appId, userId, entitlementId);
        if (!doc || doc.holders) return;
        await this.save(grantRecordFromDoc(doc));
        migrated++;
      });
    }
    return migrated;
  }
}
