/**
 * Break-glass (docs/policy.md, "Break-glass"). The gateway let the beneficiary take the access at once
 * (a Cedar `BreakGlass` permit) and started the workflow with input `breakGlass`: the ticket is approved
 * at start without anyone's approval (event `break_glass`, which tells every approver and admin), its
 * steps are skipped, and the access is granted as usual. Then the post-hoc review: an approver of a step
 * (or an admin) confirms it or revokes it with the Update `reviewBreakGlass`; a revoke ends the access
 * through the access period's revoke. Unreviewed at its due time, the review escalates (event
 * `break_glass_escalated`) to the steps' fallback approvers, else the admins, and keeps waiting. The
 * workflow stays open until the review is done, whenever the access itself ends.
 */
import { condition } from '@temporalio/workflow';
import {
  breakGlassEscalation,
  breakGlassReviewers,
  reviewRefusal,
  skipRemaining,
  type BreakGlassReview,
} from '@gatehouse/domain';
import type { ReviewInput } from './definitions';
import { nowIso, refuse, SYSTEM, type TicketRun } from './ticket-run';

/** Access states a review's revoke ends through the access period (it waits for the grant to settle). */
const REVOCABLE = ['scheduled', 'applying', 'active', 'failed'];

export class BreakGlass {
  constructor(private readonly run: TicketRun) {}

  private get review(): BreakGlassReview {
    return this.run.state.review!;
  }

  /** At start: approved by the break-glass policy, nobody's approval asked for. */
  grant(): void {
    const { run } = this;
    const breakGlass = run.input.breakGlass!;
    run.state.approval = skipRemaining(run.state.approval);
    run.log('break_glass', run.input.createdBy.id, run.input.reason, {
      dueAt: breakGlass.reviewDueAt,
      policies: breakGlass.policies,
    });
    run.resolve('approved');
  }

  validateReview({ actor }: Pick<ReviewInput, 'actor'>): void {
    const { input, state } = this.run;
    const refusal = reviewRefusal(
      {
        requesterId: input.requester.id,
        beneficiaryId: input.beneficiary.id,
        steps: input.policy.approval.steps,
        review: state.review,
      },
      actor,
    );
    if (refusal === 'REVIEW_NOT_PENDING')
      refuse(refusal, `Ticket ${input.ticketId} is not a break-glass ticket awaiting review.`);
    if (refusal === 'FORBIDDEN')
      refuse(refusal, 'Only an admin or an approver of this ticket, not its beneficiary, may review it.');
  }

  /** Confirms, or revokes and waits for the access to end; answers with the ticket. */
  async reviewed(request: ReviewInput) {
    const { run } = this;
    let revoking = false;
    await run.lock.runExclusive(() => {
      this.validateReview(request);
      const { actor, decision, comment } = request;
      const state = decision === 'confirm' ? 'confirmed' : 'revoked';
      run.state.review = { ...this.review, state, by: actor.id, at: nowIso(), ...(comment ? { comment } : {}) };
      run.log(decision === 'confirm' ? 'break_glass_confirmed' : 'break_glass_revoked', actor.id, comment);
      // Access already ending or over has nothing left to revoke: the review is recorded all the same.
      revoking =
        decision === 'revoke' &&
        REVOCABLE.includes(run.state.access.state) &&
        run.revokeRequest === null &&
        !run.ending;
      if (revoking) run.revokeRequest = { actor, comment };
      run.changed();
    });
    if (revoking) await condition(() => ['revoked', 'expired', 'removed', 'none'].includes(run.state.access.state));
    await run.persisted();
    return run.state;
  }

  /** Until the review is done: escalates once when it comes due unreviewed. */
  async awaitReview(): Promise<void> {
    const pending = () => this.review.state === 'pending';
    if (!this.review.escalated && pending()) {
      const due = Date.parse(this.review.dueAt);
      const reviewedInTime = await condition(() => !pending(), Math.max(1, due - Date.now()));
      // Reviewed in the same task as the timer fired: not overdue.
      if (!reviewedInTime && pending()) this.escalate();
    }
    await condition(() => !pending());
  }

  private escalate(): void {
    const { run } = this;
    const to = breakGlassEscalation(run.input.policy.approval.steps);
    run.state.review = { ...this.review, escalated: true };
    run.log('break_glass_escalated', SYSTEM, null, {
      dueAt: this.review.dueAt,
      to,
      reviewers: breakGlassReviewers(run.input.policy.approval.steps, true),
    });
    run.changed();
  }
}
