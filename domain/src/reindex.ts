/**
 * The read-model rebuild: MongoDB's tickets are derived from the ticket workflows in Temporal, and the
 * grants, seats, open claims and taken ticket numbers from the tickets, so all of them can be written
 * again from Temporal. The maintenance workflow pages through the ticket workflows with these activities;
 * `npm run reindex` runs the same steps in-process.
 */

/** One failure of the rebuild: a ticket it could not read or write (null: not tied to one ticket). */
export interface ReindexError {
  ticketId: string | null;
  message: string;
}

export interface ReindexPageInput {
  /** The ticket workflows' type and task queue: the visibility query lists exactly those. */
  workflowType: string;
  taskQueue: string;
  pageSize: number;
  /** Visibility's page token (base64), null for the first page. */
  nextPageToken: string | null;
}

/** The gateway's `TICKET_NUMBER_START`: ticket `TCK-<start + n>` took number `n`. */
export interface ReindexDerivedInput {
  ticketNumberStart: number;
}

export interface ReindexPageResult {
  /** Ticket workflows listed on this page (each workflow once: its latest run). */
  seen: number;
  /** Tickets written; a stored version as new as Temporal's is left alone and counted in `current`. */
  written: number;
  current: number;
  errors: ReindexError[];
  nextPageToken: string | null;
}

/** What the second phase wrote from the tickets now in MongoDB. */
export interface ReindexDerivedResult {
  grantsWritten: number;
  seatsWritten: number;
  claimsWritten: number;
  ticketNumbersWritten: number;
  /** Late re-raises (started after their parent's workflow completed) linked into the parent's `childTicketIds`. */
  childLinksWritten: number;
  errors: ReindexError[];
}

export interface ReindexActivities {
  /** Lists one page of ticket workflows and writes each one's ticket as its workflow last persisted it. */
  reindexTicketsPage(input: ReindexPageInput): Promise<ReindexPageResult>;
  /** Rebuilds what MongoDB derives from the tickets: grants (with their holders), seats, open claims, ticket numbers. */
  reindexDerived(input: ReindexDerivedInput): Promise<ReindexDerivedResult>;
}

export type ReindexPhase = 'tickets' | 'derived' | 'done';

/** The rebuild's progress, as `GET /admin/reindex/:id` answers it. */
export interface ReindexProgress {
  phase: ReindexPhase;
  workflowsSeen: number;
  ticketsWritten: number;
  ticketsCurrent: number;
  grantsWritten: number;
  seatsWritten: number;
  claimsWritten: number;
  ticketNumbersWritten: number;
  childLinksWritten: number;
  /** How many failures; `errors` keeps the first `MAX_REINDEX_ERRORS`. */
  errorCount: number;
  errors: ReindexError[];
}

export const MAX_REINDEX_ERRORS = 100;

export function emptyReindexProgress(): ReindexProgress {
  return {
    phase: 'tickets',
    workflowsSeen: 0,
    ticketsWritten: 0,
    ticketsCurrent: 0,
    grantsWritten: 0,
    seatsWritten: 0,
    claimsWritten: 0,
    ticketNumbersWritten: 0,
    childLinksWritten: 0,
    errorCount: 0,
    errors: [],
  };
}

/** Adds a page's or a phase's counts to the progress (errors past the cap are counted, not kept). */
export function addToProgress(
  progress: ReindexProgress,
  result: Partial<ReindexPageResult & ReindexDerivedResult>,
): ReindexProgress {
  const errors = result.errors ?? [];
  return {
    ...progress,
    workflowsSeen: progress.workflowsSeen + (result.seen ?? 0),
    ticketsWritten: progress.ticketsWritten + (result.written ?? 0),
    ticketsCurrent: progress.ticketsCurrent + (result.current ?? 0),
    grantsWritten: progress.grantsWritten + (result.grantsWritten ?? 0),
    seatsWritten: progress.seatsWritten + (result.seatsWritten ?? 0),
    claimsWritten: progress.claimsWritten + (result.claimsWritten ?? 0),
    ticketNumbersWritten: progress.ticketNumbersWritten + (result.ticketNumbersWritten ?? 0),
    childLinksWritten: progress.childLinksWritten + (result.childLinksWritten ?? 0),
    errorCount: progress.errorCount + errors.length,
    errors: [...progress.errors, ...errors].slice(0, MAX_REINDEX_ERRORS),
  };
}
