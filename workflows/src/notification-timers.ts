/**
 * The timers that tell people something is waiting or ending. While a ticket is pending, each approval
 * step gets its policy's reminder (event `reminder_sent`) and escalation to its fallback approvers (event
 * `escalated`): durable timers that start when the step opens and are cancelled the moment it completes.
 * While limited access is active, its requester hears before it ends (event `expiring_soon`), once per
 * end. Only runs that recorded the `notifications` patch keep these timers.
 */
import { DEFAULT_EXPIRY_NOTICE_SECONDS, endsByItself } from '@gatehouse/domain';
import { approvalEscalated, approvalReminded } from './metrics';
import { SYSTEM, type TicketRun } from './ticket-run';

/** The reminder and escalation of one approval step, due from when it opened. */
export class StepTimers {
  private reminded = false;
  private escalated = false;
  private readonly remindAt: number | null;
  private readonly escalateAt: number | null;

  constructor(
    private readonly run: TicketRun,
    readonly step: number,
  ) {
    const policy = run.input.policy.approval.steps[step];
    const openedAt = Date.now();
    this.remindAt = policy?.remindAfterSeconds ? openedAt + policy.remindAfterSeconds * 1000 : null;
    this.escalateAt =
      policy?.escalateAfterSeconds && policy.escalateTo?.length ? openedAt + policy.escalateAfterSeconds * 1000 : null;
  }

  /** The times still to come (epoch ms). */
  due(): number[] {
    return [this.reminded ? null : this.remindAt, this.escalated ? null : this.escalateAt].filter(
      (t): t is number => t !== null,
    );
  }

  /** Reminds, then escalates, whichever is due by now. */
  fire(now: number): void {
    const { run, step } = this;
    if (!this.reminded && this.remindAt !== null && now >= this.remindAt) {
      this.reminded = true;
      run.log('reminder_sent', SYSTEM, null, { step, awaiting: [...run.state.approval.awaiting] });
      run.changed();
      approvalReminded(run.input);
    }
    if (!this.escalated && this.escalateAt !== null && now >= this.escalateAt) this.escalateNow();
  }

  /**
   * Escalates now rather than when its timer fires: the step was left with no approver (a leaver taken
   * out of it). Without fallback approvers the step keeps waiting, for a cancel or the pending timeout.
   */
  escalateNow(): void {
    if (this.escalated) return;
    this.escalated = true;
    const to = this.run.input.policy.approval.steps[this.step]?.escalateTo ?? [];
    if (to.length) this.escalate(to);
  }

  /** Opens the step to its fallback approvers: they become eligible and are told (event `escalated`). */
  private escalate(to: string[]): void {
    const { run, step } = this;
    const current = run.state.approval.steps[step];
    // A leaver taken out of the approvers does not come back as a fallback approver.
    const added = to.filter((rule) => !current.approvers.includes(rule) && !run.removedApprovers.has(rule));
    if (!added.length && run.removedApprovers.size) return; // every fallback approver has left too
    const steps = run.state.approval.steps.map((st, i) =>
      i === step ? { ...st, approvers: [...st.approvers, ...added] } : st,
    );
    run.state.approval = { ...run.state.approval, steps, awaiting: [...steps[step].approvers] };
    run.log('escalated', SYSTEM, null, { step, to: added });
    run.changed();
    approvalEscalated(run.input);
  }
}

/** When to tell the requester their limited access ends soon, or null (told already, or too short to need it). */
export function expiryNoticeAt(run: TicketRun): number | null {
  const { state } = run;
  if (
    !run.notifying ||
    !endsByItself(state.duration) ||
    state.access.end === null ||
    run.expiryNoticeFor === state.access.end
  )
    return null;
  const at =
    Date.parse(state.access.end) - (run.input.policy.expiryNoticeSeconds ?? DEFAULT_EXPIRY_NOTICE_SECONDS) * 1000;
  // Access shorter than the notice window gets none: its requester saw the end when they asked.
  const start = Date.parse(state.access.start ?? state.access.grantedAt ?? state.access.end);
  return at > start ? at : null;
}

export function sendExpiryNotice(run: TicketRun): void {
  run.expiryNoticeFor = run.state.access.end;
  run.log('expiring_soon', SYSTEM, null, { end: run.state.access.end });
  run.changed();
}
