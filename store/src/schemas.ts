/**
 * The read model. Shapes follow FerretDB's limits (docs/architecture.md): every update is a `$set`,
 * `$push` or `$inc` on a known path; no transactions; no user-supplied document keys that have not
 * been validated (entitlement field keys and connector config keys are checked at the API).
 */
import { Schema } from 'mongoose';

const opts = { versionKey: false, minimize: false } as const;

export interface TicketDoc {
  _id: string;
  seq: number;
  type: string;
  action: string;
  status: string;
  requester: { id: string; name: string };
  beneficiary: { id: string; name: string };
  createdBy: string;
  app: { id: string; name: string };
  changes: unknown[];
  duration: unknown;
  reason: string | null;
  policy: unknown;
  approval: {
    currentStep: number;
    awaiting: string[];
    steps: { approvedBy: string[]; approvers: string[]; state: string }[];
  };
  access: {
    state: string;
    start: string | null;
    end: string | null;
    grantedAt: string | null;
    revokedAt: string | null;
    error: string | null;
  };
  log: unknown[];
  parentTicketId: string | null;
  childTicketIds: string[];
  createdAt: string;
  resolvedAt: string | null;
  resolvedInSeconds: number | null;
  workflow: { workflowId: string; runId: string | null };
  version: number;
  /** Break-glass tickets only (absent on others): raised as break-glass, and their review. */
  breakGlass?: boolean;
  review?: unknown;
  /** Query helpers, derived from the fields above on every write. */
  entitlementIds: string[];
  approverRules: string[];
  awaitingRules: string[];
  awaitingExcluded: string[];
  /** A break-glass review is still to be done: the tracker keeps the ticket in its Open tab. */
  reviewPending?: boolean;
}

export const TicketSchema = new Schema<TicketDoc>(
  {
    _id: String,
    seq: { type: Number, required: true },
    type: String,
    action: String,
    status: String,
    requester: { id: String, name: String },
    beneficiary: { id: String, name: String },
    createdBy: String,
    app: { id: String, name: String },
    changes: [Schema.Types.Mixed],
    duration: Schema.Types.Mixed,
    reason: { type: String, default: null },
    policy: Schema.Types.Mixed,
    approval: Schema.Types.Mixed,
    access: Schema.Types.Mixed,
    log: [Schema.Types.Mixed],
    parentTicketId: { type: String, default: null },
    childTicketIds: [String],
    createdAt: String,
    resolvedAt: { type: String, default: null },
    resolvedInSeconds: { type: Number, default: null },
    workflow: { workflowId: String, runId: { type: String, default: null } },
    version: { type: Number, default: 0 },
    breakGlass: Boolean,
    review: Schema.Types.Mixed,
    entitlementIds: [String],
    approverRules: [String],
    awaitingRules: [String],
    awaitingExcluded: [String],
    reviewPending: Boolean,
  },
  { ...opts, collection: 'tickets' },
);
// The tracker: newest first, per tab, per filter, per visibility rule.
TicketSchema.index({ seq: -1 });
TicketSchema.index({ status: 1, seq: -1 });
TicketSchema.index({ 'app.id': 1, seq: -1 });
TicketSchema.index({ 'requester.id': 1, seq: -1 });
TicketSchema.index({ 'beneficiary.id': 1, seq: -1 });
TicketSchema.index({ type: 1, seq: -1 });
TicketSchema.index({ approverRules: 1, seq: -1 });
TicketSchema.index({ awaitingRules: 1, status: 1, seq: -1 });

export interface AppDoc {
  _id: string;
  name: string;
  connector: { type: string; config: Record<string, unknown> };
  entitlements: unknown[];
  licenses: unknown[];
  policy: unknown;
  /** Bumped by every write (see app-revisions.ts); absent on apps written before revisions existed (0). */
  revision?: number;
  /** A deleted app keeps its document, so its revisions keep counting if it is created again. */
  deleted?: boolean;
  updatedAt: string;
}

export const AppSchema = new Schema<AppDoc>(
  {
    _id: String,
    name: String,
    connector: Schema.Types.Mixed,
    entitlements: [Schema.Types.Mixed],
    licenses: [Schema.Types.Mixed],
    policy: Schema.Types.Mixed,
    revision: { type: Number, default: undefined },
    deleted: { type: Boolean, default: undefined },
    updatedAt: String,
  },
  { ...opts, collection: 'apps' },
);

export interface UserDoc {
  _id: string;
  name: string | null;
  email: string | null;
  accounts: Record<string, string>;
  roles: string[];
  groups: string[];
  /** Directory (SCIM) attributes; absent on users only ever written with `PUT /users`. */
  externalId?: string | null;
  userName?: string | null;
  /** false: a leaver. Absent reads as true. */
  active?: boolean;
  /** The Gatehouse user id of the user's manager (SCIM enterprise `manager.value`). */
  manager?: string | null;
  department?: string | null;
  costCenter?: string | null;
  employeeNumber?: string | null;
  /** Progress of the leaver workflow, while and after it runs. */
  offboarding?: { state: 'running' | 'done'; remaining: number } | null;
  /**
   * The SCIM resource as the identity provider last wrote it (JSON text: its extension keys hold dots),
   * with `meta.created`. Present on directory users only; kept after a SCIM DELETE, which clears `userName`.
   */
  scim?: string | null;
  updatedAt: string;
}

