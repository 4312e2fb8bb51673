/**
 * Active → ended. Granted access sleeps until its end (limited) or until someone revokes it (Update
 * `revoke`). The end is a movable deadline: an approved extension moves it, which wakes the sleep, moves
 * the grant's end and sleeps again (the `timer-examples` updatable timer). Ending runs `revokeAccess`
 * until it succeeds; a failure no retry fixes parks the revocation until an admin's `retry`. While it
 * runs, further revokes and extensions are refused (`ACCESS_ENDING`) and pending extension children are
 * told the access ended. Expired access then lingers for the policy's re-raise window. A long sleep
 * continues as new when the history grows, unless a revoke or a moved end needs this run first.
 */
import { condition, getExternalWorkflowHandle } from '@temporalio/workflow';
import {
  DEFAULT_RERAISE_WINDOW_SECONDS,
  endsByItself,
  isAdmin,
  isLimited,
  matchesApproverRules,
  msUntil,
  type RevokeAccessInput,
  type RevokeAccessResult,
} from '@gatehouse/domain';
import { accessEndedSignal, PATCHES, type ActorCommentInput } from './definitions';
import { accessChanged } from './metrics';
import { expiryNoticeAt, sendExpiryNotice } from './notification-timers';
import { extendGrant, localAttempts, locallyFirst, RETRY_POLICIES, revokeAccess } from './retry-policies';
import { failureMessage, refuse, SYSTEM, type TicketRun } from './ticket-run';

/** How a revoke is logged: the beneficiary ending their own access is `relinquished`. */
export function revokeEvent(request: ActorCommentInput): 'revoked' | 'relinquished' {
  return request.relinquish ? 'relinquished' : 'revoked';
}

export class AccessPeriod {
  /** The end moved (an approved extension) and the grant's end has not followed yet. */
  private endMoved = false;

  constructor(private readonly run: TicketRun) {}

  validateRevoke({ actor, relinquish }: Pick<ActorCommentInput, 'actor' | 'relinquish'>): void {
    const { input, state } = this.run;
    if (relinquish) {
      if (actor.id !== input.beneficiary.id) refuse('FORBIDDEN', 'Only the beneficiary may end their own access.');
    } else {
      const approverRules = input.policy.approval.steps.flatMap((s) => s.approvers);
      const eligible =
        isAdmin(actor) ||
        (matchesApproverRules(actor, approverRules) &&
          actor.id !== input.beneficiary.id &&
          actor.id !== input.requester.id);
      if (!eligible) refuse('FORBIDDEN', 'Only an admin or an approver of this application may revoke access.');
    }
    if (
      input.action === 'remove' ||
      input.type === 'extend' ||
      !['scheduled', 'active', 'failed'].includes(state.access.state)
    ) {
      refuse(
        'ACCESS_NOT_ACTIVE',
        `The access of ${input.ticketId} is ${state.access.state}; there is nothing to revoke.`,
      );
    }
    if (this.run.revokeRequest || this.run.ending)
      refuse('ACCESS_ENDING', `The access of ${input.ticketId} is being revoked.`);
  }

  /** Records the request; the lifecycle revokes, and the caller gets the ticket once the access is gone. */
  async revoke(request: ActorCommentInput) {
    const { run } = this;
    await run.lock.runExclusive(() => {
      this.validateRevoke(request);
      run.revokeRequest = request;
    });
    await condition(() => ['revoked', 'expired', 'removed', 'none'].includes(run.state.access.state));
    await run.persisted();
    return run.state;
  }

  /** Whether the access can take a new end now (active, limited, not ending). */
  extendable(): boolean {
    const { run } = this;
    return (
      run.state.access.state === 'active' &&
      run.revokeRequest === null &&
      !run.ending &&
      endsByItself(run.state.duration)
    );
  }

  /** An approved extension: moves the end if it is later; returns whether it did, and the end in force. */
  moveEnd(ticketId: string, end: string): { applied: boolean; end: string } {
    const { run } = this;
    const current = run.state.access.end;
    const ok = this.extendable() && current !== null && Date.parse(end) > Date.parse(current);
    if (ok) {
      run.state.access = { ...run.state.access, end };
      // Relative access keeps its duration as asked ("8 hours from approval"); the access carries the end.
      if (isLimited(run.state.duration)) run.state.duration = { ...run.state.duration, end };
      this.endMoved = true;
      run.log('extended', SYSTEM, null, { ticketId, from: current, to: end });
      run.changed();
    }
    return { applied: ok, end: ok ? end : (current ?? end) };
  }

