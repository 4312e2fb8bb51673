import type { Collection, Connection, FilterQuery, Model } from 'mongoose';
import type { Duration, PersistTicketStateInput, Ticket, TicketStatus, TicketType } from '@gatehouse/domain';
import { isDuplicateKeyError } from './connection';
import { ListSourceSetting } from './feed';
import { TicketSchema, type TicketDoc } from './schemas';
import { tabStatusOf, TicketFeed, ticketRowOf, type TicketRow } from './ticket-feed';
import { TicketListIndex } from './ticket-list-index';

export const TICKET_ID_PREFIX = 'TCK-';

/** Ticket ids are `TCK-<n>`; `n` orders tickets (newest first) and is the tracker's cursor. */
export function ticketSeq(ticketId: string): number {
  return Number(ticketId.slice(TICKET_ID_PREFIX.length));
}

export type TicketTab = 'all' | 'open' | 'closed' | 'rejected';
export const TAB_STATUS: Record<Exclude<TicketTab, 'all'>, TicketStatus> = {
  open: 'pending',
  closed: 'approved',
  rejected: 'rejected',
};

export interface TicketViewer {
  id: string;
  admin: boolean;
  /** The approver rules the viewer satisfies (`user:…`, `group:…`, `role:…`). */
  rules: string[];
}

export interface TicketListQuery {
  viewer: TicketViewer;
  tab: TicketTab;
  appId?: string;
  requesterId?: string;
  /** Tickets for this person (the beneficiary), whoever raised them. */
  beneficiaryId?: string;
  type?: TicketType;
  awaitingMe?: boolean;
  limit: number;
  cursor?: number;
}

export interface TicketListItem {
  id: string;
  status: string;
  requester: { id: string; name: string };
  beneficiary: { id: string; name: string };
  type: string;
  action: string;
  app: { id: string; name: string };
  comment: string | null;
  /** As asked (or as an approver modified it): a tracker shows "8 hours from approval" from a relative one. */
  duration: Duration | null;
  createdAt: string;
  resolvedAt: string | null;
  resolvedInSeconds: number | null;
  /** Break-glass tickets only: raised as break-glass, and whether their review is still to be done. */
  breakGlass?: true;
  reviewPending?: boolean;
}

/** A tab's filter: the database form of `tabStatusOf`. */
function tabFilter(tab: Exclude<TicketTab, 'all'>): FilterQuery<TicketDoc> {
  if (tab === 'open') return { $or: [{ status: 'pending' }, { reviewPending: true }] };
  if (tab === 'closed') return { status: 'approved', reviewPending: { $ne: true } };
  return { status: TAB_STATUS[tab] };
}

/** Query helpers stored beside the ticket, derived on every write so the tracker needs no joins. */
function derived(t: PersistTicketStateInput['ticket'], s: PersistTicketStateInput['state']) {
  const step = s.approval.steps[s.approval.currentStep];
  return {
    entitlementIds: t.changes.map((c) => c.entitlement.id),
    // The state's steps, not the policy's: escalation adds fallback approvers, who must then see the ticket.
    approverRules: [
      ...new Set([
        ...t.policy.approval.steps.flatMap((st) => st.approvers),
        ...s.approval.steps.flatMap((st) => st.approvers),
        // An overdue break-glass review is open to the steps' fallback approvers, who must then see it.
        ...(s.review?.escalated ? t.policy.approval.steps.flatMap((st) => st.escalateTo ?? []) : []),
      ]),
    ],
    awaitingRules: s.status === 'pending' ? s.approval.awaiting : [],
    awaitingExcluded: [t.requester.id, t.beneficiary.id, ...(step?.approvedBy ?? [])],
    ...(s.review ? { reviewPending: s.review.state === 'pending' } : {}),
  };
}

export function newTicketDoc(input: PersistTicketStateInput): TicketDoc {
  const { ticket: t, state: s } = input;
  return {
    _id: t.ticketId,
    seq: ticketSeq(t.ticketId),
    type: t.type,
    action: t.action,
    status: s.status,
    requester: t.requester,
    beneficiary: t.beneficiary,
    createdBy: t.createdBy.id,
    app: t.app,
    changes: t.changes,
    duration: s.duration,
    reason: t.reason,
    policy: t.policy,
    approval: s.approval,
    access: s.access,
    log: s.log,
    parentTicketId: t.parentTicketId,
    childTicketIds: s.childTicketIds,
    createdAt: t.createdAt,
    resolvedAt: s.resolvedAt,
    resolvedInSeconds: s.resolvedInSeconds,
    workflow: { workflowId: t.ticketId, runId: input.runId || null },
    version: input.version,
    ...(t.breakGlass ? { breakGlass: true } : {}),
    ...(s.review ? { review: s.review } : {}),
    ...derived(t, s),
  };
}

