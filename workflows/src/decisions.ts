/**
 * Pending → decided. Approvers' Updates `approve` / `reject` and the requester's `cancel` decide a
 * pending ticket; the policy's optional pending timeout rejects it if nobody does. Steps complete in
 * order, each with its own approvers; the final approval of a licensed entitlement reserves a seat
 * first (an activity). Every decision and the timeout take the run's lock, and validators run again
 * inside it, so two decisions never interleave: a cancel waiting for the lock makes an in-flight final
 * approval give way, and a timeout waiting for it lets an approval taken in time stand.
 */
import { condition } from '@temporalio/workflow';
import {
  checkDuration,
  decisionRefusal,
  isAdmin,
  isFullyApproved,
  recordApproval,
  recordRejection,
  type ErrorCode,
  type RemoveApproverInput,
} from '@gatehouse/domain';
import { PATCHES, type ActorCommentInput, type DecisionActor, type DecisionInput } from './definitions';
import { StepTimers } from './notification-timers';
import { releaseSeats, reserveSeats } from './retry-policies';
import { failureMessage, refuse, SYSTEM, type TicketRun } from './ticket-run';

export class Decisions {
  /** Cancels waiting for the lock: the decision holding it gives way instead of approving. */
  private cancelsWaiting = 0;
  /** The reminder and escalation timers of the step open now (runs with the `notifications` patch). */
  private timers: StepTimers | null = null;

  constructor(private readonly run: TicketRun) {}

  validateApprove({ actor, duration }: DecisionInput): void {
    const { input } = this.run;
    this.validateDecision(actor);
    if (!duration) return;
    if (input.action === 'remove') refuse('POLICY_VIOLATION', 'A remove ticket takes no duration.');
    // An extension moves the end of running access: it needs an end, not a length from a grant.
    if (input.type === 'extend' && duration.type === 'relative')
      refuse('POLICY_VIOLATION', 'An extension moves the end of limited access: it needs an end date.');
    // Extensions measure the maximum from the later of the access start and now.
    const flags = checkDuration(
      input.policy,
      duration,
      new Date(Date.now()),
      input.type === 'extend' ? { measureFrom: new Date(Date.now()).toISOString(), allowPastStart: true } : {},
    );
    if (flags.length) refuse('POLICY_VIOLATION', 'The modified duration breaks the policy.', [flags]);
  }

  async approve({ actor, comment, duration }: DecisionInput) {
    const { run } = this;
    const { input, state } = run;
    await run.lock.runExclusive(async () => {
      // The ticket may have changed while this waited for the lock: decide on what it is now.
      this.validateDecision(actor);
      const step = state.approval.currentStep;
      const next = recordApproval(state.approval, actor.id);
      if (isFullyApproved(next) && this.takesSeats() && run.patched(PATCHES.licenseSeats)) {
        try {
          await reserveSeats(run.seatsInput);
        } catch (err) {
          refuse('NO_SEAT_AVAILABLE', failureMessage(err));
        }
        run.seatsReserved = true;
        // Cancelled while the seat was being reserved: the cancel wins, and gives the seat back.
        if (this.cancelsWaiting > 0)
          refuse(
            'TICKET_NOT_PENDING',
            `Ticket ${input.ticketId} was cancelled while this approval was being recorded.`,
          );
      }
      if (duration) {
        const previous = state.duration;
        state.duration = duration;
        run.log('duration_modified', actor.id, comment, { from: previous, to: duration });
      }
      state.approval = next;
      run.log('approved', actor.id, comment, { step });
      if (isFullyApproved(state.approval)) run.resolve('approved');
      run.changed();
    });
    await run.persisted();
    return run.state;
  }

  /** Whether this ticket takes license seats when approved: it adds a licensed entitlement, and is no extension. */
  private takesSeats(): boolean {
    return this.run.seatsInput.licenseIds.length > 0 && this.run.input.type !== 'extend';
  }

