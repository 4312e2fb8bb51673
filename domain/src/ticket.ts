/** The ticket: what was asked, who decides, and what happened to the access. Plain data only. */
import type { EntitlementKind, License } from './app';

export type TicketType = 'request' | 'reraise' | 'extend';
export type TicketAction = 'add' | 'remove' | 'modify';
export type TicketStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';
export const TICKET_STATUSES: readonly TicketStatus[] = ['pending', 'approved', 'rejected', 'cancelled'];

export type AccessState =
  'pending' | 'scheduled' | 'applying' | 'active' | 'expired' | 'revoked' | 'removed' | 'failed' | 'none';

export type StepState = 'waiting' | 'approved' | 'rejected' | 'skipped';

export type LogEventType =
  | 'created'
  | 'approved'
  /** Approved at create by the access policies' AutoApprove (details: policies; comment: who and why). */
  | 'auto_approved'
  | 'rejected'
  | 'duration_modified'
  | 'cancelled'
  | 'applying'
  | 'granted'
  /** The person already held some of the access in the target before Gatehouse granted it (details: entitlementIds). */
  | 'already_held'
  | 'provisioning_failed'
  | 'retried'
  | 'extended'
  | 'expired'
  | 'revoked'
  /** The beneficiary ended their own access early (`POST /tickets/:id/relinquish`); access state `revoked`. */
  | 'relinquished'
  | 'removed'
  /** The current step's approvers were reminded (policy `remindAfterSeconds`). */
  | 'reminder_sent'
  /** The current step was opened to its fallback approvers (policy `escalateAfterSeconds`, `escalateTo`). */
  | 'escalated'
  /** A leaver was taken out of the approvers of the ticket's waiting steps (details: userId, steps). */
  | 'approver_removed'
  /** Limited access ends within the policy's `expiryNoticeSeconds`: the requester is told. */
  | 'expiring_soon'
  /** Break-glass: access granted at create without approval, to be reviewed (details: dueAt, policies). */
  | 'break_glass'
  /** An approver confirmed a break-glass ticket in its review. */
  | 'break_glass_confirmed'
  /** An approver revoked a break-glass ticket in its review (the access then ends as on a revoke). */
  | 'break_glass_revoked'
  /** Nobody reviewed a break-glass ticket by its due time: its fallback reviewers are told (details: to). */
  | 'break_glass_escalated';

/**
 * Access that lasts `seconds` from the moment it is granted, however late it is approved. The ticket keeps
 * it as asked ("8 hours from approval"); once granted, `access.start` and `access.end` are the instants.
 */
export type RelativeDuration = { type: 'relative'; seconds: number };
/** A duration as a client asks for it: `start` may be omitted (it means now). */
export type DurationRequest =
  { type: 'indefinite' } | { type: 'limited'; start?: string; end: string } | RelativeDuration;
/** A duration once resolved: a limited one always has its start. */
export type Duration = { type: 'indefinite' } | { type: 'limited'; start: string; end: string } | RelativeDuration;

export type FieldValue = string | number | boolean;

export interface ChangeRequest {
  op: 'add' | 'remove';
  entitlementId: string;
  fields?: Record<string, FieldValue>;
}

export interface EntitlementRef {
  id: string;
  name: string;
  kind: EntitlementKind;
  /** The license whose seat this access takes, if any. */
  licenseId?: string;
}

export interface TicketChange {
  op: 'add' | 'remove';
  entitlement: EntitlementRef;
  fields: Record<string, FieldValue>;
}

export interface PersonRef {
  id: string;
  name: string;
}

export interface LogEntry {
  at: string;
  actor: string;
  event: LogEventType;
  comment: string | null;
  details: Record<string, unknown>;
}

export interface ApprovalStepState {
  name: string;
  minApprovals: number;
  approvers: string[];
  state: StepState;
  approvedBy: string[];
}

export interface ApprovalState {
  currentStep: number;
  awaiting: string[];
  steps: ApprovalStepState[];
}

export interface AccessStatus {
  state: AccessState;
  start: string | null;
  end: string | null;
  grantedAt: string | null;
  revokedAt: string | null;
  error: string | null;
}

export interface LicenseUsage extends License {
  used: number;
  available: number;
}

export interface WorkflowRef {
  workflowId: string;
  runId: string | null;
  uiUrl: string;
}

/** A ticket as the API returns it. */
export interface Ticket {
  id: string;
  type: TicketType;
  action: TicketAction;
  status: TicketStatus;
  requester: PersonRef;
  beneficiary: PersonRef;
  app: { id: string; name: string };
  changes: TicketChange[];
  licenses: LicenseUsage[];
  duration: Duration | null;
  reason: string | null;
  approval: ApprovalState;
  access: AccessStatus;
  log: LogEntry[];
  parentTicketId: string | null;
  childTicketIds: string[];
  createdAt: string;
  resolvedAt: string | null;
  resolvedInSeconds: number | null;
  workflow: WorkflowRef;
  /** Raised as break-glass: granted at once, reviewed afterwards (`review`). */
  breakGlass: boolean;
  /** The post-hoc review of a break-glass ticket; null for any other ticket. */
  review: BreakGlassReview | null;
}

export type ReviewState = 'pending' | 'confirmed' | 'revoked';

/** The review of break-glass access: an approver confirms or revokes it by `dueAt`, else it escalates. */
export interface BreakGlassReview {
  state: ReviewState;
  dueAt: string;
  escalated: boolean;
  /** Who confirmed or revoked it, when and why. */
  by?: string;
  at?: string;
  comment?: string;
}

/** The action of a ticket follows from its changes: all add, all remove, or both (a move). */
export function deriveAction(changes: ReadonlyArray<{ op: 'add' | 'remove' }>): TicketAction {
  const adds = changes.some((c) => c.op === 'add');
  const removes = changes.some((c) => c.op === 'remove');
  if (adds && removes) return 'modify';
  return adds ? 'add' : 'remove';
}

/** Whether a ticket's access is time-limited, i.e. whether the workflow must revoke it at its end. */
export function isLimited(duration: Duration | null): duration is Extract<Duration, { type: 'limited' }> {
  return duration !== null && duration.type === 'limited';
}

/**
 * Whether a ticket's access ends by itself, i.e. whether the workflow must revoke it at `access.end`:
 * limited access, and relative access (whose end is set when it is granted).
 */
export function endsByItself(duration: Duration | null): duration is Exclude<Duration, { type: 'indefinite' }> {
  return duration !== null && duration.type !== 'indefinite';
}

/** The end of access of `duration` granted at `grantedAt`: relative access counts from the grant. */
export function endFromGrant(duration: RelativeDuration, grantedAt: string): string {
  return new Date(Date.parse(grantedAt) + duration.seconds * 1000).toISOString();
}
