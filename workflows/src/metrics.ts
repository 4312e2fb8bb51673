/**
 * What the ticket workflow counts where it decides something (docs/operations.md, "Metrics and traces").
 * `metricMeter` records through a sink that the worker drops while a workflow replays its history, so a
 * replay counts nothing twice, and no metric call adds a command: recording is invisible to determinism.
 * Labels name the app and the outcome, never a person or a ticket.
 */
import { metricMeter } from '@temporalio/workflow';
import type { TicketWorkflowInput } from '@gatehouse/domain';

export type DecisionOutcome = 'approved' | 'rejected' | 'cancelled' | 'timed_out';
export type AccessChange = 'granted' | 'removed' | 'expired' | 'revoked' | 'grant_failed' | 'revoke_failed';

const app = (input: TicketWorkflowInput) => ({ app_id: input.app.id });

export function ticketCreated(input: TicketWorkflowInput): void {
  metricMeter
    .createCounter('gatehouse_tickets_created_total', undefined, 'Tickets created, by app and type')
    .add(1, { ...app(input), type: input.type });
}

/** A pending ticket decided, and how long it waited for that decision. */
export function ticketDecided(input: TicketWorkflowInput, outcome: DecisionOutcome, waitedSeconds: number): void {
  const tags = { ...app(input), outcome };
  metricMeter
    .createCounter('gatehouse_tickets_decided_total', undefined, 'Tickets decided, by app and outcome')
    .add(1, tags);
  metricMeter
    .createHistogram(
      'gatehouse_approval_wait_seconds',
      'float',
      undefined,
      'Time from a ticket’s creation to its decision, by app and outcome',
    )
    .record(Math.max(0, waitedSeconds), tags);
}

export function approvalReminded(input: TicketWorkflowInput): void {
  metricMeter
    .createCounter('gatehouse_approval_reminders_total', undefined, 'Pending approval steps past their reminder time')
    .add(1, app(input));
}

export function approvalEscalated(input: TicketWorkflowInput): void {
  metricMeter
    .createCounter('gatehouse_approval_escalations_total', undefined, 'Pending approval steps escalated')
    .add(1, app(input));
}

/** Access granted, ended, or parked for an operator because the target refused for good. */
export function accessChanged(input: TicketWorkflowInput, change: AccessChange): void {
  metricMeter
    .createCounter('gatehouse_access_changes_total', undefined, 'Changes of tickets’ access, by app and change')
    .add(1, { ...app(input), change });
}