/** A ticket's state as `persistState` writes it, kept in `ticket_versions` so a later check can put it back. */
interface AnnouncedState {
  fields: Omit<TicketDoc, '_id' | 'workflow'>;
  workflow: TicketDoc['workflow'];
}

/** A slot in `ticket_versions`: a write's announced state, or a finished write's check (`check: true`). */
interface SlotDoc {
  _id: string;
  ticketId: string;
  version?: number;
  state?: AnnouncedState;
  check?: true;
}

/** Slot `n` after version `v` of a ticket. */
function slotId(ticketId: string, version: number, slot: number): string {
  return `${ticketId}>${version}#${slot}`;
}

/** The slots after one version are a handful (attempts of one persist and their checks); this bounds a runaway loop. */
const MAX_SLOTS = 1000;

/** Tickets whose last check this process remembers (see `TicketRepository.checked`): the oldest are forgotten. */
const CHECKED_TICKETS = 10_000;

export class TicketRepository {
  readonly model: Model<TicketDoc>;
  readonly versions: Collection;
  /** Every ticket row written, in order (see TicketFeed). */
  readonly feed: TicketFeed;
  readonly listIndex: TicketListIndex;
  /**
   * By ticket, the last check (`settle`) this process inserted: after `version`, slot `slot`, and every
   * slot before it, which that check found taken. The next version announces itself after that version
   * (a workflow persists in order), so it starts past them instead of failing an insert on each: on the
   * usual path one duplicate-key insert less per write. This relies on slots never being deleted, so that
   * a slot once taken stays taken; a process that does not know (another worker, a restart, a forgotten
   * ticket) starts at slot 1, as it always did.
   */
  private readonly checked = new Map<string, { version: number; slot: number }>();

  /** `listSource`: where `list` reads (shared by the store's in-memory lists). */
  constructor(
    connection: Connection,
    private readonly listSource = new ListSourceSetting(connection),
  ) {
    this.model = connection.model<TicketDoc>('Ticket', TicketSchema);
    this.versions = connection.collection('ticket_versions');
    this.feed = new TicketFeed(connection.collection('ticket_feed'));
    this.listIndex = new TicketListIndex(this.model.collection, this.feed);
  }

  /**
   * Writes a ticket unless it exists (the workflow may have written it first); says whether this call inserted it.
   *
   * Its feed entry is appended alongside the insert rather than after it: one round trip less on every create.
   * The row is the gateway's first view (version 0), so when the workflow's own write won the insert, the
   * feed's newer row of the same ticket still wins in the list index. The workflow has started by then, so
   * the ticket the row names is written by its first persist even if this insert fails.
   */
  async insertIfAbsent(doc: TicketDoc): Promise<boolean> {
    // A plain insert: FerretDB drops null values and empty arrays from an upsert's $setOnInsert.
    const inserted = this.model.collection.insertOne(doc as never).then(
      () => true,
      (err: unknown) => {
        if (isDuplicateKeyError(err)) return false;
        throw err;
      },
    );
    const [won] = await Promise.all([inserted, this.feed.append(ticketRowOf(doc))]);
    return won;
  }

  /** Inserts new tickets in bulk (imports, benchmarks), and their rows into the feed. */
  async insertMany(docs: TicketDoc[]): Promise<void> {
    await this.model.collection.insertMany(docs as never[], { ordered: false });
    await this.feed.appendMany(docs.map(ticketRowOf));
  }

