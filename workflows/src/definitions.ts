/**
 * What the ticket workflow exposes to clients: its name, messages, search attributes and types.
 * Safe to import anywhere (the gateway imports this module, never the workflow code itself).
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  TICKET_MESSAGE_NAMES,
  type Actor,
  type Duration,
  type RemoveApproverInput,
  type TicketState,
  type TicketWorkflowInput,
} from '@gatehouse/domain';

export const TICKET_WORKFLOW_TYPE = 'ticketWorkflow';
export const DEFAULT_TASK_QUEUE = 'gatehouse-tickets';

/**
 * The groups of work that each have a task queue of their own, so that one cannot take the worker slots
 * another needs: a webhook storm or a slow drift report never delays a grant (docs/architecture.md,
 * "Task queues").
 */
export const TASK_QUEUE_GROUPS = ['tickets', 'notifications', 'maintenance'] as const;
export type TaskQueueGroup = (typeof TASK_QUEUE_GROUPS)[number];

/**
 * Each group's task queue, named from the deployment's base queue (TEMPORAL_TASK_QUEUE). Ticket workflows
 * keep the base queue itself, the one they ran on before there were groups: running workflows, their
 * children and their activities stay where they are.
 */
export function taskQueueNames(base: string): Record<TaskQueueGroup, string> {
  return { tickets: base, notifications: `${base}-notifications`, maintenance: `${base}-maintenance` };
}

/** Who decides, as the gateway verified them from their bearer token. */
export type DecisionActor = Pick<Actor, 'id' | 'roles' | 'groups'> & { name?: string };

export interface DecisionInput {
  actor: DecisionActor;
  comment?: string | null;
  /** Approve only: a modified duration that replaces the requested one. Already resolved (start set). */
  duration?: Duration;
}

export interface ActorCommentInput {
  actor: DecisionActor;
  comment?: string | null;
  /**
   * On `revoke`: the beneficiary ends their own access early (no approval needed; logged `relinquished`).
   * Absent in requests sent before relinquishing existed, so their histories replay unchanged.
   */
  relinquish?: boolean;
}

export const approveTicketUpdate = defineUpdate<TicketState, [DecisionInput]>('approve');
export const rejectTicketUpdate = defineUpdate<TicketState, [DecisionInput]>('reject');
export const cancelTicketUpdate = defineUpdate<TicketState, [ActorCommentInput]>(TICKET_MESSAGE_NAMES.cancel);
export const revokeAccessUpdate = defineUpdate<TicketState, [ActorCommentInput]>(TICKET_MESSAGE_NAMES.revoke);
export const retryApplyUpdate = defineUpdate<TicketState, [ActorCommentInput]>('retry');
export const ticketStateQuery = defineQuery<TicketState>(TICKET_MESSAGE_NAMES.ticketState);
/** Sent by a leaver's offboarding: the leaver approves nothing any more (see decisions.ts, `removeApprover`). */
export const removeApproverUpdate = defineUpdate<TicketState, [RemoveApproverInput]>(
  TICKET_MESSAGE_NAMES.removeApprover,
);

/** An approver's post-hoc review of a break-glass ticket (break-glass.ts). */
export interface ReviewInput {
  actor: DecisionActor;
  decision: 'confirm' | 'revoke';
  comment?: string | null;
}
export const reviewBreakGlassUpdate = defineUpdate<TicketState, [ReviewInput]>('reviewBreakGlass');

/** Sent to the workflow that owns the access: start this extension (or re-raise) ticket as your child. */
export const requestExtensionUpdate = defineUpdate<TicketState, [TicketWorkflowInput]>('requestExtension');
export const requestReraiseUpdate = defineUpdate<TicketState, [TicketWorkflowInput]>('requestReraise');

/** Child → owner: an extension ticket was approved with this end. */
export const extensionApprovedSignal = defineSignal<[{ ticketId: string; end: string }]>('extensionApproved');
/** Owner → extension child: whether the new end was applied. */
export const extensionAppliedSignal = defineSignal<[{ applied: boolean; end: string }]>('extensionApplied');
/** Owner → pending extension child: the access ended (expired or revoked) before you were decided. */
export const accessEndedSignal = defineSignal<[{ reason: 'expired' | 'revoked' }]>('accessEnded');

