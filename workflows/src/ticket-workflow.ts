/**
 * The ticket workflow: one per ticket, workflow id = ticket id.
 *
 * Lifecycle
 *   pending ──approve (every step)──▶ approved ──▶ [scheduled until start] ──▶ applying ──▶ active
 *      │                                                                    │        └─▶ removed (pure remove)
 *      ├─reject / pending timeout──▶ rejected                               └─▶ failed ──retry──▶ applying
 *      └─cancel──▶ cancelled
 *   active (limited) ──timer at end──▶ expired ──(re-raise window)──▶ done      active ──revoke──▶ revoked
 *
 * Messages: Updates approve / reject / cancel / revoke / retry, each with a validator so an ineligible
 * caller is refused before anything enters history; query ticketState. Updates requestExtension and
 * requestReraise start extend / re-raise tickets as child workflows of the workflow that owns the access:
 * an approved extension child signals `extensionApproved`, the owner moves its timer (no revoke, no
 * second grant) and answers `extensionApplied`; when the access ends, pending extensions get `accessEnded`
 * and reject themselves. Expired access lingers for the policy's re-raise window, then completes.
 * Timers: the pending timeout, the wait until a future start, the sleep until the (movable) end of
 * limited access, the re-raise window. Long-lived runs continue as new with their state.
 * Every state change bumps `version`; one persister loop writes the newest state to the read model
 * through an activity (retried until MongoDB answers), and search attributes follow the state.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type SearchAttributeUpdatePair } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import {
  checkDuration,
  DEFAULT_EXPIRY_NOTICE_SECONDS,
  DEFAULT_RERAISE_WINDOW_SECONDS,
  decisionRefusal,
  initialApproval,
  isAdmin,
  isFullyApproved,
  isLimited,
  matchesApproverRules,
  msUntil,
  recordApproval,
  recordRejection,
  skipRemaining,
  type AccessState,
  type ErrorCode,
  type LogEntry,
  type LogEventType,
  type NotificationActivities,
  type TicketActivities,
  type TicketEvent,
  ticketEventSnapshot,
  toTicketEvent,
  type TicketState,
  type TicketWorkflowInput,
} from '@gatehouse/domain';
import {
  accessEndedSignal,
  approveTicketUpdate,
  cancelTicketUpdate,
  extensionAppliedSignal,
  extensionApprovedSignal,
  PATCHES,
  requestExtensionUpdate,
  requestReraiseUpdate,
  RERAISE_WINDOW_CLOSED,
  TICKET_WORKFLOW_TYPE,
  ticketWorkflowStartOptions,
  rejectTicketUpdate,
  retryApplyUpdate,
  revokeAccessUpdate,
  searchAttributes as sa,
  ticketStateQuery,
  type ActorCommentInput,
  type DecisionActor,
} from './definitions';

const SYSTEM = 'system';

const { persistTicketState } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  // The read model must catch up whatever happens to MongoDB: retry forever, at most a minute apart.
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { publishTicketEvents } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  // At least once, in order: retried until it lands, and nothing later is published before it.
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { reserveSeats, releaseSeats, extendGrant } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['NO_SEAT_AVAILABLE'] },
});

const { revokeAccess } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '2 minutes',
  // Activities heartbeat while they work: a worker that dies mid-call is noticed in seconds.
  heartbeatTimeout: '20 seconds',
  // Access must end: retry a failing target for as long as it takes; only a non-retryable failure stops
  // this (and parks the revocation for an operator's retry, see endAccess).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { applyAccess } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  // Target applications fail for a while (5xx, rate limits): back off, then park the ticket in
  // `failed` for an operator rather than retrying forever. Non-retryable failures park it at once.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

function refuse(code: ErrorCode, message: string, details: unknown[] = []): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details });
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketState> {
  const nowIso = () => new Date(Date.now()).toISOString();
  const resume = input.resume;
  const state: TicketState = resume?.state ?? {
    status: 'pending',
    approval: initialApproval(input.policy.approval.steps),
    access: { state: 'pending', start: null, end: null, grantedAt: null, revokedAt: null, error: null },
    duration: input.duration,
    log: [],
    resolvedAt: null,
    resolvedInSeconds: null,
    childTicketIds: [],
  };
  let version = resume?.version ?? 0;
  let persistedVersion = version;
  let revokeRequest: ActorCommentInput | null = null;
  let retryRequested = false;
  /**
   * One state change at a time: every state-changing handler and the pending timeout run under this
   * lock, so a decision that awaits an activity (a seat reservation) cannot be overtaken or duplicated.
   */
  const lock = new Mutex();
  /** Cancels waiting for the lock: the decision holding it gives way instead of approving. */
  let cancelsWaiting = 0;
  /** A revocation failed in a way no retry fixes; an admin's retry runs it again. */
  let revokeFailed = false;
  /** The access is being revoked (expiry or revoke; it may retry for hours): it can no longer be extended or revoked. */
  let ending = false;
  let seatsReserved = resume?.seatsReserved ?? false;
  let endChanged = false;
  let lingerUntil: number | null = resume?.lingerUntil ? Date.parse(resume.lingerUntil) : null;
  /** Extension children not yet decided, told when the access ends. */
  const pendingExtensions = new Set<string>(resume?.pendingExtensions ?? []);
  /** Answers owed to extension children, sent by the answer loop. */
  const answers: { ticketId: string; applied: boolean; end: string }[] = [];
  /** Extension child only: the owner's answer, or the news that the access ended. */
  let applied: { applied: boolean; end: string } | null = null;
  let accessEnded: 'expired' | 'revoked' | null = null;
  const licenseIds = [...new Set(input.changes.filter((c) => c.op === 'add' && c.entitlement.licenseId).map((c) => c.entitlement.licenseId!))];
  const seatsInput = { ticketId: input.ticketId, appId: input.app.id, userId: input.beneficiary.id, licenseIds };
  /** This run publishes its events, reminds and escalates steps, and warns before expiry (replays of older runs do not). */
  const notifying = patched(PATCHES.notifications);
  /** Events not yet published, oldest first; the first `evented` log entries have become events. */
  const outbox: TicketEvent[] = [];
  let evented = state.log.length;
  let expiryNoticeFor = resume?.expiryNoticeFor ?? null;

  function log(event: LogEventType, actor: string, comment?: string | null, details: Record<string, unknown> = {}): void {
    const entry: LogEntry = { at: nowIso(), actor, event, comment: comment ?? null, details };
    state.log.push(entry);
  }

  /** Every state change ends here: the read model, the search attributes and the event stream follow. */
  function changed(): void {
    version++;
    if (notifying) {
      // Each new log entry becomes an event, with the ticket as it is after the change it records.
      const snapshot = ticketEventSnapshot({ ...input, ...state, id: input.ticketId });
      for (; evented < state.log.length; evented++) outbox.push(toTicketEvent(input.ticketId, evented, state.log[evented], snapshot));
    }
    const end = state.access.end ?? (isLimited(state.duration) ? state.duration.end : null);
    const pairs: SearchAttributeUpdatePair[] = [
      { key: sa.TicketStatus, value: state.status },
      { key: sa.AccessState, value: state.access.state },
      { key: sa.AccessEndsAt, value: end ? new Date(end) : null },
    ];
    upsertSearchAttributes(pairs);
    setCurrentDetails(
      `Status: **${state.status}** · access: **${state.access.state}**` +
        (state.status === 'pending' && state.approval.awaiting.length ? ` · awaiting ${state.approval.awaiting.join(', ')}` : '') +
        (end ? ` · ends ${end}` : ''),
    );
  }

  function setAccess(next: AccessState, patch: Partial<TicketState['access']> = {}): void {
    state.access = { ...state.access, ...patch, state: next };
  }

  function resolve(status: 'approved' | 'rejected' | 'cancelled'): void {
    state.status = status;
    state.resolvedAt = nowIso();
    state.resolvedInSeconds = Math.round((Date.parse(state.resolvedAt) - Date.parse(input.createdAt)) / 1000);
    if (status !== 'approved') {
      setAccess('none');
      if (status === 'cancelled') state.approval = skipRemaining(state.approval);
    }
  }

  /** Resolves once the read model holds `v` (or after `timeout`, so a MongoDB outage never blocks a caller). */
  async function persisted(v: number, timeoutMs = 5000): Promise<void> {
    await condition(() => persistedVersion >= v, timeoutMs);
  }

  async function persistLoop(): Promise<never> {
    for (;;) {
      await condition(() => version > persistedVersion);
      const v = version;
      await persistTicketState({
        ticketId: input.ticketId,
        version: v,
        previousVersion: persistedVersion,
        state,
        ticket: input,
        runId: workflowInfo().runId,
      });
      persistedVersion = v;
    }
  }

  /** Publishes events in order, at least once: a batch leaves the outbox only once it landed. */
  async function publishLoop(): Promise<never> {
    for (;;) {
      await condition(() => outbox.length > 0);
      const batch = outbox.slice(0, 25);
      await publishTicketEvents({ events: batch });
      outbox.splice(0, batch.length);
    }
  }

  /** Sends the owner's answers to extension children, in order. */
  async function answerLoop(): Promise<never> {
    for (;;) {
      await condition(() => answers.length > 0);
      const a = answers[0];
      try {
        await getExternalWorkflowHandle(a.ticketId).signal(extensionAppliedSignal, { applied: a.applied, end: a.end });
      } catch {
        // the child is gone (terminated by an operator): nothing to tell
      }
      answers.shift();
    }
  }

  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (input.continueAsNewAfterEvents ?? 5000);
  }

  /**
   * Continues as new at a safe point: every handler done, the read model current, nothing owed. Returns
   * instead when the active access has work first: a revoke (its handler waits for the access to end, so
   * waiting for every handler would wait forever) or a moved end (its grant is not updated yet).
   */
  async function continueAsNewNow(phase: 'active' | 'lingering'): Promise<void> {
    const interrupted = () => phase === 'active' && (revokeRequest !== null || endChanged);
    await condition(() => interrupted() || (allHandlersFinished() && persistedVersion === version && answers.length === 0 && outbox.length === 0));
    if (interrupted()) return;
    await continueAsNew<(i: TicketWorkflowInput) => Promise<TicketState>>({
      ...input,
      resume: {
        state,
        phase,
        version,
        lingerUntil: lingerUntil !== null ? new Date(lingerUntil).toISOString() : null,
        seatsReserved,
        pendingExtensions: [...pendingExtensions],
        expiryNoticeFor,
      },
    });
  }

  async function startChildTicket(child: TicketWorkflowInput): Promise<void> {
    try {
      await startChild(TICKET_WORKFLOW_TYPE, {
        ...ticketWorkflowStartOptions(child, workflowInfo().taskQueue),
        // The child outlives this run (continue-as-new, expiry): it finishes its own story.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // a retried request: already running
    }
    if (!state.childTicketIds.includes(child.ticketId)) {
      state.childTicketIds.push(child.ticketId);
      changed();
    }
  }

  const subject = () => ({
    status: state.status,
    requesterId: input.requester.id,
    beneficiaryId: input.beneficiary.id,
    approval: state.approval,
  });

  function validateDecision(actor: DecisionActor): void {
    const refusal = decisionRefusal(subject(), actor);
    if (!refusal) return;
    const messages: Partial<Record<ErrorCode, string>> = {
      TICKET_NOT_PENDING: `Ticket ${input.ticketId} is ${state.status}, no longer pending.`,
      NOT_AN_APPROVER: `${actor.id} is not an approver of the current step of ${input.ticketId}.`,
      ALREADY_DECIDED: `${actor.id} already approved this step of ${input.ticketId}.`,
    };
    refuse(refusal, messages[refusal] ?? refusal);
  }

  function validateCancel(actor: DecisionActor): void {
    const allowed = actor.id === input.requester.id || actor.id === input.beneficiary.id || isAdmin(actor);
    if (!allowed) refuse('FORBIDDEN', 'Only the requester, the beneficiary or an admin may cancel a ticket.');
    if (state.status !== 'pending') refuse('TICKET_NOT_PENDING', `Ticket ${input.ticketId} is ${state.status}, no longer pending.`);
  }

  function validateRevoke(actor: DecisionActor): void {
    const approverRules = input.policy.approval.steps.flatMap((s) => s.approvers);
    const eligible = isAdmin(actor) || (matchesApproverRules(actor, approverRules) && actor.id !== input.beneficiary.id && actor.id !== input.requester.id);
    if (!eligible) refuse('FORBIDDEN', 'Only an admin or an approver of this application may revoke access.');
    if (input.action === 'remove' || input.type === 'extend' || !['scheduled', 'active', 'failed'].includes(state.access.state)) {
      refuse('ACCESS_NOT_ACTIVE', `The access of ${input.ticketId} is ${state.access.state}; there is nothing to revoke.`);
    }
    if (revokeRequest || ending) refuse('ACCESS_ENDING', `The access of ${input.ticketId} is being revoked.`);
  }

  function validateRetry(actor: DecisionActor): void {
    if (!isAdmin(actor)) refuse('FORBIDDEN', 'Only an admin may retry provisioning.');
    if ((state.access.state !== 'failed' && !revokeFailed) || (ending && !revokeFailed) || retryRequested) {
      refuse('ACCESS_NOT_FAILED', `The access of ${input.ticketId} is ${state.access.state}, not failed.`);
    }
  }

  function validateExtensionRequest(): void {
    if (state.access.state !== 'active' || !isLimited(state.duration) || input.type === 'extend') {
      refuse('ACCESS_NOT_ACTIVE', `The access of ${input.ticketId} is ${state.access.state}${isLimited(state.duration) ? '' : ' and not time-limited'}; only active limited access can be extended.`);
    }
    if (revokeRequest || ending) refuse('ACCESS_ENDING', `The access of ${input.ticketId} is being revoked; it can no longer be extended.`);
  }

  function validateReraiseRequest(): void {
    if (state.access.state !== 'expired') refuse('ACCESS_NOT_EXPIRED', `The access of ${input.ticketId} is ${state.access.state}, not expired.`);
    if (lingerUntil === null || Date.now() >= lingerUntil) {
      throw ApplicationFailure.create({ type: RERAISE_WINDOW_CLOSED, message: 'the re-raise window of this access has closed', nonRetryable: true });
    }
  }

  // ── Messages ──────────────────────────────────────────────────────────────────────────────────
  setHandler(ticketStateQuery, () => state);

  setHandler(
    approveTicketUpdate,
    async ({ actor, comment, duration }) => {
      await lock.runExclusive(async () => {
        // The ticket may have changed while this waited for the lock: decide on what it is now.
        validateDecision(actor);
        const step = state.approval.currentStep;
        const next = recordApproval(state.approval, actor.id);
        if (isFullyApproved(next) && licenseIds.length > 0 && input.type !== 'extend' && patched(PATCHES.licenseSeats)) {
          try {
            await reserveSeats(seatsInput);
          } catch (err) {
            refuse('NO_SEAT_AVAILABLE', failureMessage(err));
          }
          seatsReserved = true;
          // Cancelled while the seat was being reserved: the cancel wins, and gives the seat back.
          if (cancelsWaiting > 0) refuse('TICKET_NOT_PENDING', `Ticket ${input.ticketId} was cancelled while this approval was being recorded.`);
        }
        if (duration) {
          const previous = state.duration;
          state.duration = duration;
          log('duration_modified', actor.id, comment, { from: previous, to: duration });
        }
        state.approval = next;
        log('approved', actor.id, comment, { step });
        if (isFullyApproved(state.approval)) resolve('approved');
        changed();
      });
      await persisted(version);
      return state;
    },
    {
      validator: ({ actor, duration }) => {
        validateDecision(actor);
        if (!duration) return;
        if (input.action === 'remove') refuse('POLICY_VIOLATION', 'A remove ticket takes no duration.');
        // Extensions measure the maximum from the later of the access start and now.
        const flags = checkDuration(input.policy, duration, new Date(Date.now()), input.type === 'extend' ? { measureFrom: new Date(Date.now()).toISOString(), allowPastStart: true } : {});
        if (flags.length) refuse('POLICY_VIOLATION', 'The modified duration breaks the policy.', [flags]);
      },
    },
  );

  setHandler(
    rejectTicketUpdate,
    async ({ actor, comment }) => {
      await lock.runExclusive(() => {
        validateDecision(actor);
        state.approval = recordRejection(state.approval);
        log('rejected', actor.id, comment, { step: state.approval.currentStep });
        resolve('rejected');
        changed();
      });
      await persisted(version);
      return state;
    },
    { validator: ({ actor }) => validateDecision(actor) },
  );

  setHandler(
    cancelTicketUpdate,
    async ({ actor, comment }) => {
      cancelsWaiting++;
      try {
        await lock.runExclusive(async () => {
          validateCancel(actor);
          log('cancelled', actor.id, comment);
          resolve('cancelled');
          changed();
          if (seatsReserved) {
            await releaseSeats(seatsInput);
            seatsReserved = false;
          }
        });
      } finally {
        cancelsWaiting--;
      }
      await persisted(version);
      return state;
    },
    { validator: ({ actor }) => validateCancel(actor) },
  );

  setHandler(
    revokeAccessUpdate,
    async (request) => {
      await lock.runExclusive(() => {
        validateRevoke(request.actor);
        revokeRequest = request;
      });
      // The main loop revokes; the caller gets the ticket once the access is gone.
      await condition(() => ['revoked', 'expired', 'removed', 'none'].includes(state.access.state));
      await persisted(version);
      return state;
    },
    { validator: ({ actor }) => validateRevoke(actor) },
  );

  setHandler(
    retryApplyUpdate,
    async ({ actor, comment }) => {
      await lock.runExclusive(() => {
        validateRetry(actor);
        retryRequested = true;
        log('retried', actor.id, comment);
        changed();
      });
      await persisted(version);
      return state;
    },
    { validator: ({ actor }) => validateRetry(actor) },
  );

  setHandler(
    requestExtensionUpdate,
    async (child) => {
      await lock.runExclusive(async () => {
        validateExtensionRequest();
        pendingExtensions.add(child.ticketId);
        await startChildTicket(child);
      });
      await persisted(version);
      return state;
    },
    { validator: (_child) => validateExtensionRequest() },
  );

  setHandler(
    requestReraiseUpdate,
    async (child) => {
      await lock.runExclusive(async () => {
        validateReraiseRequest();
        await startChildTicket(child);
      });
      await persisted(version);
      return state;
    },
    { validator: (_child) => validateReraiseRequest() },
  );

  // Owner side: an extension child was approved.
  setHandler(extensionApprovedSignal, ({ ticketId, end }) =>
    lock.runExclusive(() => {
      pendingExtensions.delete(ticketId);
      const current = state.access.end;
      const ok = state.access.state === 'active' && revokeRequest === null && !ending && isLimited(state.duration) && current !== null && Date.parse(end) > Date.parse(current);
      if (ok && isLimited(state.duration)) {
        state.access = { ...state.access, end };
        state.duration = { ...state.duration, end };
        endChanged = true;
        log('extended', SYSTEM, null, { ticketId, from: current, to: end });
        changed();
      }
      answers.push({ ticketId, applied: ok, end: ok ? end : (current ?? end) });
    }),
  );

  // Extension side: the owner's answer, and the news that the access ended first.
  setHandler(extensionAppliedSignal, (answer) => {
    applied = answer;
  });
  setHandler(accessEndedSignal, ({ reason }) =>
    lock.runExclusive(() => {
      accessEnded = reason;
      if (state.status !== 'pending') return;
      state.approval = recordRejection(state.approval);
      log('rejected', SYSTEM, `The access was ${reason} before this extension was decided.`, { reason: 'access_ended' });
      resolve('rejected');
      changed();
    }),
  );

  // ── Lifecycle ─────────────────────────────────────────────────────────────────────────────────
  if (resume) {
    void persistLoop();
    if (notifying) void publishLoop();
    void answerLoop();
    changed(); // records this run's id in the read model
    if (resume.phase === 'active') await activePhase();
    else await lingerPhase(lingerUntil ?? Date.now());
    return finish();
  }

  void persistLoop();
  if (notifying) void publishLoop();
  log('created', input.createdBy.id, input.reason, input.createdBy.id !== input.beneficiary.id ? { onBehalfOf: input.beneficiary.id } : {});
  if (state.approval.steps.length === 0) {
    log('approved', SYSTEM, 'The policy requires no approval.');
    resolve('approved');
  }
  changed();

  const pendingTimeout = input.policy.pendingTimeoutSeconds;
  const decided = notifying
    ? await awaitDecision()
    : pendingTimeout
      ? await condition(() => state.status !== 'pending', pendingTimeout * 1000)
      : (await condition(() => state.status !== 'pending'), true);
  if (!decided) {
    // A decision already under way (holding the lock) was taken in time: it stands, and the timeout gives way.
    await lock.runExclusive(() => {
      if (state.status !== 'pending') return;
      state.approval = recordRejection(state.approval);
      log('rejected', SYSTEM, `No decision within ${pendingTimeout} seconds: the ticket timed out.`, { reason: 'pending_timeout' });
      resolve('rejected');
      changed();
    });
  }

  void answerLoop();
  if (state.status === 'approved') {
    if (input.type === 'extend') await applyExtension();
    else await provision();
  }
  return finish();

  /**
   * Pending: waits for the decision (false when the pending timeout passed first). Each step gets its
   * policy's timers when it opens: a reminder to its approvers, then escalation to its fallback
   * approvers. Both are durable timers, cancelled the moment the step completes.
   */
  async function awaitDecision(): Promise<boolean> {
    const deadline = pendingTimeout ? Date.now() + pendingTimeout * 1000 : null;
    while (state.status === 'pending') {
      const step = state.approval.currentStep;
      const policy = input.policy.approval.steps[step];
      const openedAt = Date.now();
      const remindAt = policy?.remindAfterSeconds ? openedAt + policy.remindAfterSeconds * 1000 : null;
      const escalateAt = policy?.escalateAfterSeconds && policy.escalateTo?.length ? openedAt + policy.escalateAfterSeconds * 1000 : null;
      let reminded = false;
      let escalated = false;
      const stepOpen = () => state.status === 'pending' && state.approval.currentStep === step;
      while (stepOpen()) {
        const due = [deadline, reminded ? null : remindAt, escalated ? null : escalateAt].filter((t): t is number => t !== null);
        if (due.length) await condition(() => !stepOpen(), Math.max(1, Math.min(...due) - Date.now()));
        else await condition(() => !stepOpen());
        if (!stepOpen()) break;
        const now = Date.now();
        if (deadline !== null && now >= deadline) return false;
        if (!reminded && remindAt !== null && now >= remindAt) {
          reminded = true;
          log('reminder_sent', SYSTEM, null, { step, awaiting: [...state.approval.awaiting] });
          changed();
        }
        if (!escalated && escalateAt !== null && now >= escalateAt) {
          escalated = true;
          escalate(step, policy!.escalateTo!);
        }
      }
    }
    return true;
  }

  /** Opens a step to its fallback approvers: they become eligible and are told (event `escalated`). */
  function escalate(step: number, to: string[]): void {
    const current = state.approval.steps[step];
    const added = to.filter((rule) => !current.approvers.includes(rule));
    const steps = state.approval.steps.map((st, i) => (i === step ? { ...st, approvers: [...st.approvers, ...added] } : st));
    state.approval = { ...state.approval, steps, awaiting: [...steps[step].approvers] };
    log('escalated', SYSTEM, null, { step, to: added });
    changed();
  }

  /** When to tell the requester their limited access ends soon, or null (told already, or too short to need it). */
  function expiryNoticeAt(): number | null {
    if (!notifying || !isLimited(state.duration) || state.access.end === null || expiryNoticeFor === state.access.end) return null;
    const at = Date.parse(state.access.end) - (input.policy.expiryNoticeSeconds ?? DEFAULT_EXPIRY_NOTICE_SECONDS) * 1000;
    // Access shorter than the notice window gets none: its requester saw the end when they asked.
    const start = Date.parse(state.access.start ?? state.access.grantedAt ?? state.access.end);
    return at > start ? at : null;
  }

  /** Extension child: ask the owner to move its end, and wait for its answer. */
  async function applyExtension(): Promise<void> {
    const duration = state.duration;
    if (!isLimited(duration) || !input.parentTicketId) return;
    setAccess('applying', { start: duration.start, end: duration.end });
    changed();
    try {
      await getExternalWorkflowHandle(input.parentTicketId).signal(extensionApprovedSignal, { ticketId: input.ticketId, end: duration.end });
      await condition(() => applied !== null || accessEnded !== null);
    } catch {
      accessEnded = 'expired'; // the owner's workflow has completed: its access is over
    }
    const answer = applied as { applied: boolean; end: string } | null;
    if (answer?.applied) {
      setAccess('active', { grantedAt: nowIso(), end: answer.end });
      log('extended', SYSTEM, null, { parentTicketId: input.parentTicketId, end: answer.end });
    } else {
      setAccess('none', { error: 'The access ended before this extension could be applied.' });
    }
    changed();
  }

  async function provision(): Promise<void> {
    const duration = state.duration;
    const limited = isLimited(duration);
    if (limited) setAccess('scheduled', { start: duration.start, end: duration.end });
    if (limited && Date.parse(duration.start) > Date.now()) {
      changed();
      await condition(() => revokeRequest !== null, msUntil(duration.start, Date.now()));
      if (revokeRequest) {
        if (seatsReserved) await releaseSeats(seatsInput);
        log('revoked', revokeRequest.actor.id, revokeRequest.comment, { beforeStart: true });
        setAccess('revoked', { revokedAt: nowIso() });
        changed();
        return;
      }
    }

    for (;;) {
      setAccess('applying', { error: null });
      log('applying', SYSTEM);
      changed();
      try {
        const { grantedAt, alreadyHeld } = await applyAccess({
          ticketId: input.ticketId,
          appId: input.app.id,
          beneficiaryId: input.beneficiary.id,
          changes: input.changes,
          duration: state.duration,
        });
        if (input.action === 'remove') {
          setAccess('removed', { grantedAt });
          log('removed', SYSTEM);
          changed();
          return;
        }
        setAccess('active', { grantedAt, start: limited ? duration.start : grantedAt, end: limited ? duration.end : null });
        // Held before this ticket: expiry will leave it in place (only an admin's revoke removes it).
        if (alreadyHeld?.length) log('already_held', SYSTEM, null, { entitlementIds: alreadyHeld });
        log('granted', SYSTEM);
        changed();
        break;
      } catch (err) {
        const error = failureMessage(err);
        setAccess('failed', { error });
        log('provisioning_failed', SYSTEM, error);
        changed();
        await condition(() => retryRequested || revokeRequest !== null);
        if (revokeRequest && patched(PATCHES.revokeFailedGrants)) {
          // What the first changes granted before a later one failed must not outlive the ticket.
          await endAccess('revoked', { whileFailed: true });
          return;
        }
        if (revokeRequest) {
          if (seatsReserved) await releaseSeats(seatsInput);
          log('revoked', revokeRequest.actor.id, revokeRequest.comment, { whileFailed: true });
          setAccess('revoked', { revokedAt: nowIso() });
          changed();
          return;
        }
        retryRequested = false;
        if (isLimited(state.duration) && Date.now() >= Date.parse(state.duration.end) && patched(PATCHES.expireFailedAfterEnd)) {
          // Retried after its end: the access it was approved for is over. Nothing new is granted, and
          // whatever the failed attempt granted is revoked.
          await endAccess('expired', { whileFailed: true });
          return;
        }
      }
    }

    await activePhase();
  }

  /** Active: sleep until the end (limited; an approved extension moves it) or until someone revokes. */
  async function activePhase(): Promise<void> {
    for (;;) {
      const wake = () => revokeRequest !== null || endChanged || shouldContinueAsNew();
      const noticeAt = expiryNoticeAt();
      if (noticeAt !== null && Date.now() < Date.parse(state.access.end!)) {
        // First the notice: sleep until it is due (at once if it is overdue), tell, then sleep until the end.
        if (!(await condition(wake, Math.max(1, noticeAt - Date.now())))) {
          expiryNoticeFor = state.access.end;
          log('expiring_soon', SYSTEM, null, { end: state.access.end });
          changed();
          continue;
        }
      } else if (isLimited(state.duration)) await condition(wake, msUntil(state.access.end!, Date.now()));
      else await condition(wake);
      if (endChanged) {
        endChanged = false;
        await extendGrant({
          ticketId: input.ticketId,
          appId: input.app.id,
          beneficiaryId: input.beneficiary.id,
          entitlementIds: input.changes.filter((c) => c.op === 'add').map((c) => c.entitlement.id),
          end: state.access.end!,
        });
        continue;
      }
      const ended = isLimited(state.duration) && Date.now() >= Date.parse(state.access.end!);
      if (revokeRequest === null && !ended && shouldContinueAsNew()) {
        await continueAsNewNow('active');
        continue; // interrupted by a revoke or a moved end
      }
      break;
    }
    await endAccess(revokeRequest ? 'revoked' : 'expired');
  }

  async function endAccess(reason: 'expired' | 'revoked', details: Record<string, unknown> = {}): Promise<void> {
    ending = true;
    for (const childId of [...pendingExtensions]) {
      try {
        await getExternalWorkflowHandle(childId).signal(accessEndedSignal, { reason });
      } catch {
        // already finished
      }
    }
    pendingExtensions.clear();
    let result: Awaited<ReturnType<typeof revokeAccess>>;
    for (;;) {
      try {
        result = await revokeAccess({
          ticketId: input.ticketId,
          appId: input.app.id,
          beneficiaryId: input.beneficiary.id,
          changes: input.changes.filter((c) => c.op === 'add'),
          reason,
          // An admin's explicit revoke also removes access the person held before Gatehouse granted it.
          ...(revokeRequest && isAdmin(revokeRequest.actor) ? { includePreexisting: true } : {}),
        });
        break;
      } catch (err) {
        // A failure no retry fixes (revoked credentials, say): keep the access's state, say why, and wait
        // for an admin's retry rather than failing the workflow and forgetting the revocation.
        revokeFailed = true;
        setAccess(state.access.state, { error: failureMessage(err) });
        log('provisioning_failed', SYSTEM, failureMessage(err), { during: 'revoke' });
        changed();
        await condition(() => retryRequested);
        retryRequested = false;
        revokeFailed = false;
      }
    }
    const { revokedAt, skipped } = result;
    setAccess(reason, { revokedAt });
    const logged = skipped.length ? { ...details, skipped } : details;
    if (revokeRequest) log('revoked', revokeRequest.actor.id, revokeRequest.comment, logged);
    else log('expired', SYSTEM, null, logged);
    ending = false;
    changed();
    if (reason === 'expired' && patched(PATCHES.reraiseWindow)) {
      await lingerPhase(Date.now() + (input.policy.reraiseWindowSeconds ?? DEFAULT_RERAISE_WINDOW_SECONDS) * 1000);
    }
  }

  /** Expired: stay open for re-raises (they run as children) until the window closes. */
  async function lingerPhase(until: number): Promise<void> {
    lingerUntil = until;
    for (;;) {
      await condition(shouldContinueAsNew, msUntil(new Date(until).toISOString(), Date.now()));
      if (Date.now() >= until) return;
      await continueAsNewNow('lingering');
    }
  }

  async function finish(): Promise<TicketState> {
    await condition(() => persistedVersion === version && answers.length === 0 && outbox.length === 0 && allHandlersFinished());
    return state;
  }
}