  /** Whether a ticket approved at create takes seats first (the patch is asked only where it would). */
  takesSeatsAtCreate(): boolean {
    return this.takesSeats() && this.run.patched(PATCHES.seatsAtCreate);
  }

  /**
   * A ticket approved at create without an approver (its policy has no steps, or an AutoApprove permit)
   * takes the license seats its additions need first, as a final approval does (patch `seats-at-create`).
   * With none free, the system rejects it (`details.reason` `no_seat_available`), and nothing is granted.
   * True when it may be approved; false when it was rejected, or a cancel waited for the lock while the
   * seats were reserved (the cancel wins, and gives them back). Call it when `takesSeatsAtCreate()`.
   */
  approvedAtCreate(): Promise<boolean> {
    const { run } = this;
    return run.lock.runExclusive(async () => {
      try {
        await reserveSeats(run.seatsInput);
      } catch (err) {
        run.log('rejected', SYSTEM, failureMessage(err), { reason: 'no_seat_available' });
        run.resolve('rejected');
        return false;
      }
      run.seatsReserved = true;
      return this.cancelsWaiting === 0;
    });
  }

  validateReject({ actor }: DecisionInput): void {
    this.validateDecision(actor);
  }

  async reject({ actor, comment }: DecisionInput) {
    const { run } = this;
    await run.lock.runExclusive(() => {
      this.validateDecision(actor);
      run.state.approval = recordRejection(run.state.approval);
      run.log('rejected', actor.id, comment, { step: run.state.approval.currentStep });
      run.resolve('rejected');
      run.changed();
    });
    await run.persisted();
    return run.state;
  }

  validateCancel({ actor }: ActorCommentInput): void {
    const { input, state } = this.run;
    const allowed = actor.id === input.requester.id || actor.id === input.beneficiary.id || isAdmin(actor);
    if (!allowed) refuse('FORBIDDEN', 'Only the requester, the beneficiary or an admin may cancel a ticket.');
    if (state.status !== 'pending')
      refuse('TICKET_NOT_PENDING', `Ticket ${input.ticketId} is ${state.status}, no longer pending.`);
  }

  async cancel(request: ActorCommentInput) {
    const { run } = this;
    this.cancelsWaiting++;
    try {
      await run.lock.runExclusive(async () => {
        this.validateCancel(request);
        run.log('cancelled', request.actor.id, request.comment);
        run.resolve('cancelled');
        run.changed();
        if (run.seatsReserved) {
          await releaseSeats(run.seatsInput);
          run.seatsReserved = false;
        }
      });
    } finally {
      this.cancelsWaiting--;
    }
    await run.persisted();
    return run.state;
  }

  validateRemoveApprover(_input?: RemoveApproverInput): void {
    const { input, state } = this.run;
    if (state.status !== 'pending')
      refuse('TICKET_NOT_PENDING', `Ticket ${input.ticketId} is ${state.status}, no longer pending.`);
  }

  /**
   * A leaver approves nothing any more: `user:<id>` leaves every waiting step. A current step left with
   * no approver escalates to its fallback approvers at once; a later one when it opens. Approvals the
   * leaver gave before they left stand. Sending it again changes nothing.
   */
  async removeApprover(request: RemoveApproverInput) {
    const { run } = this;
    await run.lock.runExclusive(() => {
      this.validateRemoveApprover(request);
      const rule = `user:${request.userId}`;
      run.removedApprovers.add(rule);
      const { approval } = run.state;
      const changedSteps: number[] = [];
      const steps = approval.steps.map((st, i) => {
        if (st.state !== 'waiting' || !st.approvers.includes(rule)) return st;
        changedSteps.push(i);
        return { ...st, approvers: st.approvers.filter((r) => r !== rule) };
      });
      if (!changedSteps.length) return;
      run.patched(PATCHES.approverRemoval);
      run.state.approval = { ...approval, steps, awaiting: [...steps[approval.currentStep].approvers] };
      run.log('approver_removed', SYSTEM, request.comment, { userId: request.userId, steps: changedSteps });
      run.changed();
      if (this.timers?.step === approval.currentStep && !steps[approval.currentStep].approvers.length)
        this.timers.escalateNow();
    });
    await run.persisted();
    return run.state;
  }

