import type { Collection, Connection } from 'mongoose';
import { isDuplicateKeyError, isFerretDb } from './connection';

/** What a feed carries: a document's row, named by the document's `_id`. */
export interface FeedRow {
  _id: string;
}

/** One slot of a feed: a row as written, or `skip` (a slot a reader closed after its writer gave up). */
export interface FeedEntry<Row extends FeedRow = FeedRow> {
  _id: string;
  row?: Row;
  skip?: true;
  at: Date;
}

/**
 * Slot `n`'s `_id`: a string, because FerretDB puts only a string or ObjectId `_id` filter into its SQL.
 * Zero-padded, so slots also sort in order.
 */
export function feedKey(n: number, prefix = 'f'): string {
  return `${prefix}${String(n).padStart(12, '0')}`;
}

/**
 * A feed: every row written to one collection, appended to numbered slots of another (`_id` = the slot),
 * so a reader can follow every change with lookups by `_id` alone (the only lookup FerretDB serves from an
 * index) instead of scanning the collection. `FeedIndex` is that reader.
 *
 * Appending is a unique insert into the next free slot, the one operation FerretDB performs atomically:
 * two writers never share a slot; the loser moves on. A slot can be left empty only by a writer that
 * failed after taking its number (a crash, a dropped connection) while a later slot filled; readers close
 * such a gap after a grace period by inserting `skip` there (whoever inserts first wins the slot, so a slow
 * writer that loses it appends again further on). Writers append a row after writing its document, so an
 * entry never shows a state the document does not have. Rows of one document can be applied out of order
 * (a gap filled late holds an older row than a later slot), so a row that can change carries something
 * that orders it, a version or revision, and readers keep the newest.
 */
export class Feed<Row extends FeedRow> {
  /** The next slot this process will try; null until located. */
  private next: number | null = null;
  private locating: Promise<number> | null = null;

  /** `name` names the feed in errors; `prefix` starts every slot's key. */
  constructor(
    readonly collection: Collection,
    private readonly name: string,
    private readonly prefix = 'f',
  ) {}

  key(slot: number): string {
    return feedKey(slot, this.prefix);
  }

