/**
 * The ticket workflow: one per ticket, workflow id = ticket id.
 *
 * Lifecycle
 *   pending ──approve (every step)──▶ approved ──▶ [scheduled until start] ──▶ applying ──▶ active
 *      │                                                                    │        └─▶ removed (pure remove)
 *      ├─reject / pending timeout──▶ rejected                               └─▶ failed ──retry──▶ applying
 *      └─cancel──▶ cancelled
 *   active (limited) ──timer at end──▶ expired      active ──revoke──▶ revoked
 *
 * Messages: Updates approve / reject / cancel / revoke / retry, each with a validator so an ineligible
 * caller is refused before anything enters history; query ticketState.
 * Timers: the pending timeout, the wait until a future start, the sleep until the end of limited access.
 * Every state change bumps `version`; one persister loop writes the newest state to the read model
 * through an activity (retried until MongoDB answers), and search attributes follow the state.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  checkDuration,
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
  type TicketActivities,
  type TicketState,
  type TicketWorkflowInput,
} from '@gatehouse/domain';
import {
  approveTicketUpdate,
  cancelTicketUpdate,
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

const { applyAccess, revokeAccess } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '2 minutes',
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
  const state: TicketState = {
    status: 'pending',
    approval: initialApproval(input.policy.approval.steps),
    access: { state: 'pending', start: null, end: null, grantedAt: null, revokedAt: null, error: null },
    duration: input.duration,
    log: [],
    resolvedAt: null,
    resolvedInSeconds: null,
    childTicketIds: [],
  };
  let version = 0;
  let persistedVersion = 0;
  let revokeRequest: ActorCommentInput | null = null;
  let retryRequested = false;

  function log(event: LogEventType, actor: string, comment?: string | null, details: Record<string, unknown> = {}): void {
    const entry: LogEntry = { at: nowIso(), actor, event, comment: comment ?? null, details };
    state.log.push(entry);
  }

  /** Every state change ends here: the read model and the search attributes follow. */
  function changed(): void {
    version++;
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
        state,
        ticket: input,
        runId: workflowInfo().runId,
      });
      persistedVersion = v;
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

  // ── Messages ──────────────────────────────────────────────────────────────────────────────────
  setHandler(ticketStateQuery, () => state);

  setHandler(
    approveTicketUpdate,
    async ({ actor, comment, duration }) => {
      if (duration) {
        const previous = state.duration;
        state.duration = duration;
        log('duration_modified', actor.id, comment, { from: previous, to: duration });
      }
      const step = state.approval.currentStep;
      state.approval = recordApproval(state.approval, actor.id);
      log('approved', actor.id, comment, { step });
      if (isFullyApproved(state.approval)) resolve('approved');
      changed();
      const v = version;
      await persisted(v);
      return state;
    },
    {
      validator: ({ actor, duration }) => {
        validateDecision(actor);
        if (!duration) return;
        if (input.action === 'remove') refuse('POLICY_VIOLATION', 'A remove ticket takes no duration.');
        const flags = checkDuration(input.policy, duration, new Date(Date.now()));
        if (flags.length) refuse('POLICY_VIOLATION', 'The modified duration breaks the policy.', [flags]);
      },
    },
  );

  setHandler(
    rejectTicketUpdate,
    async ({ actor, comment }) => {
      state.approval = recordRejection(state.approval);
      log('rejected', actor.id, comment, { step: state.approval.currentStep });
      resolve('rejected');
      changed();
      await persisted(version);
      return state;
    },
    { validator: ({ actor }) => validateDecision(actor) },
  );

  setHandler(
    cancelTicketUpdate,
    async ({ actor, comment }) => {
      log('cancelled', actor.id, comment);
      resolve('cancelled');
      changed();
      await persisted(version);
      return state;
    },
    {
      validator: ({ actor }) => {
        const allowed = actor.id === input.requester.id || actor.id === input.beneficiary.id || isAdmin(actor);
        if (!allowed) refuse('FORBIDDEN', 'Only the requester, the beneficiary or an admin may cancel a ticket.');
        if (state.status !== 'pending') refuse('TICKET_NOT_PENDING', `Ticket ${input.ticketId} is ${state.status}, no longer pending.`);
      },
    },
  );

  setHandler(
    revokeAccessUpdate,
    async (request) => {
      revokeRequest = request;
      // The main loop revokes; the caller gets the ticket once the access is gone.
      await condition(() => ['revoked', 'expired', 'removed', 'none'].includes(state.access.state));
      await persisted(version);
      return state;
    },
    {
      validator: ({ actor }) => {
        const approverRules = input.policy.approval.steps.flatMap((s) => s.approvers);
        const eligible = isAdmin(actor) || (matchesApproverRules(actor, approverRules) && actor.id !== input.beneficiary.id && actor.id !== input.requester.id);
        if (!eligible) refuse('FORBIDDEN', 'Only an admin or an approver of this application may revoke access.');
        if (input.action === 'remove' || !['scheduled', 'active', 'failed'].includes(state.access.state) || revokeRequest) {
          refuse('ACCESS_NOT_ACTIVE', `The access of ${input.ticketId} is ${state.access.state}; there is nothing to revoke.`);
        }
      },
    },
  );

  setHandler(
    retryApplyUpdate,
    async ({ actor, comment }) => {
      retryRequested = true;
      log('retried', actor.id, comment);
      changed();
      await persisted(version);
      return state;
    },
    {
      validator: ({ actor }) => {
        if (!isAdmin(actor)) refuse('FORBIDDEN', 'Only an admin may retry provisioning.');
        if (state.access.state !== 'failed' || retryRequested) {
          refuse('ACCESS_NOT_FAILED', `The access of ${input.ticketId} is ${state.access.state}, not failed.`);
        }
      },
    },
  );

  // ── Lifecycle ─────────────────────────────────────────────────────────────────────────────────
  void persistLoop();
  log('created', input.createdBy.id, input.reason, input.createdBy.id !== input.beneficiary.id ? { onBehalfOf: input.beneficiary.id } : {});
  if (state.approval.steps.length === 0) {
    log('approved', SYSTEM, 'The policy requires no approval.');
    resolve('approved');
  }
  changed();

  const pendingTimeout = input.policy.pendingTimeoutSeconds;
  const decided = pendingTimeout
    ? await condition(() => state.status !== 'pending', pendingTimeout * 1000)
    : (await condition(() => state.status !== 'pending'), true);
  if (!decided) {
    state.approval = recordRejection(state.approval);
    log('rejected', SYSTEM, `No decision within ${pendingTimeout} seconds: the ticket timed out.`, { reason: 'pending_timeout' });
    resolve('rejected');
    changed();
  }

  if (state.status === 'approved') await provision();
  return finish();

  async function provision(): Promise<void> {
    const duration = state.duration;
    const limited = isLimited(duration);
    if (limited) setAccess('scheduled', { start: duration.start, end: duration.end });
    if (limited && Date.parse(duration.start) > Date.now()) {
      changed();
      await condition(() => revokeRequest !== null, msUntil(duration.start, Date.now()));
      if (revokeRequest) {
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
        const { grantedAt } = await applyAccess({
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
        log('granted', SYSTEM);
        changed();
        break;
      } catch (err) {
        const error = failureMessage(err);
        setAccess('failed', { error });
        log('provisioning_failed', SYSTEM, error);
        changed();
        await condition(() => retryRequested || revokeRequest !== null);
        if (revokeRequest) {
          log('revoked', revokeRequest.actor.id, revokeRequest.comment, { whileFailed: true });
          setAccess('revoked', { revokedAt: nowIso() });
          changed();
          return;
        }
        retryRequested = false;
      }
    }

    // Active: sleep until the end (limited) or until someone revokes.
    if (limited) {
      await condition(() => revokeRequest !== null, msUntil(state.access.end!, Date.now()));
    } else {
      await condition(() => revokeRequest !== null);
    }
    const reason = revokeRequest ? 'revoked' : 'expired';
    const { revokedAt, skipped } = await revokeAccess({
      ticketId: input.ticketId,
      appId: input.app.id,
      beneficiaryId: input.beneficiary.id,
      changes: input.changes.filter((c) => c.op === 'add'),
      reason,
    });
    setAccess(reason, { revokedAt });
    if (revokeRequest) log('revoked', revokeRequest.actor.id, revokeRequest.comment, skipped.length ? { skipped } : {});
    else log('expired', SYSTEM, null, skipped.length ? { skipped } : {});
    changed();
  }

  async function finish(): Promise<TicketState> {
    await condition(() => persistedVersion === version && allHandlersFinished());
    return state;
  }
}