  /** Active: sleep until the end (limited; an approved extension moves it) or until someone revokes. */
  async active(): Promise<void> {
    const { run } = this;
    const { state } = run;
    for (;;) {
      const wake = () => run.revokeRequest !== null || this.endMoved || run.shouldContinueAsNew();
      let endTimerFired = false;
      const noticeAt = expiryNoticeAt(run);
      if (noticeAt !== null && Date.now() < Date.parse(state.access.end!)) {
        // First the notice: sleep until it is due (at once if it is overdue), tell, then sleep until the end.
        if (!(await condition(wake, Math.max(1, noticeAt - Date.now())))) {
          sendExpiryNotice(run);
          continue;
        }
      } else if (endsByItself(state.duration))
        endTimerFired = !(await condition(wake, msUntil(state.access.end!, Date.now())));
      else await condition(wake);
      if (this.endMoved) {
        this.endMoved = false;
        await extendGrant({
          ticketId: run.ticketId,
          appId: run.input.app.id,
          beneficiaryId: run.input.beneficiary.id,
          entitlementIds: run.input.changes.filter((c) => c.op === 'add').map((c) => c.entitlement.id),
          end: state.access.end!,
        });
        continue;
      }
      // A fired end timer means the end came, whatever the clock of this task says (see decisions.ts).
      const ended = endsByItself(state.duration) && (endTimerFired || Date.now() >= Date.parse(state.access.end!));
      if (run.revokeRequest === null && !ended && run.shouldContinueAsNew()) {
        await run.continueAsNew('active', () => run.revokeRequest !== null || this.endMoved);
        continue; // interrupted by a revoke or a moved end
      }
      break;
    }
    await this.end(run.revokeRequest ? 'revoked' : 'expired');
  }

  /**
   * Ends the access: pending extensions are told, whatever this ticket granted is revoked (an admin's
   * revoke also removes access held before Gatehouse granted it), and expired access lingers for re-raises.
   */
  async end(reason: 'expired' | 'revoked', details: Record<string, unknown> = {}): Promise<void> {
    const { run } = this;
    run.ending = true;
    for (const childId of [...run.pendingExtensions]) {
      try {
        await getExternalWorkflowHandle(childId).signal(accessEndedSignal, { reason });
      } catch {
        // already finished
      }
    }
    run.pendingExtensions.clear();
    let result: RevokeAccessResult;
    const input: RevokeAccessInput = {
      ticketId: run.ticketId,
      appId: run.input.app.id,
      beneficiaryId: run.input.beneficiary.id,
      changes: run.input.changes.filter((c) => c.op === 'add'),
      reason,
      // Only an admin's revoke: a beneficiary ending their own access (even an admin's) gives back what
      // this ticket granted, not what they held before.
      ...(run.revokeRequest && !run.revokeRequest.relinquish && isAdmin(run.revokeRequest.actor)
        ? { includePreexisting: true }
        : {}),
    };
    for (;;) {
      try {
        result = await this.revoked(input);
        break;
      } catch (err) {
        // A failure no retry fixes (revoked credentials, say): keep the access's state, say why, and wait
        // for an admin's retry rather than failing the workflow and forgetting the revocation.
        run.revokeFailed = true;
        run.setAccess(run.state.access.state, { error: failureMessage(err) });
        run.log('provisioning_failed', SYSTEM, failureMessage(err), { during: 'revoke' });
        run.changed();
        accessChanged(run.input, 'revoke_failed');
        await condition(() => run.retryRequested);
        run.retryRequested = false;
        run.revokeFailed = false;
      }
    }
    const { revokedAt, skipped } = result;
    run.setAccess(reason, { revokedAt });
    const logged = skipped.length ? { ...details, skipped } : details;
    if (run.revokeRequest)
      run.log(revokeEvent(run.revokeRequest), run.revokeRequest.actor.id, run.revokeRequest.comment, logged);
    else run.log('expired', SYSTEM, null, logged);
    run.ending = false;
    run.changed();
    if (reason === 'expired' && run.patched(PATCHES.reraiseWindow)) {
      await this.linger(Date.now() + (run.input.policy.reraiseWindowSeconds ?? DEFAULT_RERAISE_WINDOW_SECONDS) * 1000);
    }
  }

  /**
   * Runs the revocation. Access that expired, with nothing waiting on the run, is revoked first by a local
   * activity (patch `local-revoke`), in the workflow task its end timer woke: no activity task and no second
   * workflow task per expiry on the Temporal server. An attempt that fails in a way a retry may fix (or
   * takes over 5 seconds) is left to the activity, retried until revoked; a release the attempt saved answers the same to the activity
   * (grant-holders.ts). A revoke someone asked for stays an activity, as does an expiry while an Update
   * waits: a workflow task running a local activity holds back everything else it decided.
   */
  private async revoked(input: RevokeAccessInput): Promise<RevokeAccessResult> {
    const { run } = this;
    if (
      input.reason === 'expired' &&
      run.revokeRequest === null &&
      run.unwaited() &&
      run.patched(PATCHES.localRevoke)
    ) {
      return locallyFirst(
        () => localAttempts.revokeAccess(input),
        () => revokeAccess(input),
        RETRY_POLICIES.untilRevoked.initialInterval,
      );
    }
    return revokeAccess(input);
  }

  /** Expired: stay open for re-raises (they run as children) until the window closes. */
  async linger(until: number): Promise<void> {
    const { run } = this;
    run.lingerUntil = until;
    for (;;) {
      const suggested = await condition(
        () => run.shouldContinueAsNew(),
        msUntil(new Date(until).toISOString(), Date.now()),
      );
      // The timer fired: the window closed, whatever the clock of this task says (see decisions.ts).
      if (!suggested || Date.now() >= until) return;
      await run.continueAsNew('lingering');
    }
  }
}
