import type { Collection } from 'mongoose';
import { Feed } from './feed';
import type { TicketDoc } from './schemas';

/**
 * A ticket's row in the tracker's list index: every field `GET /tickets` filters, sorts, counts or shows,
 * and the version that orders two rows of one ticket.
 */
export type TicketRow = Pick<
  TicketDoc,
  | '_id'
  | 'seq'
  | 'version'
  | 'status'
  | 'requester'
  | 'beneficiary'
  | 'type'
  | 'action'
  | 'app'
  | 'reason'
  | 'duration'
  | 'createdAt'
  | 'resolvedAt'
  | 'resolvedInSeconds'
  | 'approverRules'
  | 'awaitingRules'
  | 'awaitingExcluded'
  | 'breakGlass'
  | 'reviewPending'
>;

export const TICKET_ROW_FIELDS = [
  '_id',
  'seq',
  'version',
  'status',
  'requester',
  'beneficiary',
  'type',
  'action',
  'app',
  'reason',
  'duration',
  'createdAt',
  'resolvedAt',
  'resolvedInSeconds',
  'approverRules',
  'awaitingRules',
  'awaitingExcluded',
  'breakGlass',
  'reviewPending',
] as const satisfies readonly (keyof TicketRow)[];

/**
 * The status a ticket is counted and listed under in the tracker's tabs: its own, except that approved
 * break-glass access still awaiting its review stays open (`pending`) until reviewed.
 */
export function tabStatusOf(row: Pick<TicketRow, 'status' | 'reviewPending'>): string {
  return row.reviewPending === true ? 'pending' : row.status;
}

export function ticketRowOf(doc: TicketDoc): TicketRow {
  return Object.fromEntries(TICKET_ROW_FIELDS.map((f) => [f, doc[f]])) as TicketRow;
}

/**
 * The ticket feed (`ticket_feed`): every row written to `tickets` (see `Feed`). Each entry is written after
 * its ticket's write, except a new ticket's first row (version 0), which the gateway appends alongside its
 * insert: a list may show that ticket a few milliseconds before it can be read by id. Its row carries the
 * ticket's version, so entries applied in any order converge on the newest.
 */
export class TicketFeed extends Feed<TicketRow> {
  constructor(collection: Collection) {
    super(collection, 'ticket feed');
  }
}
