/**
 * Ticket events: every entry of every ticket's log, as published by its workflow (docs/notifications.md).
 * Permanent, one document per event (`_id` = the event's stable id), so a publish retried by Temporal
 * inserts nothing twice; webhook deliveries read the event they carry from here.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { TicketEvent } from '@gatehouse/domain';
import { isDuplicateKeyError } from './connection';

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

  /** Stores events not stored yet; returns how many were new. One insert per event: FerretDB-safe. */
  async add(events: TicketEvent[]): Promise<number> {
    let added = 0;
    for (const event of events) {
      try {
        await this.model.create({ _id: event.id, ticketId: event.ticketId, sequence: event.sequence, type: event.type, at: event.at, event });
        added++;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    return added;
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
