/**
 * The leaver workflow's activities (domain/src/offboarding.ts): which tickets may still involve a leaver
 * (from the read model), and ending each through its own workflow's Updates (cancel, revoke,
 * removeApprover), so that every ticket's log records what happened and why. The ticket workflow decides:
 * each ticket's state is asked of its workflow, never taken from the read model.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  OFFBOARDING_ACTOR,
  TICKET_MESSAGE_NAMES,
  type AccessState,
  type OffboardingActivities,
  type OffboardTicketOutcome,
  type TicketState,
} from '@gatehouse/domain';
import type { Store } from '@gatehouse/store';

/** Access states of an approved ticket that may still give the person access (or soon will). */
const LIVE_ACCESS: AccessState[] = ['pending', 'scheduled', 'applying', 'active', 'failed'];
/** Of those, the ones the revoke Update takes; the others are moments of a grant under way. */
const REVOCABLE: AccessState[] = ['scheduled', 'active', 'failed'];
/** Decisions made meanwhile (someone else revoking, the ticket decided): look at the ticket again. */
const LOOK_AGAIN = new Set(['TICKET_NOT_PENDING', 'ACCESS_ENDING', 'ACCESS_NOT_ACTIVE']);
/** A ticket's state changes while offboarding acts on it a handful of times at most. */
const MAX_LOOKS = 5;
const HEARTBEAT_MS = 5_000;

const COMMENT = 'The directory deactivated this person (offboarding).';

export interface OffboardingDeps {
  store: Store;
}

export function createOffboardingActivities({ store }: OffboardingDeps): OffboardingActivities {
  return {
    async planOffboarding({ userId }) {
      const tickets = await store.tickets.model
        .find(
          {
            $or: [
              { status: 'approved', 'beneficiary.id': userId, 'access.state': { $in: LIVE_ACCESS } },
              { status: 'pending', 'requester.id': userId },
              { status: 'pending', 'beneficiary.id': userId },
              { status: 'pending', approverRules: `user:${userId}` },
            ],
          },
          { _id: 1 },
        )
        .lean<{ _id: string }[]>()
        .exec();
      // Every ticket that holds one of their grants, whatever its read model says.
      const grants = await store.grants.list({ userId, state: 'active' });
      const ids = new Set([...tickets.map((t) => t._id), ...grants.flatMap((g) => g.holders.map((h) => h.ticketId))]);
      return [...ids].sort();
    },

    async offboardTicket({ userId, ticketId }) {
      const context = Context.current();
      const handle = context.client.workflow.getHandle(ticketId);
      const doc = await store.tickets.get(ticketId);
      // The workflow writes its ticket with its first activity: not there yet, so look again later.
      if (!doc) throw ApplicationFailure.retryable(`Ticket ${ticketId} is not in the read model yet.`);
      const party = doc.requester.id === userId || doc.beneficiary.id === userId;
      const leaverRun = context.info.workflowExecution;
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        for (let look = 0; look < MAX_LOOKS; look++) {
          let state: TicketState;
          try {
            state = await handle.query<TicketState>(TICKET_MESSAGE_NAMES.ticketState);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return 'nothing';
            throw err;
          }
          const action = nextAction(state, userId, {
            party,
            holdsAccess: doc.beneficiary.id === userId && doc.type !== 'extend' && doc.action !== 'remove',
          });
          if (action === 'nothing') return 'nothing';
          if (action === 'wait')
            throw ApplicationFailure.retryable(`The access of ${ticketId} is being granted: revoked once it is.`);
          const [name, args] =
            action === 'cancelled'
              ? [TICKET_MESSAGE_NAMES.cancel, { actor: OFFBOARDING_ACTOR, comment: COMMENT }]
              : action === 'revoked'
                ? [TICKET_MESSAGE_NAMES.revoke, { actor: OFFBOARDING_ACTOR, comment: COMMENT }]
                : [TICKET_MESSAGE_NAMES.removeApprover, { userId, comment: COMMENT }];
          try {
            // One update id per leaver run and ticket: a retried attempt joins the Update it sent before.
            const update = await handle.startUpdate<TicketState, [typeof args]>(name, {
              args: [args],
              updateId: `${leaverRun?.workflowId}:${leaverRun?.runId}:${name}`,
              waitForStage: WorkflowUpdateStage.ACCEPTED,
            });
            // A revoke answers once the access is gone from the target, which may take a while: stop waiting
            // when the worker shuts down (the next attempt joins the same Update).
            await Promise.race([update.result(), context.cancelled]);
            return action;
          } catch (err) {
            const type =
              err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
                ? err.cause.type
                : null;
            if (!type || !LOOK_AGAIN.has(type)) throw err;
          }
        }
        throw ApplicationFailure.retryable(`Ticket ${ticketId} kept changing; trying again.`);
      } finally {
        clearInterval(heartbeat);
      }
    },

    async recordOffboardingProgress({ userId, progress }) {
      await store.users.setOffboarding(userId, progress);
    },
  };
}

/** What offboarding does next to a ticket in this state: an Update, `wait` (a grant under way), or nothing. */
export function nextAction(
  state: TicketState,
  userId: string,
  ticket: { party: boolean; holdsAccess: boolean },
): Exclude<OffboardTicketOutcome, 'nothing'> | 'wait' | 'nothing' {
  if (state.status === 'pending') {
    if (ticket.party) return 'cancelled';
    const rule = `user:${userId}`;
    return state.approval.steps.some((s) => s.state === 'waiting' && s.approvers.includes(rule))
      ? 'approver_removed'
      : 'nothing';
  }
  if (state.status !== 'approved' || !ticket.holdsAccess) return 'nothing';
  if (REVOCABLE.includes(state.access.state)) return 'revoked';
  return LIVE_ACCESS.includes(state.access.state) ? 'wait' : 'nothing';
}
