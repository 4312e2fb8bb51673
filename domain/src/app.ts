/** An application whose access Gatehouse manages, as an admin configures it with `PUT /apps/:appId`. */

export type EntitlementKind = 'role' | 'group' | 'permission';
export const ENTITLEMENT_KINDS: readonly EntitlementKind[] = ['role', 'group', 'permission'];

export type FieldType = 'string' | 'number' | 'boolean' | 'enum';
export const FIELD_TYPES: readonly FieldType[] = ['string', 'number', 'boolean', 'enum'];

/** An extra value the requester supplies with an entitlement (a Jira ticket, a cost centre...). */
export interface EntitlementField {
  key: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** `string` fields only: a regular expression the value must match. */
  pattern?: string;
  /** `enum` fields only. */
  options?: string[];
}

export interface Entitlement {
  id: string;
  kind: EntitlementKind;
  name: string;
  description?: string;
  /** Names the entitlement in the target application; absent, connectors use `id`. */
  externalId?: string;
  licenseId?: string;
  fields?: EntitlementField[];
  /**
   * This entitlement's own policy; absent fields inherit the app's. A ticket combines the policies of
   * its entitlements with `effectivePolicy` (effective-policy.ts).
   */
  policy?: EntitlementPolicy;
}

/** An entitlement's policy: the app's shape, every field optional. `approval` replaces the app's steps. */
export type EntitlementPolicy = Partial<AccessPolicy>;

export interface License {
  id: string;
  name: string;
  seats: number;
}

export interface ApprovalStepPolicy {
  name: string;
  /** Approver rules: `user:<id>`, `group:<name>`, `role:<name>`. */
  approvers: string[];
  minApprovals: number;
  /** Remind the step's approvers this long after the step opened, if it is still open. */
  remindAfterSeconds?: number;
  /** Open the step to `escalateTo` this long after it opened, if it is still open. */
  escalateAfterSeconds?: number;
  /** Fallback approver rules, eligible for this step once it escalated. */
  escalateTo?: string[];
}

export interface AccessPolicy {
  maxDurationSeconds?: number;
  allowIndefinite?: boolean;
  requireReason?: boolean;
  approval: { steps: ApprovalStepPolicy[] };
  pendingTimeoutSeconds?: number;
  /**
   * How long, after limited access expired, its workflow stays open so that a re-raise runs as its
   * child (one tree in the Temporal UI). Absent: 7 days. Later re-raises start a new linked workflow.
   */
  reraiseWindowSeconds?: number;
  /** How long before limited access ends its requester is told (with an Extend hint). Absent: 1 day. */
  expiryNoticeSeconds?: number;
  /** Limits on extending the same access (docs/policy.md, "Lifetime"). Absent: extensions as any request. */
  extensions?: ExtensionPolicy;
  /**
   * Whose PagerDuty on-call counts as on call for this app or entitlement (docs/policy.md, "On-call").
   * Absent: the gateway's `PAGERDUTY_SCHEDULES` entry for the app.
   */
  onCall?: OnCallPolicy;
  /** Break-glass access: how long it may last and how soon it must be reviewed (docs/policy.md, "Break-glass"). */
  breakGlass?: BreakGlassPolicy;
}

export interface BreakGlassPolicy {
  /** The longest break-glass access, in seconds; no duration asked means this long from now. Absent: 4 hours. */
  maxSeconds?: number;
  /** How long after the ticket was raised an approver must confirm or revoke it. Absent: 24 hours. */
  reviewWithinSeconds?: number;
}

export const DEFAULT_BREAK_GLASS = { maxSeconds: 4 * 3600, reviewWithinSeconds: 86400 } as const;

/** A break-glass policy with its defaults filled in. */
export function breakGlassLimits(policy: BreakGlassPolicy | undefined): Required<BreakGlassPolicy> {
  return {
    maxSeconds: policy?.maxSeconds ?? DEFAULT_BREAK_GLASS.maxSeconds,
    reviewWithinSeconds: policy?.reviewWithinSeconds ?? DEFAULT_BREAK_GLASS.reviewWithinSeconds,
  };
}

export interface OnCallPolicy {
  /** PagerDuty schedule ids; the people on call in any of them now are on call for it. Empty: nobody. */
  schedules: string[];
}

export interface ExtensionPolicy {
  /** How many extensions one access may have. Absent: no limit. */
  max?: number;
  /** How far one extension may move the end, in seconds. Absent: no limit (beyond `maxDurationSeconds`). */
  maxSecondsEach?: number;
  /** An extension within these limits is approved without approval steps. Absent: false. */
  autoApproveWithinMax?: boolean;
}

export const DEFAULT_EXPIRY_NOTICE_SECONDS = 86400;

export const DEFAULT_RERAISE_WINDOW_SECONDS = 7 * 86400;

export const CONNECTOR_TYPES = ['demo', 'github', 'slack', 'salesforce', 'scim'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

export interface ConnectorSettings {
  type: ConnectorType;
  /** Non-secret settings, and the *names* of environment variables that hold secrets (`tokenEnv`). */
  config: Record<string, unknown>;
}

export interface App {
  id: string;
  name: string;
  connector: ConnectorSettings;
  entitlements: Entitlement[];
  licenses: License[];
  policy: AccessPolicy;
}