  /**
   * Writes the workflow's view of a ticket, creating the ticket if the gateway never did, and returns the
   * status stored before (null: no document yet), so callers can act on transitions only. A write older than
   * what is stored is dropped (`written: false`).
   *
   * Comparing versions before writing leaves a window: an attempt that read, then stalled, can land after
   * its retry and after the workflow's next versions, and roll the ticket back. FerretDB has no atomic
   * guarded update to close it, only atomic unique inserts, so writes are fenced by inserts in
   * `ticket_versions` (see `announce` and `settle`): each version announces its state after the version
   * before it, before writing; each write then checks whether a later version announced itself, and if one
   * did, puts it back. Lookups are by `_id` alone: FerretDB (SQLite) puts only an exact `{_id}` filter into
   * its SQL. The fixed fields are `$set` with their (unchanging) values rather than `$setOnInsert`ed,
   * because FerretDB drops nulls and empty arrays from `$setOnInsert`.
   */
  async persistState(input: PersistTicketStateInput): Promise<{ written: boolean; previousStatus: string | null }> {
    const { _id, workflow, ...fields } = newTicketDoc(input);
    const current = (await this.model.collection.findOne({ _id } as never, {
      projection: { version: 1, status: 1 },
    })) as { version?: number; status?: string } | null;
    const previousStatus = current?.status ?? null;
    if (current && (current.version ?? 0) >= input.version) {
      // A retry of a write that landed: its feed entry may not have (appending again is harmless).
      if (current.version === input.version) await this.feed.append(ticketRowOf({ _id, workflow, ...fields }));
      return { written: false, previousStatus };
    }
    const state: AnnouncedState = { fields, workflow };
    // The workflow names the version it persisted before; writes scheduled before it did fall back to the stored one.
    await this.announce(_id, input.previousVersion ?? current?.version ?? 0, input.version, state);
    let inserted = false;
    if (!current) {
      try {
        await this.model.collection.insertOne({ _id, workflow, ...fields } as never);
        inserted = true;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err; // the gateway (or another attempt) inserted it meanwhile
      }
    }
    if (!inserted) await this.writeState(_id, state, false);
    // Both only follow the write: the feed entry and the check for a later version run side by side.
    await Promise.all([this.feed.append(ticketRowOf({ _id, workflow, ...fields })), this.settle(_id, input.version)]);
    return { written: true, previousStatus };
  }

  /** Writes one announced state over the ticket, then (unless the caller does) its row into the feed. */
  private async writeState(ticketId: string, { fields, workflow }: AnnouncedState, append = true): Promise<void> {
    const set = {
      ...fields,
      'workflow.workflowId': workflow.workflowId,
      ...(workflow.runId ? { 'workflow.runId': workflow.runId } : {}),
    };
    await this.model.collection.updateOne({ _id: ticketId } as never, { $set: set });
    if (append) await this.feed.append(ticketRowOf({ _id: ticketId, workflow, ...fields }));
  }

  /**
   * Before writing `version`: stores its state in the first free slot after the version persisted before
   * it. Slots fill in order, so a later check (`settle`) of that version sees this announcement, unless
   * the check took an earlier slot first; then this write lands after the check. The slots this process
   * knows are taken (`checked`) are skipped: an insert there could only fail.
   */
  private async announce(ticketId: string, after: number, version: number, state: AnnouncedState): Promise<void> {
    const known = this.checked.get(ticketId);
    const first = known?.version === after ? known.slot + 1 : 1;
    for (let slot = first; slot <= MAX_SLOTS; slot++) {
      if (await this.insertSlot({ _id: slotId(ticketId, after, slot), ticketId, version, state })) return;
    }
    throw new Error(`ticket ${ticketId}: more than ${MAX_SLOTS} slots taken after version ${after}`);
  }

  /**
   * After writing `version`: takes the next free slot after it, reading the slots taken before. A later
   * version announced there may have landed before this write and been overwritten by it: write it back,
   * and check after that version in turn. Once a check finds nothing later, any later version announces
   * itself after that check, so it lands after this write. On the usual path this is one insert.
   */
  private async settle(ticketId: string, version: number): Promise<void> {
    let written = version;
    for (;;) {
      let later: SlotDoc | null = null;
      for (let slot = 1; ; slot++) {
        if (slot > MAX_SLOTS)
          throw new Error(`ticket ${ticketId}: more than ${MAX_SLOTS} slots taken after version ${written}`);
        const _id = slotId(ticketId, written, slot);
        if (await this.insertSlot({ _id, ticketId, check: true })) {
          this.rememberCheck(ticketId, written, slot);
          break;
        }
        const taken = (await this.versions.findOne({ _id } as never)) as SlotDoc | null;
        if (taken?.state && taken.version! > (later?.version ?? written)) later = taken;
      }
      if (!later) return;
      await this.writeState(ticketId, later.state!);
      written = later.version!;
    }
  }

  /** Records a check this process inserted (see `checked`), forgetting the ticket checked longest ago beyond the bound. */
  private rememberCheck(ticketId: string, version: number, slot: number): void {
    this.checked.delete(ticketId);
    this.checked.set(ticketId, { version, slot });
    if (this.checked.size > CHECKED_TICKETS) this.checked.delete(this.checked.keys().next().value!);
  }

