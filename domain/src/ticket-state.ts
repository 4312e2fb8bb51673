/**
 * The first state of a ticket: what the gateway stores when it creates the ticket and what the
 * workflow starts from, so the read model never shows a first version the workflow would not write.
 */
import { initialApproval } from './approval';
import type { TicketState, TicketWorkflowInput } from './activities';
import type { LogEntry } from './ticket';

export function newTicketState(input: TicketWorkflowInput): TicketState {
  const created: LogEntry = {
    at: input.createdAt,
    actor: input.createdBy.id,
    event: 'created',
    comment: input.reason,
    details: {
      ...(input.createdBy.id !== input.beneficiary.id ? { onBehalfOf: input.beneficiary.id } : {}),
      // The access policies' versions the ticket was decided under (absent: none published).
      ...(input.policySet ? { policySet: input.policySet } : {}),
    },
  };
  return {
    status: 'pending',
    approval: initialApproval(input.policy.approval.steps),
    access: { state: 'pending', start: null, end: null, grantedAt: null, revokedAt: null, error: null },
    duration: input.duration,
    log: [created],
    resolvedAt: null,
    resolvedInSeconds: null,
    childTicketIds: [],
    ...(input.breakGlass
      ? { review: { state: 'pending' as const, dueAt: input.breakGlass.reviewDueAt, escalated: false } }
      : {}),
  };
}
