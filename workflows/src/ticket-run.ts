/**
 * One run of a ticket workflow: the ticket's state and version, the lock every state change takes, and
 * what follows each change (the read model through a persister loop, the event outbox through a publisher
 * loop, search attributes and the UI's details). A run starts from `newTicketState(input)`, or from where
 * the previous run stopped when the workflow continued as new; it ends by returning its state or by
 * continuing as new, each only once nothing is owed (read model current, events published, handlers done).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import {
  isLimited,
  newTicketState,
  skipRemaining,
  ticketEventSnapshot,
  toTicketEvent,
  type AccessState,
  type ErrorCode,
  type LogEntry,
  type LogEventType,
  type PersistTicketStateInput,
  type SeatsInput,
  type TicketEvent,
  type TicketState,
  type TicketWorkflowInput,
} from '@gatehouse/domain';
import { consolidatedPatches } from './consolidation';
import { PATCHES, searchAttributes as sa, type ActorCommentInput } from './definitions';
import { accessChanged, ticketDecided, type AccessChange, type DecisionOutcome } from './metrics';
import { localAttempts, localFailure, persistTicketState, publishTicketEvents, writeTicket } from './retry-policies';

export const SYSTEM = 'system';

/** Events published by one activity at most. */
const EVENT_BATCH = 25;

/** Refuses an Update with a code the gateway maps to its HTTP answer. */
export function refuse(code: ErrorCode, message: string, details: unknown[] = []): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details });
}

/** What an activity failed with, for the ticket's log. */
export function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

export const nowIso = (): string => new Date(Date.now()).toISOString();

/** The access states a ticket's access ends up in, as the metric names the change. */
const ACCESS_CHANGES: Partial<Record<AccessState, AccessChange>> = {
  active: 'granted',
  removed: 'removed',
  failed: 'grant_failed',
  expired: 'expired',
  revoked: 'revoked',
};

/** Whether the run's search attribute already holds this value (from its start or its last upsert). */
function storedAs({ key, value }: SearchAttributeUpdatePair): boolean {
  const stored: unknown = workflowInfo().typedSearchAttributes.get(key);
  if (value instanceof Date) return stored instanceof Date && stored.getTime() === value.getTime();
  return value === null ? stored === undefined : stored === value;
}

export class TicketRun {
  readonly state: TicketState;
  /** Bumped by every state change; the read model keeps the newest. */
  private version: number;
  private persistedVersion: number;
  /**
   * One state change at a time: every state-changing handler and the pending timeout run under this
   * lock, so a decision that awaits an activity (a seat reservation) cannot be overtaken or duplicated.
   */
  readonly lock = new Mutex();
  /** The patches in effect in this run without markers of their own: those of the consolidation it recorded (see `patched`). */
  private readonly consolidated: ReadonlySet<string>;
  /** This run publishes its events, reminds and escalates steps, and warns before expiry (replays of older runs do not). */
  readonly notifying: boolean;
  /** This run writes the read model and publishes its events from one loop (see `writeLoop`). */
  readonly singleWriter: boolean;
  /** That loop writes a version and the events queued with it in one activity (see `writeLoop`). */
  readonly persistAndPublish: boolean;
  /** Those writes run as local activities, within the workflow task that asks for them (see `writeLoop`). */
  readonly localWrites: boolean;
  /** That loop publishes an event only once the version it came with is written (see `publishable`). */
  private readonly eventsAfterVersion: boolean;
  /** Update handlers waiting in `persisted()`. */
  private updatesWaiting = 0;
  /** The workflow task (by its history length, the same on replay) in which an Update last stopped waiting in `persisted()`. */
  private answeredInTask = -1;
  /** Events not yet published, oldest first; the first `evented` log entries have become events. */
  private readonly outbox: TicketEvent[] = [];
  /** The version each event of the outbox came with, in the same order (see `publishable`). */
  private readonly outboxVersions: number[] = [];
  private evented: number;