  /**
   * Resolves once the ticket is decided, to `false` when the pending timeout passed first. Each step gets
   * its reminder and escalation timers when it opens. Deliberately not async: the lifecycle awaits the
   * timer's own promise, so it resumes in the order recorded histories replay.
   */
  decided(): Promise<boolean | void> {
    const { run } = this;
    const pendingTimeout = run.input.policy.pendingTimeoutSeconds;
    if (run.notifying) return this.awaitDecision(pendingTimeout);
    if (pendingTimeout) return condition(() => run.state.status !== 'pending', pendingTimeout * 1000);
    return condition(() => run.state.status !== 'pending');
  }

  /** The pending timeout passed. A decision already under way (holding the lock) was taken in time: it stands. */
  timedOut(): Promise<void> {
    const { run } = this;
    return run.lock.runExclusive(() => {
      if (run.state.status !== 'pending') return;
      run.state.approval = recordRejection(run.state.approval);
      run.log(
        'rejected',
        SYSTEM,
        `No decision within ${run.input.policy.pendingTimeoutSeconds} seconds: the ticket timed out.`,
        { reason: 'pending_timeout' },
      );
      run.resolve('rejected', 'timed_out');
      run.changed();
    });
  }

  /** False when the pending timeout passed first. */
  private async awaitDecision(pendingTimeout: number | null | undefined): Promise<boolean> {
    const { state } = this.run;
    const deadline = pendingTimeout ? Date.now() + pendingTimeout * 1000 : null;
    while (state.status === 'pending') {
      const timers = new StepTimers(this.run, state.approval.currentStep);
      this.timers = timers;
      // A step whose every approver left before it opened goes to its fallback approvers at once.
      if (
        this.run.removedApprovers.size > 0 &&
        !state.approval.steps[timers.step].approvers.length &&
        this.run.patched(PATCHES.approverRemoval)
      )
        timers.escalateNow();
      const stepOpen = () => state.status === 'pending' && state.approval.currentStep === timers.step;
      while (stepOpen()) {
        const due = [...(deadline !== null ? [deadline] : []), ...timers.due()];
        const next = due.length ? Math.min(...due) : null;
        const changed =
          next !== null
            ? await condition(() => !stepOpen(), Math.max(1, next - Date.now()))
            : await condition(() => !stepOpen());
        if (!stepOpen()) break;
        // The timer for `next` fired (a TimerFired event), so the time is at least `next`: decide by that,
        // not by the clock alone. A live run has been seen reading, in the task after a timer fired, the
        // time of the task before; it then waited again where its replay, reading the right time, timed
        // the ticket out, and the history no longer replayed.
        const now = changed || next === null ? Date.now() : Math.max(Date.now(), next);
        if (deadline !== null && now >= deadline) return false;
        timers.fire(now);
      }
    }
    return true;
  }

  private validateDecision(actor: DecisionActor): void {
    const { input, state } = this.run;
    const refusal = decisionRefusal(
      {
        status: state.status,
        requesterId: input.requester.id,
        beneficiaryId: input.beneficiary.id,
        approval: state.approval,
      },
      actor,
    );
    if (!refusal) return;
    const messages: Partial<Record<ErrorCode, string>> = {
      TICKET_NOT_PENDING: `Ticket ${input.ticketId} is ${state.status}, no longer pending.`,
      NOT_AN_APPROVER: `${actor.id} is not an approver of the current step of ${input.ticketId}.`,
      ALREADY_DECIDED: `${actor.id} already approved this step of ${input.ticketId}.`,
    };
    refuse(refusal, messages[refusal] ?? refusal);
  }
}