  /** A unique insert: the one operation FerretDB performs atomically. False: the slot was taken. */
  private async insertSlot(doc: SlotDoc): Promise<boolean> {
    try {
      await this.versions.insertOne({ ...doc, at: new Date().toISOString() } as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
  }

  async get(ticketId: string): Promise<TicketDoc | null> {
    return this.model.findById(ticketId).lean<TicketDoc>().exec();
  }

  /** Links a child ticket started after its parent's workflow completed (a late re-raise). */
  async addChild(ticketId: string, childId: string): Promise<void> {
    await this.model.updateOne({ _id: ticketId }, { $addToSet: { childTicketIds: childId } });
  }

  /** Whether the viewer may see this ticket: admins all; others theirs, or ones they may approve. */
  static visibleTo(doc: Pick<TicketDoc, 'requester' | 'beneficiary' | 'approverRules'>, viewer: TicketViewer): boolean {
    return (
      viewer.admin ||
      doc.requester.id === viewer.id ||
      doc.beneficiary.id === viewer.id ||
      doc.approverRules.some((r) => viewer.rules.includes(r))
    );
  }

  private baseFilter(q: Omit<TicketListQuery, 'tab' | 'limit' | 'cursor'>): FilterQuery<TicketDoc> {
    const and: FilterQuery<TicketDoc>[] = [];
    if (!q.viewer.admin) {
      and.push({
        $or: [
          { 'requester.id': q.viewer.id },
          { 'beneficiary.id': q.viewer.id },
          { approverRules: { $in: q.viewer.rules } },
        ],
      });
    }
    if (q.appId) and.push({ 'app.id': q.appId });
    if (q.requesterId) and.push({ 'requester.id': q.requesterId });
    if (q.beneficiaryId) and.push({ 'beneficiary.id': q.beneficiaryId });
    if (q.type) and.push({ type: q.type });
    if (q.awaitingMe) {
      and.push({
        status: 'pending',
        awaitingRules: { $in: q.viewer.rules },
        awaitingExcluded: { $nin: [q.viewer.id] },
      });
    }
    return and.length ? { $and: and } : {};
  }

  /**
   * A tracker page and the counts per tab. Where it reads depends on the list source (`ListSource`);
   * while the list index loads, the database answers.
   */
  async list(q: TicketListQuery): Promise<TicketListPage> {
    return this.listSource.read(
      this.listIndex,
      () => this.listFromIndex(q),
      () => this.listFromDatabase(q),
    );
  }

  /** Loads the list index when lists read memory; resolves once loaded (gateways call it at start). */
  async warmListIndex(): Promise<void> {
    if ((await this.listSource.resolve()) === 'memory') await this.listIndex.load();
  }

  private filters(q: TicketListQuery): { base: FilterQuery<TicketDoc>; page: FilterQuery<TicketDoc> } {
    const base = this.baseFilter(q);
    const page: FilterQuery<TicketDoc> = { ...base };
    const and = [...((base.$and as FilterQuery<TicketDoc>[]) ?? [])];
    if (q.tab !== 'all') and.push(tabFilter(q.tab));
    if (q.cursor !== undefined) and.push({ seq: { $lt: q.cursor } });
    if (and.length) page.$and = and;
    return { base, page };
  }

  /** The page from the list index, brought up to date with every ticket written before the call. */
  async listFromIndex(q: TicketListQuery): Promise<TicketListPage> {
    await this.listIndex.upToDate();
    const { rows, byStatus } = this.listIndex.scan(...rowPredicates(q), q.limit + 1);
    return pageOf(rows, q.limit, byStatus);
  }

  /** The page as MongoDB answers it: one find and one counts aggregate, each served by a declared index. */
  async listFromDatabase(q: TicketListQuery): Promise<TicketListPage> {
    const { base, page } = this.filters(q);
    const [docs, grouped] = await Promise.all([
      this.model
        .find(page, {
          seq: 1,
          status: 1,
          requester: 1,
          beneficiary: 1,
          type: 1,
          action: 1,
          app: 1,
          reason: 1,
          duration: 1,
          createdAt: 1,
          resolvedAt: 1,
          resolvedInSeconds: 1,
          breakGlass: 1,
          reviewPending: 1,
        })
        .sort({ seq: -1 })
        .limit(q.limit + 1)
        .lean<TicketDoc[]>()
        .exec(),
      this.model
        .aggregate<{
          _id: { status: string; reviewPending?: boolean | null };
          n: number;
        }>([
          { $match: base },
          { $group: { _id: { status: '$status', reviewPending: '$reviewPending' }, n: { $sum: 1 } } },
        ])
        .exec(),
    ]);
    const byTab = new Map<string, number>();
    for (const g of grouped) {
      const key = tabStatusOf({ status: g._id.status, reviewPending: g._id.reviewPending === true });
      byTab.set(key, (byTab.get(key) ?? 0) + g.n);
    }
    return pageOf(docs, q.limit, byTab);
  }
}

/**
 * `baseFilter` and `filters` as predicates over list rows: what the tab counts count, and what the page
 * shows. Kept beside the filters they mirror; the list index's property test compares both.
 */
function rowPredicates(q: TicketListQuery): [(row: TicketRow) => boolean, (row: TicketRow) => boolean] {
  const { viewer } = q;
  const rules = new Set(viewer.rules);
  const tabStatus = q.tab === 'all' ? undefined : TAB_STATUS[q.tab];
  const counted = (r: TicketRow) =>
    (viewer.admin ||
      r.requester.id === viewer.id ||
      r.beneficiary.id === viewer.id ||
      r.approverRules.some((rule) => rules.has(rule))) &&
    (!q.appId || r.app.id === q.appId) &&
    (!q.requesterId || r.requester.id === q.requesterId) &&
    (!q.beneficiaryId || r.beneficiary.id === q.beneficiaryId) &&
    (!q.type || r.type === q.type) &&
    (!q.awaitingMe ||
      (r.status === 'pending' &&
        r.awaitingRules.some((rule) => rules.has(rule)) &&
        !r.awaitingExcluded.includes(viewer.id)));
  const page = (r: TicketRow) =>
    (tabStatus === undefined || tabStatusOf(r) === tabStatus) && (q.cursor === undefined || r.seq < q.cursor);
  return [counted, page];
}

export interface TicketListPage {
  items: TicketListItem[];
  nextCursor: string | null;
  counts: Record<TicketTab, number>;
}

/** A page from up to `limit + 1` rows, newest first (one more than the page says whether another follows). */
function pageOf(rows: ShownRow[], limit: number, byStatus: Map<string, number>): TicketListPage {
  const page = rows.slice(0, limit);
  return {
    items: page.map((d) => ({
      id: d._id,
      status: d.status,
      requester: d.requester,
      beneficiary: d.beneficiary,
      type: d.type,
      action: d.action,
      app: d.app,
      comment: d.reason,
      // Rows written before lists carried it have none.
      duration: (d.duration ?? null) as Duration | null,
      createdAt: d.createdAt,
      resolvedAt: d.resolvedAt,
      resolvedInSeconds: d.resolvedInSeconds,
      ...(d.breakGlass ? { breakGlass: true, reviewPending: d.reviewPending === true } : {}),
    })),
    nextCursor: rows.length > limit ? String(page[page.length - 1].seq) : null,
    counts: {
      all: [...byStatus.values()].reduce((sum, n) => sum + n, 0),
      open: byStatus.get('pending') ?? 0,
      closed: byStatus.get('approved') ?? 0,
      rejected: byStatus.get('rejected') ?? 0,
    },
  };
}

/** What a tracker page shows of a ticket (both sources return at least this). */
type ShownRow = Omit<TicketRow, 'version' | 'approverRules' | 'awaitingRules' | 'awaitingExcluded'>;

/** The API's view of a stored ticket. Seat usage is filled in by the caller, which knows the licenses. */
export function ticketFromDoc(doc: TicketDoc, uiBaseUrl: string, namespace: string): Omit<Ticket, 'licenses'> {
  return {
    id: doc._id,
    type: doc.type as Ticket['type'],
    action: doc.action as Ticket['action'],
    status: doc.status as Ticket['status'],
    requester: doc.requester,
    beneficiary: doc.beneficiary,
    app: doc.app,
    changes: doc.changes as Ticket['changes'],
    duration: (doc.duration ?? null) as Ticket['duration'],
    reason: doc.reason ?? null,
    approval: {
      currentStep: doc.approval.currentStep,
      awaiting: doc.approval.awaiting,
      steps: (doc.approval.steps as unknown as Ticket['approval']['steps']).map((s) => ({
        name: s.name,
        minApprovals: s.minApprovals,
        approvers: s.approvers,
        state: s.state,
        approvedBy: s.approvedBy,
      })),
    },
    access: doc.access as Ticket['access'],
    log: doc.log as Ticket['log'],
    parentTicketId: doc.parentTicketId ?? null,
    childTicketIds: doc.childTicketIds ?? [],
    createdAt: doc.createdAt,
    resolvedAt: doc.resolvedAt ?? null,
    resolvedInSeconds: doc.resolvedInSeconds ?? null,
    breakGlass: doc.breakGlass === true,
    review: (doc.review ?? null) as Ticket['review'],
    workflow: {
      workflowId: doc.workflow.workflowId,
      runId: doc.workflow.runId ?? null,
      uiUrl: `${uiBaseUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(doc.workflow.workflowId)}`,
    },
  };
}