  /** Who asked to revoke the access; the access period carries it out. */
  revokeRequest: ActorCommentInput | null = null;
  /** An admin asked to run the failed grant (or the failed revocation) again. */
  retryRequested = false;
  /** A revocation failed in a way no retry fixes; an admin's retry runs it again. */
  revokeFailed = false;
  /** The access is being revoked (expiry or revoke; it may retry for hours): it can no longer be extended or revoked. */
  ending = false;
  seatsReserved: boolean;
  /** Expired access stays open for re-raises until then (epoch ms). */
  lingerUntil: number | null;
  /** The access end the requester was last told about, so no expiry notice repeats. */
  expiryNoticeFor: string | null;
  /** Extension children not yet decided, told when the access ends. */
  readonly pendingExtensions: Set<string>;
  /** Approver rules of leavers taken out of the pending steps (Update `removeApprover`): never added back by escalation. */
  readonly removedApprovers = new Set<string>();
  /** Answers owed to extension children, sent in order by the extensions' answer loop. */
  readonly answers: { ticketId: string; applied: boolean; end: string }[] = [];

  constructor(readonly input: TicketWorkflowInput) {
    const resume = input.resume;
    this.state = resume?.state ?? newTicketState(input);
    this.version = resume?.version ?? 0;
    this.persistedVersion = this.version;
    this.seatsReserved = resume?.seatsReserved ?? false;
    this.lingerUntil = resume?.lingerUntil ? Date.parse(resume.lingerUntil) : null;
    this.expiryNoticeFor = resume?.expiryNoticeFor ?? null;
    this.pendingExtensions = new Set(resume?.pendingExtensions ?? []);
    // First, before any other patch of the run is asked (definitions.ts, CONSOLIDATIONS).
    this.consolidated = consolidatedPatches();
    this.notifying = this.patched(PATCHES.notifications);
    this.singleWriter = this.notifying && this.patched(PATCHES.singleWriter);
    this.persistAndPublish = this.singleWriter && this.patched(PATCHES.persistAndPublish);
    this.localWrites = this.persistAndPublish && this.patched(PATCHES.localWrites);
    this.eventsAfterVersion = this.singleWriter && this.patched(PATCHES.eventsAfterVersion);
    // A new ticket's `created` entry becomes its first event; a resumed run published its log already.
    this.evented = resume ? this.state.log.length : 0;
  }

  get ticketId(): string {
    return this.input.ticketId;
  }

  /** The licenses this ticket's additions take a seat of. */
  get seatsInput(): SeatsInput {
    const { input } = this;
    const licenseIds = [
      ...new Set(
        input.changes.filter((c) => c.op === 'add' && c.entitlement.licenseId).map((c) => c.entitlement.licenseId!),
      ),
    ];
    return { ticketId: input.ticketId, appId: input.app.id, userId: input.beneficiary.id, licenseIds };
  }

  /**
   * Whether the patch is in effect in this run: `patched` of @temporalio/workflow, except that a run that
   * recorded a consolidation has the patches it stands for without asking (and without their markers).
   */
  patched(patchId: string): boolean {
    return this.consolidated.has(patchId) || patched(patchId);
  }

  log(event: LogEventType, actor: string, comment?: string | null, details: Record<string, unknown> = {}): void {
    const entry: LogEntry = { at: nowIso(), actor, event, comment: comment ?? null, details };
    this.state.log.push(entry);
  }

  /** Every state change ends here: the read model, the search attributes and the event stream follow. */
  changed(): void {
    const { input, state } = this;
    this.version++;
    if (this.notifying) {
      // Each new log entry becomes an event, with the ticket as it is after the change it records.
      const snapshot = ticketEventSnapshot({ ...input, ...state, id: input.ticketId });
      for (; this.evented < state.log.length; this.evented++) {
        this.outbox.push(toTicketEvent(input.ticketId, this.evented, state.log[this.evented], snapshot));
        this.outboxVersions.push(this.version);
      }
    }
    const end = state.access.end ?? (isLimited(state.duration) ? state.duration.end : null);
    const pairs: SearchAttributeUpdatePair[] = [
      { key: sa.TicketStatus, value: state.status },
      { key: sa.AccessState, value: state.access.state },
      { key: sa.AccessEndsAt, value: end ? new Date(end) : null },
    ];
    // A consolidated run upserts only what changed: each upsert is a visibility write on the server.
    if (this.consolidated.size === 0 || pairs.some((p) => !storedAs(p))) upsertSearchAttributes(pairs);
    setCurrentDetails(
      `Status: **${state.status}** · access: **${state.access.state}**` +
        (state.status === 'pending' && state.approval.awaiting.length
          ? ` · awaiting ${state.approval.awaiting.join(', ')}`
          : '') +
        (end ? ` · ends ${end}` : ''),
    );
  }

