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

  async list(q: {
    actor?: string;
    target?: string;
    action?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const filter: Record<string, unknown> = {};
    if (q.actor) filter.actor = q.actor;
    if (q.target) filter.target = q.target;
    if (q.action) filter.action = q.action;
    if (q.cursor) filter._id = { $lt: q.cursor };
    const docs = await this.model
      .find(filter)
      .sort({ _id: -1 })
      .limit(q.limit + 1)
      .lean<AuditDoc[]>()
      .exec();
    const page = docs.slice(0, q.limit);
    return {
      items: page.map(({ _id, seq: _seq, ...rest }) => ({ id: _id, ...rest })),
      nextCursor: docs.length > q.limit ? page[page.length - 1]._id : null,
    };
  }
}