export const UserSchema = new Schema<UserDoc>(
  {
    _id: String,
    name: { type: String, default: null },
    email: { type: String, default: null },
    accounts: { type: Schema.Types.Mixed, default: {} },
    roles: [String],
    groups: [String],
    externalId: { type: String, default: undefined },
    userName: { type: String, default: undefined },
    active: { type: Boolean, default: undefined },
    manager: { type: String, default: undefined },
    department: { type: String, default: undefined },
    costCenter: { type: String, default: undefined },
    employeeNumber: { type: String, default: undefined },
    offboarding: { type: Schema.Types.Mixed, default: undefined },
    scim: { type: String, default: undefined },
    updatedAt: String,
  },
  { ...opts, collection: 'users' },
);
UserSchema.index({ email: 1 });

export type GrantState = 'active' | 'expired' | 'revoked' | 'removed';

/** A ticket through which a grant is held, for its own period. */
export interface GrantHolderDoc {
  ticketId: string;
  start: string;
  end: string | null;
}

/** How a ticket's holding of a grant ended: the target revoked, or kept for other holders or as held before. */
export interface GrantReleaseDoc {
  ticketId: string;
  outcome: 'revoked' | 'kept';
}

export interface GrantDoc {
  /** `<appId>:<userId>:<entitlementId>`: one current grant per user and entitlement. */
  _id: string;
  userId: string;
  appId: string;
  entitlementId: string;
  /** `active` while some holder is; else how the last holder ended (`granting`: never held yet, a first grant in flight). */
  state: GrantState | 'granting';
  /** The effective period: the earliest holder's start, the latest holder's end (null: some holder is indefinite). */
  start: string;
  end: string | null;
  /** The holder whose end is the effective end (for readers of the one-holder shape). */
  ticketId: string;
  /** Absent in documents written before holders existed: those have one holder, `ticketId`, while active. */
  holders?: GrantHolderDoc[];
  /** The person held this access in the target before Gatehouse granted it: no expiry removes it. */
  preexisting?: boolean;
  /** Tickets whose connector grant may have reached the target without being recorded as a holder yet. */
  granting?: string[];
  /**
   * The latest tickets whose holding ended, newest last, with how it ended: a release run again (a retry
   * after a crash, or the revocation's activity after its local attempt) answers as the first did.
   */
  released?: GrantReleaseDoc[];
  updatedAt: string;
  /**
   * How many times the grant was saved (absent before the grant feed existed: 0). Every save runs under the
   * grant's lease, so revisions of one grant never repeat; readers of the grant feed keep the highest.
   */
  revision?: number;
}

export const GrantSchema = new Schema<GrantDoc>(
  {
    _id: String,
    userId: String,
    appId: String,
    entitlementId: String,
    state: String,
    start: String,
    end: { type: String, default: null },
    ticketId: String,
    holders: { type: [Schema.Types.Mixed], default: undefined },
    preexisting: { type: Boolean, default: undefined },
    granting: { type: [String], default: undefined },
    released: { type: [Schema.Types.Mixed], default: undefined },
    updatedAt: String,
    revision: { type: Number, default: undefined },
  },
  { ...opts, collection: 'grants' },
);
GrantSchema.index({ userId: 1, appId: 1, state: 1 });
GrantSchema.index({ appId: 1, entitlementId: 1, state: 1 });

/** Taken ticket numbers: one document per number, claimed by a unique insert. */
export const TicketNumberSchema = new Schema<{ _id: number; at: string }>(
  { _id: Number, at: String },
  { ...opts, collection: 'ticket_numbers' },
);

export interface SeatDoc {
  /** `<appId>:<licenseId>#<slot>` */
  _id: string;
  license: string;
  slot: number;
  userId: string;
  ticketId: string;
  at: string;
}

export const SeatSchema = new Schema<SeatDoc>(
  { _id: String, license: String, slot: Number, userId: String, ticketId: String, at: String },
  { ...opts, collection: 'seats' },
);
SeatSchema.index({ license: 1, userId: 1 });

export interface IdempotencyDoc {
  /** `<caller>:<key>` */
  _id: string;
  bodyHash: string;
  ticketId: string;
  createdAt: string;
}

export const IdempotencySchema = new Schema<IdempotencyDoc>(
  { _id: String, bodyHash: String, ticketId: String, createdAt: String },
  { ...opts, collection: 'idempotency_keys' },
);

/**
 * One document per (beneficiary, app, entitlement) touched by a pending ticket. Its unique `_id`
 * makes "no second open ticket" atomic without transactions; the ticket's workflow deletes it when
 * the ticket leaves `pending`.
 */
export interface OpenClaimDoc {
  _id: string;
  ticketId: string;
  createdAt: string;
  /** The request that took it (`<actor>:<Idempotency-Key>`), when it came with a key: its retry may take it over. */
  requestKey?: string;
}

export const OpenClaimSchema = new Schema<OpenClaimDoc>(
  { _id: String, ticketId: String, createdAt: String, requestKey: { type: String, default: undefined } },
  { ...opts, collection: 'open_claims' },
);
OpenClaimSchema.index({ ticketId: 1 });

/** Memberships of the `demo` connector: the "target application" Gatehouse keeps itself. */
export interface DemoMembershipDoc {
  _id: string;
  appId: string;
  account: string;
  entitlement: string;
  grantedAt: string;
}

export const DemoMembershipSchema = new Schema<DemoMembershipDoc>(
  { _id: String, appId: String, account: String, entitlement: String, grantedAt: String },
  { ...opts, collection: 'demo_memberships' },
);
DemoMembershipSchema.index({ appId: 1, entitlement: 1 });