  async append(row: Row): Promise<void> {
    let collisions = 0;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const slot = await this.take(collisions > 16);
      if (collisions > 16) collisions = 0;
      if (await this.insert({ _id: this.key(slot), row, at: new Date() })) return;
      collisions++;
      this.next = Math.max(this.next ?? 0, slot + 1);
    }
    throw new Error(`${this.name}: no free slot for ${row._id} after 1000 attempts`);
  }

  /**
   * Appends many rows with bulk inserts into consecutive slots (imports, benchmarks); rows whose slot
   * another writer took meanwhile are appended one by one.
   */
  async appendMany(rows: Row[], chunk = 500): Promise<void> {
    for (let from = 0; from < rows.length; from += chunk) {
      const part = rows.slice(from, from + chunk);
      const first = await this.take(false);
      this.next = first + part.length;
      const at = new Date();
      const entries = part.map((row, i) => ({ _id: this.key(first + i), row, at }));
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
    return this.insert({ _id: this.key(slot), skip: true, at: new Date() });
  }

  /** Slots `from` … `from + count - 1`, each the entry or null (empty). */
  async read(from: number, count: number): Promise<(FeedEntry<Row> | null)[]> {
    return Promise.all(
      Array.from(
        { length: count },
        (_, i) => this.collection.findOne({ _id: this.key(from + i) } as never) as Promise<FeedEntry<Row> | null>,
      ),
    );
  }

  /**
   * The first empty slot, searched as if filled slots formed a prefix (exponential, then binary search:
   * a few dozen lookups at millions of entries). A gap not yet closed can make it answer early; writers
   * then collide and move on, readers re-read a few entries, which both tolerate.
   */
  async end(): Promise<number> {
    const filled = async (n: number) => (await this.collection.findOne({ _id: this.key(n) } as never)) !== null;
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

  private async insert(entry: FeedEntry<Row>): Promise<boolean> {
    try {
      await this.collection.insertOne(entry as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
  }
}

/** How many feed slots one catch-up reads at once (in parallel, each a lookup by `_id`). */
const BATCH = 16;
/** How long an empty slot with filled slots after it is waited for before it is closed. */
const GAP_GRACE_MS = 1_000;
const GAP_POLL_MS = 20;

export type FeedIndexState = 'cold' | 'loading' | 'ready';

/** How a feed index orders its rows and recognises the newer of two rows of one document. */
export interface FeedIndexOptions<Row extends FeedRow> {
  /** Every row as stored now: a scan of the collection the feed follows. */
  scan(): Promise<Row[]>;
  /** The rows' order in memory (negative: `a` first); rows of one document compare equal, others never. */
  compare(a: Row, b: Row): number;
  /** What orders two rows of one document (a version, a revision); absent for a collection never changed. */
  version?(row: Row): number;
}

/**
 * A collection's rows in memory, in one order, kept current from its feed. Lists are passes over
 * `rows` with predicates that mirror the database query's filter (property tests hold each pair to the
 * same answers).
 *
 * Why: on the embedded stack (FerretDB on SQLite) no query but a lookup by `_id` uses an index, so every
 * database list reads and decodes every document (docs/performance.md). Here a list costs the feed
 * lookups for what changed since the last one (usually one round of `BATCH` lookups that find nothing)
 * and a pass over the rows in memory.
 *
 * Loading reads every document once (the end of the feed first, then a scan): entries from that end on
 * are applied after the scan, and any entry before it was written after its document, so the scan saw
 * that state or a newer one. Until loaded, callers use the database query.
 *
 * Entries are never changed or deleted, so the last one applied stays as it was, unless the feed went back
 * (the database was dropped or restored, then rebuilt: docs/operations.md). Each catch-up reads that entry
 * again with its first batch; when it is gone or another, the index loads again from scratch.
 */
export class FeedIndex<Row extends FeedRow> {
  private sorted: Row[] = [];
  private next = 0;
  private gap: { slot: number; since: number } | null = null;
  /** The last entry applied (its slot and write time), read again by each catch-up to notice a feed that went back. */
  private last: { slot: number; entry: FeedEntry<Row> } | null = null;
  private loading: Promise<void> | null = null;
  private current: Promise<void> | null = null;
  private follower: Promise<void> | null = null;
  state: FeedIndexState = 'cold';

  constructor(
    private readonly feed: Feed<Row>,
    private readonly options: FeedIndexOptions<Row>,
  ) {}

  /** The rows, in the index's order. Read only; valid until the next `refresh`. */
  get rows(): readonly Row[] {
    return this.sorted;
  }

  get size(): number {
    return this.sorted.length;
  }

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

  /** Loads if need be, then catches up: the rows as of this call. */
  async upToDate(): Promise<readonly Row[]> {
    await this.load();
    await this.refresh();
    return this.sorted;
  }

  /** Reads every document, and the feed's end to follow from. */
  private async fill(): Promise<void> {
    const from = await this.feed.end();
    const [docs, [before]] = await Promise.all([
      this.options.scan(),
      from > 0 ? this.feed.read(from - 1, 1) : Promise.resolve([null]),
    ]);
    this.sorted = [];
    for (const doc of docs) this.apply(doc);
    this.next = from;
    this.gap = null;
    this.last = before ? { slot: from - 1, entry: before } : null;
  }

  private async catchUp(): Promise<void> {
    let check = this.last;
    for (;;) {
      // The first batch also reads the last entry applied again (one lookup more, in the same round).
      const batch = await this.feed.read(check ? check.slot : this.next, check ? BATCH + 1 : BATCH);
      if (check) {
        if (!this.sameEntry(batch.shift() ?? null, check.entry)) {
          // The feed went back: this process's writes would land past its new end too.
          this.feed.relocate();
          await this.fill();
          return;
        }
        check = null;
      }
      let filled = 0;
      while (filled < batch.length && batch[filled]) {
        const { row } = batch[filled++]!;
        if (row) this.apply(row);
      }
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

  /** Keeps the newer of two rows of a document (a later entry wins a tie: it was written later). */
  private apply(row: Row): void {
    const { compare, version } = this.options;
    const at = firstIndex(this.sorted, (r) => compare(r, row) >= 0);
    const there = this.sorted[at];
    if (there && compare(there, row) === 0) {
      if (!version || version(row) >= version(there)) this.sorted[at] = row;
    } else {
      this.sorted.splice(at, 0, row);
    }
  }

  /** Whether a slot still holds the entry read from it before (entries are only ever inserted). */
  private sameEntry(now: FeedEntry<Row> | null, before: FeedEntry<Row>): boolean {
    const version = (e: FeedEntry<Row>) => (e.row && this.options.version ? this.options.version(e.row) : undefined);
    return (
      now !== null &&
      new Date(now.at).getTime() === new Date(before.at).getTime() &&
      now.row?._id === before.row?._id &&
      version(now) === version(before)
    );
  }
}

/** The first index whose row passes `past` (false for every row before it, true from it on); `rows.length` if none. */
export function firstIndex<T>(rows: readonly T[], past: (row: T) => boolean): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(rows[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Where the lists with an in-memory index read (the tracker's tickets, the audit log, the admin console's
 * grants): `memory`, each list's `FeedIndex` (what FerretDB needs: it serves no query but `_id` from an
 * index); `database`, a query MongoDB serves from the declared indexes; `auto` (the default), `memory` on
 * FerretDB and `database` on MongoDB.
 */
export type ListSource = 'auto' | 'memory' | 'database';

/** The list source of one process, shared by every repository with an in-memory list. */
export class ListSourceSetting {
  private source: ListSource = 'auto';
  private resolved: Promise<'memory' | 'database'> | null = null;

  constructor(private readonly connection: Connection) {}

  /** Sets where lists read (the gateway's `LIST_SOURCE`). */
  use(source: ListSource): void {
    this.source = source;
    this.resolved = null;
  }

  /** Where lists read, `auto` resolved (FerretDB says so in `buildInfo`). */
  resolve(): Promise<'memory' | 'database'> {
    this.resolved ??= (async (): Promise<'memory' | 'database'> => {
      if (this.source !== 'auto') return this.source;
      return (await isFerretDb(this.connection)) ? 'memory' : 'database';
    })().catch((err: unknown) => {
      this.resolved = null;
      throw err;
    });
    return this.resolved;
  }

  /**
   * Reads `fromMemory` when lists read memory and `index` is loaded, else `fromDatabase`, starting the
   * load so that a later call reads memory.
   */
  async read<T>(
    index: { state: FeedIndexState; load(): Promise<void> },
    fromMemory: () => Promise<T>,
    fromDatabase: () => Promise<T>,
  ): Promise<T> {
    if ((await this.resolve()) === 'memory') {
      if (index.state === 'ready') return fromMemory();
      index.load().catch(() => undefined);
    }
    return fromDatabase();
  }
}
