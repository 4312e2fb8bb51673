import type { Collection } from 'mongoose';
import { isDuplicateKeyError } from './connection';
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

/** One slot of the feed: a ticket's row as written, or `skip` (a slot a reader closed after its writer gave up). */
export interface FeedEntry {
  _id: string;
  row?: TicketRow;
  skip?: true;
  at: Date;
}

/** Slot `n`'s `_id`: a string, because FerretDB puts only a string or ObjectId `_id` filter into its SQL. */
export function feedKey(n: number): string {
  return `f${String(n).padStart(12, '0')}`;
}

/**
 * The ticket feed: every row written to `tickets`, appended to numbered slots (`ticket_feed`, `_id` = the
 * slot), so a reader can follow every change with lookups by `_id` alone (the only lookup FerretDB serves
 * from an index) instead of scanning tickets.
 *
 * Appending is a unique insert into the next free slot, the one operation FerretDB performs atomically:
 * two writers never share a slot; the loser moves on. A slot can be left empty only by a writer that
 * failed after taking its number (a crash, a dropped connection) while a later slot filled; readers close
 * such a gap after a grace period by inserting `skip` there (whoever inserts first wins the slot, so a slow
 * writer that loses it appends again further on). Each entry is written after its ticket's write, so an
 * entry never shows a state the ticket does not have, except a new ticket's first row (version 0), which
 * the gateway appends alongside its insert: a list may show that ticket a few milliseconds before it can be
 * read by id. Its row carries the ticket's version, so entries applied in any order converge on the newest.
 */
export class TicketFeed {
  /** The next slot this process will try; null until located. */
  private next: number | null = null;
  private locating: Promise<number> | null = null;

  constructor(readonly collection: Collection) {}

  async append(row: TicketRow): Promise<void> {
    let collisions = 0;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const slot = await this.take(collisions > 16);
      if (collisions > 16) collisions = 0;
      if (await this.insert({ _id: feedKey(slot), row, at: new Date() })) return;
      collisions++;
      this.next = Math.max(this.next ?? 0, slot + 1);
    }
    throw new Error(`ticket feed: no free slot for ${row._id} after 1000 attempts`);
  }

  /**
   * Appends many rows with bulk inserts into consecutive slots (imports, benchmarks); rows whose slot
   * another writer took meanwhile are appended one by one.
   */
  async appendMany(rows: TicketRow[], chunk = 500): Promise<void> {
    for (let from = 0; from < rows.length; from += chunk) {
      const part = rows.slice(from, from + chunk);
      const first = await this.take(false);
      this.next = first + part.length;
      const at = new Date();
      const entries = part.map((row, i) => ({ _id: feedKey(first + i), row, at }));
      try {
        await this.collection.insertMany(entries as never[], { ordered: false });
      } catch (err) {
        const failed = (err as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
        if (!failed?.length || failed.some((e) => e.code !== 11000)) throw err;
        for (const e of failed) await this.append(part[e.index]);
      }
    }
  }

  /**
   * Forgets where this process thinks the feed ends: the next append looks for the end again. For a feed
   * that went back (its database was dropped or restored while this process ran), whose slots this
   * process would otherwise keep appending far past the end, where no reader looks.
   */
  relocate(): void {
    this.next = null;
  }

  /** Inserts `skip` into an empty slot; false when the slot was filled meanwhile (read it again). */
  async close(slot: number): Promise<boolean> {
    return this.insert({ _id: feedKey(slot), skip: true, at: new Date() });
  }

  /** Slots `from` … `from + count - 1`, each the entry or null (empty). */
  async read(from: number, count: number): Promise<(FeedEntry | null)[]> {
    return Promise.all(
      Array.from(
        { length: count },
        (_, i) => this.collection.findOne({ _id: feedKey(from + i) } as never) as Promise<FeedEntry | null>,
      ),
    );
  }

  /**
   * The first empty slot, searched as if filled slots formed a prefix (exponential, then binary search:
   * a few dozen lookups at millions of entries). A gap not yet closed can make it answer early; writers
   * then collide and move on, readers re-read a few entries, which both tolerate.
   */
  async end(): Promise<number> {
    const filled = async (n: number) => (await this.collection.findOne({ _id: feedKey(n) } as never)) !== null;
    if (!(await filled(0))) return 0;
    let lo = 0; // known filled
    let hi = 1;
    while (await filled(hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await filled(mid)) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  private async take(relocate: boolean): Promise<number> {
    if (this.next === null || relocate) {
      this.locating ??= this.end().finally(() => (this.locating = null));
      const end = await this.locating;
      this.next = Math.max(this.next ?? 0, end);
    }
    return this.next++;
  }

  private async insert(entry: FeedEntry): Promise<boolean> {
    try {
      await this.collection.insertOne(entry as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
  }
}
