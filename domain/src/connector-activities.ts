/**
 * The contract between the connector workflows (connection check, drift report, re-applying a grant)
 * and their activities, like `activities.ts` is for the ticket workflow: plain data both sides share.
 */

export interface CheckConnectionInput {
  appId: string;
}

/** What `POST /apps/:appId/connector/check` answers. Never carries a secret. */
export interface CheckConnectionResult {
  ok: boolean;
  message: string;
  checkedAt: string;
}

export interface ComputeDriftInput {
  appId: string;
}

/** An account that holds the entitlement in the target without an active Gatehouse grant. */
export interface DriftUnmanaged {
  entitlementId: string;
  /** As the connector lists it (login, Slack user id, userName, Username...). */
  account: string;
  /** The Gatehouse user whose `accounts` name this account, when one does. */
  userId: string | null;
}

/** An active Gatehouse grant whose access the target does not show. */
export interface DriftMissing {
  entitlementId: string;
  userId: string;
  /** The ticket that owns the grant. */
  ticketId: string;
}

/** An entitlement the report could not compare (its `externalId` points at nothing, say). */
export interface DriftError {
  entitlementId: string;
  code: string;
  message: string;
}

export interface DriftReport {
  appId: string;
  generatedAt: string;
  unmanaged: DriftUnmanaged[];
  missing: DriftMissing[];
  errors: DriftError[];
}

/** What the drift activity returns to its workflow: counts only (the report itself is stored). */
export interface ComputeDriftResult {
  appId: string;
  generatedAt: string;
  unmanaged: number;
  missing: number;
  errors: number;
}

export interface ReapplyGrantInput {
  appId: string;
  userId: string;
  entitlementId: string;
}

export interface ReapplyGrantResult {
  /** The ticket owning the grant that was re-applied. */
  ticketId: string;
  reappliedAt: string;
}

export interface ConnectorActivities {
  /** Asks the app's connector whether it can reach the target with its credentials; never throws for a connector answer. */
  checkConnection(input: CheckConnectionInput): Promise<CheckConnectionResult>;
  /** Compares every entitlement's members in the target with the active grants, and stores the report. */
  computeDrift(input: ComputeDriftInput): Promise<ComputeDriftResult>;
  /** Grants again, in the target, access an active grant says the user holds. */
  reapplyGrant(input: ReapplyGrantInput): Promise<ReapplyGrantResult>;
}

/** `ApplicationFailure` types of the connector activities that are not connector failures. */
export const CONNECTOR_ACTIVITY_FAILURES = {
  /** `reapplyGrant`: the user holds no active grant of that entitlement. */
  GRANT_NOT_FOUND: 'GRANT_NOT_FOUND',
} as const;
