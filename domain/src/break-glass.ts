/**
 * Break-glass (docs/policy.md, "Break-glass"): access granted at once, without approval, to people a
 * Cedar `BreakGlass` permit allows, and reviewed afterwards by the ticket's approvers. The rules here are
 * pure so that the gateway (fast answers) and the workflow (the authority) decide alike.
 */
import type { ApprovalStepPolicy } from './app';
import type { ErrorCode } from './errors';
import { ADMIN_ROLE, approverRulesOf, isAdmin, type Actor } from './identity';
import type { BreakGlassReview } from './ticket';

/** Everyone the review asks: every step's approvers, and once it escalated, the steps' fallback approvers. */
export function breakGlassReviewers(steps: readonly ApprovalStepPolicy[], escalated: boolean): string[] {
  const rules = steps.flatMap((s) => [...s.approvers, ...(escalated ? (s.escalateTo ?? []) : [])]);
  return [...new Set(rules)];
}

/** Who an unreviewed break-glass ticket escalates to: the steps' fallback approvers, else every admin. */
export function breakGlassEscalation(steps: readonly ApprovalStepPolicy[]): string[] {
  const to = [...new Set(steps.flatMap((s) => s.escalateTo ?? []))];
  return to.length ? to : [`role:${ADMIN_ROLE}`];
}

export interface ReviewSubject {
  requesterId: string;
  beneficiaryId: string;
  /** The ticket's policy steps (their approvers review). */
  steps: readonly ApprovalStepPolicy[];
  review: BreakGlassReview | null | undefined;
}

/**
 * Why this actor may not review this ticket now, or null when they may: an admin or anyone who may approve
 * a step of it, never the person who has the access nor the one who broke glass for them.
 */
export function reviewRefusal(
  subject: ReviewSubject,
  actor: Pick<Actor, 'id' | 'roles' | 'groups'>,
): Extract<ErrorCode, 'REVIEW_NOT_PENDING' | 'FORBIDDEN'> | null {
  const { review } = subject;
  if (!review || review.state !== 'pending') return 'REVIEW_NOT_PENDING';
  if (actor.id === subject.beneficiaryId || actor.id === subject.requesterId) return 'FORBIDDEN';
  if (isAdmin(actor)) return null;
  const mine = approverRulesOf(actor);
  return breakGlassReviewers(subject.steps, review.escalated).some((r) => mine.includes(r)) ? null : 'FORBIDDEN';
}

/** The duration of break-glass access: as asked (the caller checks its length), or `maxSeconds` from now. */
export function breakGlassEnd(now: Date, maxSeconds: number): string {
  return new Date(now.getTime() + maxSeconds * 1000).toISOString();
}