/** Validator refusal of a re-raise whose owner's window has closed: the gateway then starts a top-level workflow. */
export const RERAISE_WINDOW_CLOSED = 'RERAISE_WINDOW_CLOSED';

/** Patches: each guards a change running workflows would otherwise replay differently (see test/replay). */
export const PATCHES = {
  /** Seats are reserved at the final approval. */
  licenseSeats: 'license-seats',
  /** Expired access stays open for re-raises during the policy's window. */
  reraiseWindow: 'reraise-window',
  /** Events are published, steps remind and escalate, and the requester hears before access expires. */
  notifications: 'notifications',
  /** Revoking a ticket parked in `failed` revokes whatever it granted before failing. */
  revokeFailedGrants: 'revoke-failed-grants',
  /** A failed limited ticket retried after its end expires instead of granting. */
  expireFailedAfterEnd: 'expire-failed-after-end',
  /** The read model and the events are written from one loop, in one order (see TicketRun.writeLoop). */
  singleWriter: 'single-writer',
  /**
   * A leaver taken out of a pending step's approvers (Update `removeApprover`, new with it): a step left
   * with nobody escalates at once, when it is current or when it opens.
   */
  approverRemoval: 'approver-removal',
  /** Break-glass tickets (input `breakGlass`): granted at start without approval, then reviewed (break-glass.ts). */
  breakGlass: 'break-glass',
  /** Relative access (`duration.type` `relative`) ends `seconds` after it is granted. */
  relativeDuration: 'relative-duration',
  /**
   * A version and the events queued with it are written by one activity, `writeTicket` (persist, then
   * publish), unless an Update waits for that version (see TicketRun.writeLoop).
   */
  persistAndPublish: 'persist-and-publish',
  /**
   * Read-model and event writes that nothing waits behind run as local activities, inside the workflow task
   * that asks for them: no activity task, no extra workflow task on the Temporal server (see
   * TicketRun.writesLocally and TicketRun.written).
   */
  localWrites: 'local-writes',
  /**
   * Every patch above is in effect, and none records a marker of its own (TicketRun.patched); so are the
   * tracing interceptor's (tracing-interceptors.ts, which asks this one first, for every workflow of the
   * bundle). Each patch marker comes with an upsert of the `TemporalChangeVersion` search attribute, a
   * visibility write on the Temporal server: a new ticket recorded five of each in its first workflow
   * task, an expiry one more. With it, too, a state change upserts the ticket's search attributes only
   * when one of them changed (TicketRun.changed). A run that has this marker (every run started since)
   * asks nothing else of those patches; a run without it (started before, replaying) asks each one where
   * it always did. A patch added after this one is asked with `patched` as usual.
   */
  consolidated: 'consolidated-1',
  /**
   * Expiry revokes through a local activity first, within the workflow task its end timer wakes (see
   * AccessPeriod.revoked); a failed or slow attempt is left to the `revokeAccess` activity.
   */
  localRevoke: 'local-revoke',
  /**
   * The write loop publishes an event only once the read model holds the version it came with (see
   * TicketRun.publishable); before, a version queued while an earlier one was written could have its
   * events published before its own write.
   */
  eventsAfterVersion: 'events-after-their-version',
  /** `consolidated` with `local-revoke` and `events-after-their-version` in effect too: what every run started since records, first and alone. */
  consolidated2: 'consolidated-2',
  /**
   * A ticket approved at create without an approver (its policy has no steps, or an AutoApprove permit)
   * takes its license seats first, as a final approval does; with none free the system rejects it (see
   * Decisions.approvedAtCreate). Before, it took none: the license's count left its holders out.
   */
  seatsAtCreate: 'seats-at-create',
} as const;

