/**
 * The approval state machine. Steps run in order; a step completes when `minApprovals` distinct
 * eligible approvers approved it; any rejection ends the ticket and skips the steps after it.
 * The requester and the beneficiary are never eligible approvers of their own ticket.
 */
import type { ApprovalStepPolicy } from './app';
import type { ErrorCode } from './errors';
import { approverRulesOf, type Actor } from './identity';
import type { ApprovalState, TicketStatus } from './ticket';

export function initialApproval(steps: ApprovalStepPolicy[]): ApprovalState {
  const approval: ApprovalState = {
    currentStep: 0,
    awaiting: [],
    steps: steps.map((s) => ({
      name: s.name,
      minApprovals: Math.max(1, s.minApprovals),
      approvers: [...s.approvers],
      state: 'waiting',
      approvedBy: [],
    })),
  };
  approval.awaiting = approval.steps[0]?.approvers ?? [];
  return approval;
}

export function isFullyApproved(approval: ApprovalState): boolean {
  return approval.steps.every((s) => s.state === 'approved');
}

export interface DecisionSubject {
  status: TicketStatus;
  requesterId: string;
  beneficiaryId: string;
  approval: ApprovalState;
}

/** Whether an actor matches a set of approver rules, ignoring who the ticket is for. */
export function matchesApproverRules(actor: Pick<Actor, 'id' | 'roles' | 'groups'>, rules: string[]): boolean {
  const mine = approverRulesOf(actor);
  return rules.some((r) => mine.includes(r));
}

/** Why this actor may not decide this ticket now, or null when they may. Same answer for approve and reject. */
export function decisionRefusal(
  subject: DecisionSubject,
  actor: Pick<Actor, 'id' | 'roles' | 'groups'>,
): ErrorCode | null {
  if (subject.status !== 'pending') return 'TICKET_NOT_PENDING';
  if (actor.id === subject.requesterId || actor.id === subject.beneficiaryId) return 'NOT_AN_APPROVER';
  const step = subject.approval.steps[subject.approval.currentStep];
  if (!step || !matchesApproverRules(actor, step.approvers)) return 'NOT_AN_APPROVER';
  if (step.approvedBy.includes(actor.id)) return 'ALREADY_DECIDED';
  return null;
}

/** Records an approval on the current step; returns a new state. The caller checked `decisionRefusal`. */
export function recordApproval(approval: ApprovalState, actorId: string): ApprovalState {
  const steps = approval.steps.map((s) => ({ ...s, approvedBy: [...s.approvedBy] }));
  const step = steps[approval.currentStep];
  step.approvedBy.push(actorId);
  let currentStep = approval.currentStep;
  if (step.approvedBy.length >= step.minApprovals) {
    step.state = 'approved';
    currentStep = Math.min(currentStep + 1, steps.length - 1);
  }
  const done = steps.every((s) => s.state === 'approved');
  return { currentStep, steps, awaiting: done ? [] : steps[currentStep].approvers };
}

/** Records a rejection: the current step is rejected and every later step skipped. */
export function recordRejection(approval: ApprovalState): ApprovalState {
  const steps = approval.steps.map((s, i) => ({
    ...s,
    approvedBy: [...s.approvedBy],
    state:
      i === approval.currentStep ? ('rejected' as const) : i > approval.currentStep ? ('skipped' as const) : s.state,
  }));
  return { currentStep: approval.currentStep, steps, awaiting: [] };
}

/** The ticket ended without a decision (cancelled, timed out): waiting steps are skipped. */
export function skipRemaining(approval: ApprovalState): ApprovalState {
  const steps = approval.steps.map((s) => ({
    ...s,
    approvedBy: [...s.approvedBy],
    state: s.state === 'waiting' ? ('skipped' as const) : s.state,
  }));
  return { currentStep: approval.currentStep, steps, awaiting: [] };
}
