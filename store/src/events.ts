/**
 * Ticket events: every entry of every ticket's log, as published by its workflow (docs/notifications.md).
 * Permanent, one document per event (`_id` = the event's stable id), so a publish retried by Temporal
 * inserts nothing twice; webhook deliveries read the event they carry from here.
 */
import { Schema, type Connection, type Model, type mongo } from 'mongoose';
import type { TicketEvent } from '@gatehouse/domain';

export interface TicketEventDoc {
  _id: string;
  ticketId: string;
  sequence: number;
  type: string;
  at: string;
  event: TicketEvent;
}

export const TicketEventSchema = new Schema<TicketEventDoc>(
  { _id: String, ticketId: String, sequence: Number, type: String, at: String, event: Schema.Types.Mixed },
  { versionKey: false, minimize: false, collection: 'ticket_events' },
);
TicketEventSchema.index({ ticketId: 1, sequence: 1 });

export class TicketEventRepository {
  readonly model: Model<TicketEventDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<TicketEventDoc>('TicketEvent', TicketEventSchema);
  }

  /**
   * Stores events not stored yet; returns how many were new. One unordered bulk insert: each event is a
   * unique `_id` insert (FerretDB-safe), and the ones already stored by an earlier attempt fail alone.
   */
  async add(events: TicketEvent[]): Promise<number> {
    if (!events.length) return 0;
    const docs = events.map((event) => ({
      _id: event.id,
      ticketId: event.ticketId,
      sequence: event.sequence,
      type: event.type,
      at: event.at,
      event,
    }));
    try {
      const collection = this.model.collection as unknown as mongo.Collection<TicketEventDoc>;
      const res = await collection.insertMany(docs, { ordered: false });
      return res.insertedCount;
    } catch (err) {
      const bulk = err as {
        writeErrors?: { code?: number }[] | { code?: number };
        result?: { insertedCount?: number };
        insertedCount?: number;
      };
      const writeErrors = Array.isArray(bulk.writeErrors)
        ? bulk.writeErrors
        : bulk.writeErrors
          ? [bulk.writeErrors]
          : [];
      if (!writeErrors.length || writeErrors.some((e) => e.code !== 11000)) throw err;
      return bulk.insertedCount ?? bulk.result?.insertedCount ?? events.length - writeErrors.length;
    }
  }

  async get(id: string): Promise<TicketEvent | null> {
    const doc = await this.model.findById(id).lean<TicketEventDoc>().exec();
    return doc ? doc.event : null;
  }

  /** A ticket's events in order. */
  async forTicket(ticketId: string): Promise<TicketEvent[]> {
    const docs = await this.model.find({ ticketId }).sort({ sequence: 1 }).lean<TicketEventDoc[]>().exec();
    return docs.map((d) => d.event);
  }
}
