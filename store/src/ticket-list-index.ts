import type { Collection } from 'mongoose';
import { FeedIndex } from './feed';
import { tabStatusOf, TICKET_ROW_FIELDS, type TicketFeed, type TicketRow } from './ticket-feed';

/**
 * The tracker's tickets in memory: one row per ticket, newest (highest `seq`) first, kept current from the
 * ticket feed (`TicketFeed`; loading, catching up and gaps: `FeedIndex`). A list is one pass over these
 * rows with predicates that mirror the database query's filter (`TicketRepository.listFromIndex`; a
 * property test holds the two to the same answers). Of two rows of a ticket, the higher version wins.
 */
export class TicketListIndex extends FeedIndex<TicketRow> {
  constructor(tickets: Collection, feed: TicketFeed) {
    const projection = Object.fromEntries(TICKET_ROW_FIELDS.map((f) => [f, 1]));
    super(feed, {
      scan: () => tickets.find({}, { projection }).toArray() as unknown as Promise<TicketRow[]>,
      compare: (a, b) => b.seq - a.seq,
      version: (row) => row.version ?? 0,
    });
  }

  /**
   * One pass over the rows, newest first: the first `limit` rows that pass `page`, and how many rows pass
   * `counted`, by the status their tab counts them under (`tabStatusOf`; `page` implies `counted`).
   */
  scan(
    counted: (row: TicketRow) => boolean,
    page: (row: TicketRow) => boolean,
    limit: number,
  ): { rows: TicketRow[]; byStatus: Map<string, number> } {
    const rows: TicketRow[] = [];
    const byStatus = new Map<string, number>();
    for (const row of this.rows) {
      if (!counted(row)) continue;
      const status = tabStatusOf(row);
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (rows.length < limit && page(row)) rows.push(row);
    }
    return { rows, byStatus };
  }
}
