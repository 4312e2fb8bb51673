/**
 * Leavers: when the directory deactivates a person, one durable workflow (`offboardingWorkflow`, id
 * `offboard-<userId>`) ends everything Gatehouse gave them and everything waiting on them, through each
 * ticket's own workflow so that every ticket's log tells its whole story: active access is revoked, open
 * tickets they raised or are the beneficiary of are cancelled, and they are taken out of the approvers of
 * other people's pending tickets. This is the contract between that workflow and its activities.
 */
import type { Actor } from './identity';

export const OFFBOARDING_WORKFLOW_TYPE = 'offboardingWorkflow';

/** One leaver workflow per person: a second start while it runs joins it. */
export function offboardingWorkflowId(userId: string): string {
  return `offboard-${userId}`;
}

/** Shown on the user (`GET /users/:id`): how many of the leaver's tickets still need their workflow's answer. */
export interface OffboardingProgress {
  state: 'running' | 'done';
  remaining: number;
}

/** Who the ticket logs name for what offboarding did: the system, acting with an admin's authority. */
export const OFFBOARDING_ACTOR: Pick<Actor, 'id' | 'name' | 'roles' | 'groups'> = {
  id: 'system',
  name: 'Offboarding',
  roles: ['admin'],
  groups: [],
};

/**
 * The ticket workflow's messages the offboarding activities send. The activities may not import the
 * workflow package, so the names live here and `workflows/src/definitions.ts` defines the messages with them.
 */
export const TICKET_MESSAGE_NAMES = {
  ticketState: 'ticketState',
  cancel: 'cancel',
  revoke: 'revoke',
  removeApprover: 'removeApprover',
} as const;

/** Update `removeApprover`: take this person out of every waiting step of a pending ticket. */
export interface RemoveApproverInput {
  userId: string;
  comment?: string | null;
}

/** What offboarding did to one ticket. */
export type OffboardTicketOutcome = 'revoked' | 'cancelled' | 'approver_removed' | 'nothing';

export interface OffboardingResult {
  userId: string;
  revoked: number;
  cancelled: number;
  approverRemoved: number;
}

export interface OffboardingActivities {
  /**
   * The tickets that may still involve the leaver, from the read model: access of theirs not yet ended,
   * pending tickets they raised or are the beneficiary of, and pending tickets naming them as an approver.
   * Each ticket's workflow has the last word (`offboardTicket` asks it).
   */
  planOffboarding(input: { userId: string }): Promise<string[]>;
  /** Ends what this ticket still owes or gives the leaver, through its workflow's Updates; idempotent. */
  offboardTicket(input: { userId: string; ticketId: string }): Promise<OffboardTicketOutcome>;
  /** Stores the progress on the user, where `GET /users/:id` shows it. */
  recordOffboardingProgress(input: { userId: string; progress: OffboardingProgress }): Promise<void>;
}