  setAccess(next: AccessState, patch: Partial<TicketState['access']> = {}): void {
    const change = next !== this.state.access.state ? ACCESS_CHANGES[next] : undefined;
    if (change) accessChanged(this.input, change);
    this.state.access = { ...this.state.access, ...patch, state: next };
  }

  resolve(status: 'approved' | 'rejected' | 'cancelled', outcome: DecisionOutcome = status): void {
    const { state } = this;
    state.status = status;
    state.resolvedAt = nowIso();
    const waited = Date.parse(state.resolvedAt) - Date.parse(this.input.createdAt);
    state.resolvedInSeconds = Math.round(waited / 1000);
    ticketDecided(this.input, outcome, waited / 1000);
    if (status !== 'approved') {
      this.setAccess('none');
      if (status === 'cancelled') state.approval = skipRemaining(state.approval);
    }
  }

  /**
   * Resolves once the read model holds the current version (or after 5 s, so a MongoDB outage never
   * blocks a caller): Updates answer with the ticket as the API will show it.
   */
  async persisted(): Promise<void> {
    const v = this.version;
    this.updatesWaiting++;
    try {
      await condition(() => this.persistedVersion >= v, 5000);
    } finally {
      this.updatesWaiting--;
      // Its answer leaves with this workflow task: no write of this task may hold the task open.
      this.answeredInTask = workflowInfo().historyLength;
    }
  }

  /**
   * Writes the read model and publishes the events from one loop, one activity at a time: the newest
   * version, then the events queued so far. Runs that recorded the `single-writer` patch use this; older runs keep the two loops below.
   * With two loops, each waking on its own condition, one workflow task could schedule the two activities
   * in either order, and a replay after a worker restart did not always pick the order the live run had
   * picked: the run then failed with a nondeterminism error and stayed stuck.
   *
   * Runs that recorded the `persist-and-publish` patch write a version and the next batch of events in
   * one activity, `writeTicket`: a new ticket or an expiry costs one activity and one workflow task less
   * on the Temporal server (docs/performance.md, "Create"). Not while an Update waits for the version in
   * `persisted()`: its caller would wait for the publish too, so that version is persisted alone and its
   * events follow, as before the patch.
   *
   * Runs that recorded the `local-writes` patch run a write as a local activity when nothing waits behind
   * it (see `writesLocally`): the worker runs it within the workflow task that asks for it, so the server
   * dispatches no activity and no workflow task for it.
   */
  async writeLoop(): Promise<never> {
    for (;;) {
      await condition(() => this.version > this.persistedVersion || this.publishable() > 0);
      if (this.version > this.persistedVersion) {
        if (this.persistAndPublish && this.outbox.length > 0 && this.updatesWaiting === 0) {
          await this.writeOnce();
          // Events queued meanwhile came with a newer version: written together on the next turn.
          continue;
        }
        await this.persistOnce();
      }
      // Then the events, so they never wait for the ticket to stop changing.
      if (this.publishable() > 0) await this.publishOnce();
    }
  }

  /**
   * How many events, from the oldest, may be published now. Runs with the patch `events-after-their-version`
   * publish an event only once the read model holds the version it came with, so a reader that gets the
   * event and reads the ticket sees at least that change (before it, a version queued while an earlier
   * one was written had its events published before its own write: `granted` while the ticket read
   * `pending`). Older runs publish every queued event.
   */
  private publishable(): number {
    if (!this.eventsAfterVersion) return this.outbox.length;
    let n = 0;
    while (n < this.outboxVersions.length && this.outboxVersions[n] <= this.persistedVersion) n++;
    return n;
  }

  /** Keeps the read model at the newest version: one write at a time, retried until MongoDB answers. */
  async persistLoop(): Promise<never> {
    for (;;) {
      await condition(() => this.version > this.persistedVersion);
      await this.persistOnce();
    }
  }

  /** Publishes events in order, at least once: a batch leaves the outbox only once it landed. */
  async publishLoop(): Promise<never> {
    for (;;) {
      await condition(() => this.outbox.length > 0);
      await this.publishOnce();
    }
  }

