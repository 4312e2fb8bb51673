import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

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

interface AuditDoc extends Omit<AuditEntry, 'id'> {
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

export class AuditRepository {
  readonly model: Model<AuditDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<AuditDoc>('Audit', AuditSchema);
  }

  /** Appends an entry; ids sort by time (`<ms>-<random>`), so no shared counter is needed. */
  async append(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    const seq = Date.parse(entry.at);
    const _id = `${seq.toString().padStart(15, '0')}-${Math.random().toString(36).slice(2, 10)}`;
    await this.model.collection.insertOne({ _id, seq, ...entry } as never);
  }

  async list(
    q: AuditFilter & { limit: number; cursor?: string },
  ): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const docs = await this.model
      .find(auditFilter(q, q.cursor))
      .sort({ _id: -1 })
      .limit(q.limit + 1)
      .lean<AuditDoc[]>()
      .exec();
    const page = docs.slice(0, q.limit);
    return {
      items: page.map(entryFromDoc),
      nextCursor: docs.length > q.limit ? page[page.length - 1]._id : null,
    };
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

function auditFilter(q: AuditFilter, cursor: string | undefined): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (q.actor) filter.actor = q.actor;
  if (q.target) filter.target = q.target;
  if (q.action) filter.action = q.action;
  const id: Record<string, string> = {};
  if (q.from) id.$gte = idAt(q.from);
  // An id is its time prefix plus more, so every id of the `to` millisecond sorts above the bare prefix.
  const below = [q.to ? idAt(q.to) : undefined, cursor].filter((v): v is string => v !== undefined).sort()[0];
  if (below !== undefined) id.$lt = below;
  if (Object.keys(id).length > 0) filter._id = id;
  return filter;
}

function entryFromDoc({ _id, seq: _seq, ...rest }: AuditDoc): AuditEntry {
  return { id: _id, ...rest };
}
