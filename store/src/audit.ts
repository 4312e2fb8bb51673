import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { Feed, FeedIndex, firstIndex, ListSourceSetting } from './feed';

/** One decision or administrative change, as it reached the API. Append-only: there is no update or delete. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  /** e.g. `ticket.approve`, `app.put`, `user.put` */
  action: string;
  /** The ticket, app or user acted on. */
  target: string;
  status: number;
  requestId: string;
  /** Small, known-safe facts (a comment, the resulting ticket id); never bodies, tokens or secrets. */
  details: Record<string, string | number | boolean | null>;
}

export interface AuditDoc extends Omit<AuditEntry, 'id'> {
  _id: string;
  seq: number;
}

const AuditSchema = new Schema<AuditDoc>(
  {
    _id: String,
    seq: Number,
    at: String,
    actor: String,
    action: String,
    target: String,
    status: Number,
    requestId: String,
    details: Schema.Types.Mixed,
  },
  { versionKey: false, minimize: false, collection: 'audit' },
);
AuditSchema.index({ seq: -1 });
AuditSchema.index({ actor: 1, seq: -1 });
AuditSchema.index({ target: 1, seq: -1 });
// The audit screen filters by action alone (every `webhook.create`), newest first.
AuditSchema.index({ action: 1, _id: -1 });

const FEED_ATTEMPTS = 3;

export interface AuditListQuery extends AuditFilter {
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

export class AuditRepository {
  readonly model: Model<AuditDoc>;
  /** Every entry appended, in order (`audit_feed`, see `Feed`). Entries never change, so a row needs no version. */
  readonly feed: Feed<AuditDoc>;
  /** Every entry in memory, newest (highest `_id`) first: what `list` reads on FerretDB. */
  readonly index: FeedIndex<AuditDoc>;

  /** `listSource`: where `list` reads (shared by the store's in-memory lists). */
  constructor(
    connection: Connection,
    private readonly listSource = new ListSourceSetting(connection),
  ) {
    this.model = connection.model<AuditDoc>('Audit', AuditSchema);
    this.feed = new Feed(connection.collection('audit_feed'), 'audit feed');
    this.index = new FeedIndex(this.feed, {
      scan: () => this.model.find().lean<AuditDoc[]>().exec(),
      compare: (a, b) => (a._id < b._id ? 1 : a._id > b._id ? -1 : 0),
    });
  }

  /**
   * Appends an entry, then its row to the feed; ids sort by time (`<ms>-<random>`), so no shared counter is
   * needed. The feed append is retried a few times: nobody retries an audit write, and an entry missing
   * from the feed is missing from lists in memory until the gateways load their index again.
   */
  async append(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    const seq = Date.parse(entry.at);
    const _id = `${seq.toString().padStart(15, '0')}-${Math.random().toString(36).slice(2, 10)}`;
    const doc: AuditDoc = { _id, seq, ...entry };
    await this.model.collection.insertOne({ ...doc } as never);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.feed.append(doc);
      } catch (err) {
        if (attempt === FEED_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /** Appends many entries at once, and their rows to the feed (benchmarks, imports). */
  async appendMany(docs: AuditDoc[]): Promise<void> {
    await this.model.collection.insertMany(docs.map((d) => ({ ...d })) as never[], { ordered: false });
    await this.feed.appendMany(docs);
  }

  /** A page, newest first, from memory or the database as the list source says (`ListSource`). */
  async list(q: AuditListQuery): Promise<AuditPage> {
    return this.listSource.read(
      this.index,
      () => this.listFromIndex(q),
      () => this.listFromDatabase(q),
    );
  }

  /** Loads the index when lists read memory; resolves once loaded (gateways call it at start). */
  async warm(): Promise<void> {
    if ((await this.listSource.resolve()) === 'memory') await this.index.load();
  }

  /** The page from the index, brought up to date with every entry appended before the call. */
  async listFromIndex(q: AuditListQuery): Promise<AuditPage> {
    const rows = await this.index.upToDate();
    const { atLeast, below } = idRange(q, q.cursor);
    const docs: AuditDoc[] = [];
    // Newest first: the range's top is a binary search away, and its bottom ends the pass.
    for (let i = below === undefined ? 0 : firstIndex(rows, (r) => r._id < below); i < rows.length; i++) {
      const row = rows[i];
      if (atLeast !== undefined && row._id < atLeast) break;
      if (
        (!q.actor || row.actor === q.actor) &&
        (!q.target || row.target === q.target) &&
        (!q.action || row.action === q.action)
      ) {
        docs.push(row);
        if (docs.length > q.limit) break;
      }
    }
    return pageOf(docs, q.limit);
  }

  /** The page as the database answers it (on MongoDB from the declared indexes). */
  async listFromDatabase(q: AuditListQuery): Promise<AuditPage> {
    const docs = await this.model
      .find(auditFilter(q, q.cursor))
      .sort({ _id: -1 })
      .limit(q.limit + 1)
      .lean<AuditDoc[]>()
      .exec();
    return pageOf(docs, q.limit);
  }

  /**
   * Every entry matching `q`, newest first, read a page at a time (keyset on `_id`, as `list` pages), so an
   * export of the whole log never holds it in memory nor keeps a server-side cursor open while the client reads.
   */
  async *all(q: AuditFilter, pageSize = 500): AsyncGenerator<AuditEntry[]> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.list({ ...q, limit: pageSize, cursor });
      if (page.items.length > 0) yield page.items;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }
}

export interface AuditFilter {
  actor?: string;
  target?: string;
  action?: string;
  /** Entries at or after this instant (ISO 8601). */
  from?: string;
  /** Entries before this instant (ISO 8601). */
  to?: string;
}

/** `_id` starts with the entry's time in ms, zero-padded: a time range is a range of ids, on the `_id` index. */
const idAt = (iso: string) => Date.parse(iso).toString().padStart(15, '0');

/**
 * The `_id` range of a query: at or above `atLeast`, below `below` (the earlier of `to` and the cursor).
 * An id is its time prefix plus more, so every id of the `to` millisecond sorts above the bare prefix.
 */
function idRange(q: AuditFilter, cursor: string | undefined): { atLeast?: string; below?: string } {
  const below = [q.to ? idAt(q.to) : undefined, cursor].filter((v): v is string => v !== undefined).sort()[0];
  return { atLeast: q.from ? idAt(q.from) : undefined, below };
}

function auditFilter(q: AuditFilter, cursor: string | undefined): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (q.actor) filter.actor = q.actor;
  if (q.target) filter.target = q.target;
  if (q.action) filter.action = q.action;
  const { atLeast, below } = idRange(q, cursor);
  const id: Record<string, string> = {};
  if (atLeast !== undefined) id.$gte = atLeast;
  if (below !== undefined) id.$lt = below;
  if (Object.keys(id).length > 0) filter._id = id;
  return filter;
}

/** A page from up to `limit + 1` entries, newest first (one more than the page says whether another follows). */
function pageOf(docs: AuditDoc[], limit: number): AuditPage {
  const page = docs.slice(0, limit);
  return {
    items: page.map(entryFromDoc),
    nextCursor: docs.length > limit ? page[page.length - 1]._id : null,
  };
}

function entryFromDoc({ _id, seq: _seq, ...rest }: AuditDoc): AuditEntry {
  return { id: _id, ...rest };
}