/** The patches `consolidated` stands for: in a run that recorded it, in effect without their own markers. */
export const CONSOLIDATED_PATCHES: ReadonlySet<string> = new Set([
  PATCHES.licenseSeats,
  PATCHES.reraiseWindow,
  PATCHES.notifications,
  PATCHES.revokeFailedGrants,
  PATCHES.expireFailedAfterEnd,
  PATCHES.singleWriter,
  PATCHES.approverRemoval,
  PATCHES.breakGlass,
  PATCHES.relativeDuration,
  PATCHES.persistAndPublish,
  PATCHES.localWrites,
]);

/**
 * Each consolidating patch and what it stands for, newest first: a run records the first it is asked
 * (every new run, the newest) and has those patches in effect; a run that recorded an older one asks the
 * patches added since with `patched`, where they are asked. Written out, never derived from `PATCHES`: a
 * patch added later must not silently join a consolidation that runs already recorded.
 */
export const CONSOLIDATIONS: readonly { id: string; patches: ReadonlySet<string> }[] = [
  {
    id: PATCHES.consolidated2,
    patches: new Set([...CONSOLIDATED_PATCHES, PATCHES.localRevoke, PATCHES.eventsAfterVersion]),
  },
  { id: PATCHES.consolidated, patches: CONSOLIDATED_PATCHES },
];

// Registered on the dev server from search-attributes.json (tools/scripts/stack.js); a test keeps the two equal.
export const searchAttributes = {
  TicketId: defineSearchAttributeKey('TicketId', 'KEYWORD'),
  TicketType: defineSearchAttributeKey('TicketType', 'KEYWORD'),
  TicketAction: defineSearchAttributeKey('TicketAction', 'KEYWORD'),
  TicketStatus: defineSearchAttributeKey('TicketStatus', 'KEYWORD'),
  AccessState: defineSearchAttributeKey('AccessState', 'KEYWORD'),
  AppId: defineSearchAttributeKey('AppId', 'KEYWORD'),
  RequesterId: defineSearchAttributeKey('RequesterId', 'KEYWORD'),
  BeneficiaryId: defineSearchAttributeKey('BeneficiaryId', 'KEYWORD'),
  AccessEndsAt: defineSearchAttributeKey('AccessEndsAt', 'DATETIME'),
} as const;

export type SearchAttributeName = keyof typeof searchAttributes;

/** The single-line summary and the details the Temporal UI shows for a ticket workflow. */
export function workflowSummary(t: TicketWorkflowInput): { staticSummary: string; staticDetails: string } {
  const what = t.changes.map((c) => `${c.op} ${c.entitlement.name}`).join(', ');
  return {
    staticSummary: `${t.ticketId}: ${t.type} ${t.action} on ${t.app.name} for ${t.beneficiary.id}`,
    staticDetails: `**${t.ticketId}** (${t.type}, ${t.action})\n\nApplication: ${t.app.name}\n\nBeneficiary: ${t.beneficiary.id}\n\nChanges: ${what}`,
  };
}

/**
 * How a ticket workflow is started, by the gateway and by tests alike: workflow id = ticket id (a second
 * start of the same ticket is refused, never duplicated), the contract's search attributes, and a summary.
 */
export function ticketWorkflowStartOptions(input: TicketWorkflowInput, taskQueue: string) {
  const end = input.duration?.type === 'limited' ? new Date(input.duration.end) : null;
  return {
    workflowId: input.ticketId,
    taskQueue,
    args: [input] as [TicketWorkflowInput],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: searchAttributes.TicketId, value: input.ticketId },
      { key: searchAttributes.TicketType, value: input.type },
      { key: searchAttributes.TicketAction, value: input.action },
      { key: searchAttributes.TicketStatus, value: 'pending' },
      { key: searchAttributes.AccessState, value: 'pending' },
      { key: searchAttributes.AppId, value: input.app.id },
      { key: searchAttributes.RequesterId, value: input.requester.id },
      { key: searchAttributes.BeneficiaryId, value: input.beneficiary.id },
      ...(end ? [{ key: searchAttributes.AccessEndsAt, value: end }] : []),
    ],
    ...workflowSummary(input),
  };
}