  /**
   * Whether the next write runs as a local activity (patch `local-writes`). A workflow task that runs a
   * local activity completes only when it ends, and with it everything else the task decided: an Update's
   * answer, the `applyAccess` or `revokeAccess` it schedules. So a write is local only when nothing waits
   * behind it: no Update waits for it or is answered in this task, and no grant or revocation is starting. That covers a new ticket
   * awaiting approval, granted access, and the end of access; an approval's writes stay activities that
   * run beside the grant (docs/performance.md, "Tried and reverted: local activities for the read-model writes").
   */
  private writesLocally(): boolean {
    return this.localWrites && this.unwaited() && this.state.access.state !== 'applying' && !this.ending;
  }

  /** No Update waits for the read model (`persisted()`) or was answered in this workflow task. */
  unwaited(): boolean {
    return this.updatesWaiting === 0 && this.answeredInTask !== workflowInfo().historyLength;
  }

  /** The read-model write of the current version, chained to the version persisted before it. */
  private newestWrite(): PersistTicketStateInput {
    return {
      ticketId: this.input.ticketId,
      version: this.version,
      previousVersion: this.persistedVersion,
      state: this.state,
      ticket: this.input,
      runId: workflowInfo().runId,
    };
  }

  private async persistOnce(): Promise<void> {
    const write = this.newestWrite();
    await this.written(
      () => localAttempts.writeTicketLocal({ ...write, events: [] }),
      () => persistTicketState(write),
    );
    this.persistedVersion = write.version;
  }

  private async publishOnce(): Promise<void> {
    const batch = this.outbox.slice(0, Math.min(EVENT_BATCH, this.publishable()));
    await this.written(
      () => localAttempts.publishTicketEvents({ events: batch }),
      () => publishTicketEvents({ events: batch }),
    );
    this.outbox.splice(0, batch.length);
    this.outboxVersions.splice(0, batch.length);
  }

  /**
   * Writes through `local` when the write may run locally (`writesLocally`), else through `activity`. The
   * local form gets one attempt of at most a few seconds (`localAttempts`): while it runs, the workflow task
   * stays open and messages to the run wait for it, so a write that fails or hangs is not retried there but
   * written by the activity, retried until stored. The writes are idempotent: a persist that landed is not
   * written twice, and events keep their ids.
   */
  private async written(local: () => Promise<unknown>, activity: () => Promise<unknown>): Promise<void> {
    if (this.writesLocally()) {
      try {
        await local();
        return;
      } catch (err) {
        if (!localFailure(err)) throw err;
      }
    }
    await activity();
  }

  /** The newest version and the oldest batch of events, in one activity; each leaves its queue once it landed. */
  private async writeOnce(): Promise<void> {
    const write = this.newestWrite();
    const batch = this.outbox.slice(0, EVENT_BATCH);
    await this.written(
      () => localAttempts.writeTicketLocal({ ...write, events: batch }),
      () => writeTicket({ ...write, events: batch }),
    );
    this.persistedVersion = write.version;
    this.outbox.splice(0, batch.length);
    this.outboxVersions.splice(0, batch.length);
  }

  /** Starts what keeps the read model and the event stream current for this run. */
  startWriters(): void {
    if (this.singleWriter) {
      void this.writeLoop();
      return;
    }
    void this.persistLoop();
    if (this.notifying) void this.publishLoop();
  }

  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.input.continueAsNewAfterEvents ?? 5000);
  }

  private settled(): boolean {
    return this.persistedVersion === this.version && this.answers.length === 0 && this.outbox.length === 0;
  }

  /**
   * Continues as new at a safe point: every handler done, the read model current, nothing owed. Returns
   * instead once `interrupted()` holds: work the caller must do first (a revoke, whose handler waits for
   * the access to end, so waiting for every handler to finish would wait forever).
   */
  async continueAsNew(phase: 'active' | 'lingering', interrupted: () => boolean = () => false): Promise<void> {
    await condition(() => interrupted() || (allHandlersFinished() && this.settled()));
    if (interrupted()) return;
    await continueAsNew<(i: TicketWorkflowInput) => Promise<TicketState>>({
      ...this.input,
      resume: {
        state: this.state,
        phase,
        version: this.version,
        lingerUntil: this.lingerUntil !== null ? new Date(this.lingerUntil).toISOString() : null,
        seatsReserved: this.seatsReserved,
        pendingExtensions: [...this.pendingExtensions],
        expiryNoticeFor: this.expiryNoticeFor,
      },
    });
  }

  /** The workflow's result, once nothing is owed and every handler has answered. */
  async finish(): Promise<TicketState> {
    await condition(() => this.settled() && allHandlersFinished());
    return this.state;
  }
}
