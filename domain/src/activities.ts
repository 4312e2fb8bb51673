/**
 * The contract between the ticket workflow and its activities: names, inputs and outputs as plain,
 * versioned data. The workflow proxies these; `@gatehouse/activities` implements them.
 */
import type { Actor } from './identity';
import type {
  AccessStatus,
  ApprovalState,
  BreakGlassReview,
  Duration,
  LogEntry,
  PersonRef,
  TicketAction,
  TicketChange,
  TicketStatus,
  TicketType,
} from './ticket';
import type { AccessPolicy } from './app';

/** What a ticket workflow is started with: everything it needs to decide without reading the database. */
export interface TicketWorkflowInput {
  /** Version of this shape, so later workflow code can read inputs of running workflows. */
  schema: 1;
  ticketId: string;
  type: TicketType;
  action: TicketAction;
  requester: PersonRef;
  beneficiary: PersonRef;
  app: { id: string; name: string };
  changes: TicketChange[];
  duration: Duration | null;
  reason: string | null;
  /** The app's policy when the ticket was created: approvals follow the rules the requester saw. */
  policy: AccessPolicy;
  createdAt: string;
  parentTicketId: string | null;
  /** The admin or user who raised it, for the log. */
  createdBy: Pick<Actor, 'id'>;
  /**
   * The access policies approved the ticket at create (Cedar AutoApprove): `policy` then has no approval
   * steps and the workflow logs `auto_approved` with this reason. Absent: approvals follow `policy`.
   */
  autoApproval?: TicketAutoApproval;
  /**
   * The policy documents (id, revision) the gateway decided the ticket under; absent when none were
   * published. Recorded so the decision can be traced; the workflow never evaluates policies.
   */
  policySet?: { id: string; revision: number }[];
  /**
   * Raised as break-glass (docs/policy.md, "Break-glass"): the workflow grants at once without approval
   * (`policy` keeps its steps: their approvers review) and waits for the review. Absent: an ordinary ticket.
   */
  breakGlass?: TicketBreakGlass;
  /** Set when a long-lived workflow continued as new: where it was. */
  resume?: TicketResume;
  /** History length past which the workflow continues as new (default 5,000 events). */
  continueAsNewAfterEvents?: number;
}

/** Why the access policies approved a ticket at create. */
export interface TicketAutoApproval {
  /** The AutoApprove permits that matched, for every entitlement the ticket adds. */
  policies: { id: string; revision: number; policyId: string; advice: string | null }[];
  /** For the log: "auto-approved by <document>: <advice>". */
  reason: string;
}

/** How a break-glass ticket is reviewed, and why it was allowed. */
export interface TicketBreakGlass {
  /** When the review is due (the ticket's creation plus the policy's `breakGlass.reviewWithinSeconds`). */
  reviewDueAt: string;
  /** The BreakGlass permits that matched, for every entitlement the ticket adds. */
  policies: { id: string; revision: number; policyId: string; advice: string | null }[];
}

/** What a ticket workflow carries into its next run when it continues as new. */
export interface TicketResume {
  state: TicketState;
  /** `active`: sleeping until the end of its access; `lingering`: expired, open for re-raises until `lingerUntil`. */
  phase: 'active' | 'lingering';
  /** The read model's version, so the next run's writes are not taken for stale ones. */
  version: number;
  lingerUntil: string | null;
  seatsReserved: boolean;
  pendingExtensions: string[];
  /** The access end the requester was last told about (policy `expiryNoticeSeconds`), so no notice repeats. */
  expiryNoticeFor?: string | null;
}

/** The part of a ticket the workflow owns and keeps current in the read model. */
export interface TicketState {
  status: TicketStatus;
  approval: ApprovalState;
  access: AccessStatus;
  duration: Duration | null;
  log: LogEntry[];
  resolvedAt: string | null;
  resolvedInSeconds: number | null;
  childTicketIds: string[];
  /** Break-glass tickets only: their post-hoc review. */
  review?: BreakGlassReview;
}

export interface PersistTicketStateInput {
  ticketId: string;
  /** Monotonic per ticket: a write never replaces a newer one, whatever order retries land in. */
  version: number;
  /**
   * The version the workflow persisted before this one (0: none), so the read model can chain its writes
   * and put a newer state back if a stalled attempt of this one lands after it. Absent in persists
   * scheduled before the field existed.
   */
  previousVersion?: number;
  state: TicketState;
  /** The ticket's fixed part, so the read model is complete even if the gateway never wrote it. */
  ticket: TicketWorkflowInput;
  runId: string;
}

export interface ApplyAccessInput {
  ticketId: string;
  appId: string;
  beneficiaryId: string;
  changes: TicketChange[];
  duration: Duration | null;
}

export interface ApplyAccessResult {
  grantedAt: string;
  /**
   * Entitlements the person already held in the target before this ticket granted them (the connector
   * found the membership or role in place). Gatehouse records that and never takes such access away on
   * expiry; only an admin's explicit revoke does. Absent in results recorded before holders existed.
   */
  alreadyHeld?: string[];
}

export interface RevokeAccessInput {
  ticketId: string;
  appId: string;
  beneficiaryId: string;
  changes: TicketChange[];
  /** Why the access ends: its end date passed, or someone revoked it. */
  reason: 'expired' | 'revoked';
  /**
   * An admin revoked it explicitly: access the person held in the target before Gatehouse granted it is
   * removed too, once no other ticket holds it. Expiry and non-admin revokes leave such access in place.
   */
  includePreexisting?: boolean;
}

export interface RevokeAccessResult {
  revokedAt: string;
  /** Entitlements this ticket did not hold (never granted through it, or removed by a later ticket): left alone. */
  skipped: string[];
  /**
   * Entitlements this ticket held but that stay in the target: another ticket still holds them, or the
   * person held them before Gatehouse granted them. Absent in results recorded before holders existed.
   */
  kept?: string[];
}

export interface SeatsInput {
  ticketId: string;
  appId: string;
  userId: string;
  licenseIds: string[];
}

export interface ExtendGrantInput {
  ticketId: string;
  appId: string;
  beneficiaryId: string;
  entitlementIds: string[];
  end: string;
}

export interface TicketActivities {
  persistTicketState(input: PersistTicketStateInput): Promise<void>;
  applyAccess(input: ApplyAccessInput): Promise<ApplyAccessResult>;
  revokeAccess(input: RevokeAccessInput): Promise<RevokeAccessResult>;
  /** Takes a seat of each license for the user; fails with NO_SEAT_AVAILABLE, taking none, when one is full. */
  reserveSeats(input: SeatsInput): Promise<void>;
  /** Gives back the user's seats of these licenses, unless other access of theirs still needs them. */
  releaseSeats(input: SeatsInput): Promise<void>;
  /** Moves the end of the grants this ticket owns (an approved extension). */
  extendGrant(input: ExtendGrantInput): Promise<void>;
}

/** `ApplicationFailure` types that activities throw for errors a retry cannot fix. */
export const NON_RETRYABLE_FAILURES = {
  APP_NOT_FOUND: 'APP_NOT_FOUND',
  ACCOUNT_NOT_FOUND: 'ACCOUNT_NOT_FOUND',
  ENTITLEMENT_NOT_FOUND: 'ENTITLEMENT_NOT_FOUND',
  CONNECTOR_MISCONFIGURED: 'CONNECTOR_MISCONFIGURED',
  CONNECTOR_UNAUTHORIZED: 'CONNECTOR_UNAUTHORIZED',
  CONNECTOR_REJECTED: 'CONNECTOR_REJECTED',
} as const;
