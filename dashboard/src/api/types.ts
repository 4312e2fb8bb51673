// The shapes of the public HTTP API (docs/api.md, served as /docs-json). The dashboard
// keeps its own copy on purpose: it is a client of the contract, never of the gateway's internals.

export type Tab = 'all' | 'open' | 'closed' | 'rejected';
export type TicketStatus = 'pending' | 'approved' | 'rejected' | 'cancelled';
export type TicketType = 'request' | 'reraise' | 'extend';
export type TicketAction = 'add' | 'remove' | 'modify';
export type AccessState =
  'pending' | 'scheduled' | 'applying' | 'active' | 'expired' | 'revoked' | 'removed' | 'failed' | 'none';

export interface Me {
  id: string;
  name?: string | null;
  email?: string | null;
  roles: string[];
  groups: string[];
}

export interface Policy {
  maxDurationSeconds?: number;
  allowIndefinite?: boolean;
  requireReason?: boolean;
  pendingTimeoutSeconds?: number;
}

export interface AppSummary {
  id: string;
  name: string;
  connectorType: string;
  hasAccess: boolean;
  policy: Policy;
}

export interface EntitlementField {
  key: string;
  label: string;
  type: 'string' | 'number' | 'boolean' | 'enum';
  required?: boolean;
  pattern?: string;
  options?: string[];
}

export type FieldValue = string | number | boolean;

export interface Entitlement {
  id: string;
  kind: 'role' | 'group' | 'permission';
  name: string;
  description?: string | null;
  licenseId?: string | null;
  fields?: EntitlementField[] | null;
  membership: { hasAccess: boolean; ticketId: string | null; end: string | null };
}

/** `relative`: `seconds` long, counted from the grant (the approval), not from the request. */
export type Duration =
  { type: 'indefinite' } | { type: 'limited'; start?: string; end: string } | { type: 'relative'; seconds: number };

export interface ChangeRequest {
  op: 'add' | 'remove';
  entitlementId: string;
  fields?: Record<string, FieldValue>;
}

export interface CreateTicketBody {
  appId: string;
  changes: ChangeRequest[];
  duration?: Duration;
  reason?: string;
  onBehalfOf?: string;
  /** Emergency access: granted at once, reviewed afterwards (reason required; BreakGlass policies decide who may). */
  breakGlass?: boolean;
}

export interface PolicyFlag {
  code: string;
  message: string;
  field?: string;
}

/** The access policies would approve the ticket at create, with no approval steps. */
export interface AutoApproval {
  reason?: string | null;
  policies?: { id: string; policyId?: string; advice?: string | null }[];
}

export interface ValidationResult {
  ok: boolean;
  flags: PolicyFlag[];
  autoApproval?: AutoApproval | null;
}

export interface Person {
  id: string;
  name?: string | null;
}

export interface TicketSummary {
  id: string;
  status: TicketStatus;
  requester: Person;
  beneficiary: Person;
  type: TicketType;
  action: TicketAction;
  app: { id: string; name: string };
  comment?: string | null;
  createdAt: string;
  resolvedAt: string | null;
  resolvedInSeconds: number | null;
  /** Shown when the list carries them (break-glass tickets are marked; relative durations are spelled out). */
  breakGlass?: boolean;
  /** A break-glass ticket whose post-hoc review is still awaited (it stays under Open until reviewed). */
  reviewPending?: boolean;
  duration?: Ticket['duration'];
}

export interface TicketList {
  items: TicketSummary[];
  nextCursor: string | number | null;
  counts: Record<Tab, number>;
}

export interface LogEntry {
  at: string;
  actor: string;
  event: string;
  comment?: string | null;
  details?: Record<string, unknown>;
}

export interface Ticket {
  id: string;
  type: TicketType;
  action: TicketAction;
  status: TicketStatus;
  requester: Person;
  beneficiary: Person;
  app: { id: string; name: string };
  changes: {
    op: 'add' | 'remove';
    entitlement: { id: string; name: string; kind: string };
    fields?: Record<string, FieldValue>;
  }[];
  licenses: { id: string; name: string; seats: number; used: number; available: number }[];
  duration:
    | { type: 'indefinite' }
    | { type: 'limited'; start?: string | null; end: string }
    | { type: 'relative'; seconds: number }
    | null;
  reason?: string | null;
  breakGlass?: boolean;
  /** The after-the-fact review of break-glass access; null (or absent) for other tickets. */
  review?: BreakGlassReview | null;
  approval: {
    currentStep: number;
    awaiting: string[];
    steps: {
      name: string;
      minApprovals: number;
      state: 'waiting' | 'approved' | 'rejected' | 'skipped';
      approvedBy: string[];
      approvers?: string[];
    }[];
  };
  access: {
    state: AccessState;
    start: string | null;
    end: string | null;
    grantedAt: string | null;
    revokedAt: string | null;
    error: string | null;
  };
  log: LogEntry[];
  parentTicketId: string | null;
  childTicketIds: string[];
  createdAt: string;
  resolvedAt: string | null;
  resolvedInSeconds: number | null;
  workflow?: { workflowId: string; runId?: string | null; uiUrl?: string | null } | null;
}

export interface BreakGlassReview {
  state: 'pending' | 'confirmed' | 'revoked';
  dueAt: string;
  escalated: boolean;
  by?: string | null;
  at?: string | null;
  comment?: string | null;
}

/** The error body of every failed call. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  flags?: PolicyFlag[];
}
