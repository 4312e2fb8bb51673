import type { Collection } from 'mongoose';
import { tabStatusOf, TICKET_ROW_FIELDS, TicketFeed, type FeedEntry, type TicketRow } from './ticket-feed';

/** How many feed slots one catch-up reads at once (in parallel, each a lookup by `_id`). */
const BATCH = 16;
/** How long an empty slot with filled slots after it is waited for before it is closed. */
const GAP_GRACE_MS = 1_000;
const GAP_POLL_MS = 20;

export type TicketListIndexState = 'cold' | 'loading' | 'ready';

/**
 * The tracker's tickets in memory: one row per ticket, newest first, kept current from the ticket feed
 * (`TicketFeed`). A list is one pass over these rows with predicates that mirror the database query's
 * filter (`TicketRepository.listFromIndex`; a property test holds the two to the same answers).
 *
 * Why: on the embedded stack (FerretDB on SQLite) no query but a lookup by `_id` uses an index, so every
 * database list reads and decodes every ticket (docs/performance.md, "Tracker"). Here a list costs the
 * feed lookups for what changed since the last one (usually one round of `BATCH` lookups that find
 * nothing) and a pass over the rows in memory.
 *
 * Loading reads every ticket once (the end of the feed first, then a scan of `tickets`): entries from
 * that end on are applied after the scan, and any entry before it was written after its ticket, so the
 * scan saw that state or a newer one. Until loaded, callers use the database query.
 *
 * Entries are never changed or deleted, so the last one applied stays as it was, unless the feed went back
 * (the database was dropped or restored, then rebuilt: docs/operations.md). Each catch-up reads that entry
 * again with its first batch; when it is gone or another, the index loads again from scratch.
 */
export class TicketListIndex {
  /** Rows, newest (highest `seq`) first. */
  private rows: TicketRow[] = [];
  private next = 0;
  private gap: { slot: number; since: number } | null = null;
  /** The last entry applied (its slot and write time), read again by each catch-up to notice a feed that went back. */
  private last: { slot: number; entry: FeedEntry } | null = null;
  private loading: Promise<void> | null = null;
  private current: Promise<void> | null = null;
  private follower: Promise<void> | null = null;
  state: TicketListIndexState = 'cold';

  constructor(
    private readonly tickets: Collection,
    private readonly feed: TicketFeed,
  ) {}

  /** Starts loading (once); resolves when loaded. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      this.state = 'loading';
      try {
        await this.fill();
        this.state = 'ready';
      } catch (err) {
        this.state = 'cold';
        this.loading = null;
        throw err;
      }
    })();
    return this.loading;
  }

  /** Reads every ticket, and the feed's end to follow from. */
  private async fill(): Promise<void> {
    const from = await this.feed.end();
    const projection = Object.fromEntries(TICKET_ROW_FIELDS.map((f) => [f, 1]));
    const [docs, [before]] = await Promise.all([
      this.tickets.find({}, { projection }).toArray() as unknown as Promise<TicketRow[]>,
      from > 0 ? this.feed.read(from - 1, 1) : Promise.resolve([null]),
    ]);
    this.rows = [];
    for (const doc of docs) this.apply(doc);
    this.next = from;
    this.gap = null;
    this.last = before ? { slot: from - 1, entry: before } : null;
  }

  get size(): number {
    return this.rows.length;
  }

  /**
   * Brings the rows up to date with every entry appended before this call. Concurrent callers share
   * catch-ups: one running, and at most one queued behind it for callers that arrived while it ran.
   */
  refresh(): Promise<void> {
    if (!this.current) {
      this.current = this.catchUp().finally(() => (this.current = null));
      return this.current;
    }
    this.follower ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.follower = null;
        return this.refresh();
      });
    return this.follower;
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

  private async catchUp(): Promise<void> {
    let check = this.last;
    for (;;) {
      // The first batch also reads the last entry applied again (one lookup more, in the same round).
      const batch = await this.feed.read(check ? check.slot : this.next, check ? BATCH + 1 : BATCH);
      if (check) {
        if (!sameEntry(batch.shift() ?? null, check.entry)) {
          // The feed went back: this process's writes would land past its new end too.
          this.feed.relocate();
          await this.fill();
          return;
        }
        check = null;
      }
      let filled = 0;
      while (filled < batch.length && batch[filled]) this.applyEntry(batch[filled++]!);
      if (filled > 0) this.last = { slot: this.next + filled - 1, entry: batch[filled - 1]! };
      this.next += filled;
      if (filled === batch.length) continue;
      if (!batch.slice(filled + 1).some(Boolean)) {
        this.gap = null;
        return; // the end of the feed
      }
      // An empty slot with entries after it: a write still in flight, or one whose writer gave up.
      if (this.gap?.slot !== this.next) this.gap = { slot: this.next, since: Date.now() };
      if (Date.now() - this.gap.since < GAP_GRACE_MS) {
        await new Promise((resolve) => setTimeout(resolve, GAP_POLL_MS));
        continue;
      }
      await this.feed.close(this.next); // a writer that loses the slot to this appends again further on
    }
  }

  private applyEntry(entry: FeedEntry): void {
    if (entry.row) this.apply(entry.row);
  }

  /** Keeps the newer of two rows of a ticket (a later entry wins a tie: it was written later). */
  private apply(row: TicketRow): void {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[mid].seq > row.seq) lo = mid + 1;
      else hi = mid;
    }
    const at = this.rows[lo];
    if (at && at.seq === row.seq) {
      if ((row.version ?? 0) >= (at.version ?? 0)) this.rows[lo] = row;
    } else {
      this.rows.splice(lo, 0, row);
    }
  }
}

/** Whether a slot still holds the entry read from it before (entries are only ever inserted). */
function sameEntry(now: FeedEntry | null, before: FeedEntry): boolean {
  return (
    now !== null &&
    new Date(now.at).getTime() === new Date(before.at).getTime() &&
    now.row?._id === before.row?._id &&
    now.row?.version === before.row?.version
  );
}
