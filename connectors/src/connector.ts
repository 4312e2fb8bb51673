/**
 * The one interface every target application is reached through. Implementations are idempotent:
 * granting what is already granted, or revoking what is already gone, succeeds.
 *
 * Errors are typed by what a retry can do about them: `ConnectorFailure.retryable` (5xx, rate limits,
 * with the server's Retry-After as the next delay), `ConnectorFailure.unreachable` (no answer: the
 * change may or may not have been applied) or `ConnectorFailure.permanent` (unknown account or
 * entitlement, bad credentials, missing scope). All are Temporal `ApplicationFailure`s, so the activity
 * that calls a connector needs no translation. Every failure but `unreachable` means the target
 * answered and did not apply the change (`targetRefused`).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorType, EntitlementKind, FieldValue } from '@gatehouse/domain';

export interface TargetEntitlement {
  id: string;
  /** What the target calls it (team slug, user group id, permission set id, SCIM group id). */
  externalId: string;
  kind: EntitlementKind;
  name: string;
}

export interface AccessChange {
  /** The user's identity in the target application (login, user id, userName...). */
  account: string;
  entitlement: TargetEntitlement;
  fields: Record<string, FieldValue>;
}

export interface ConnectionCheck {
  ok: boolean;
  message: string;
}

/** What a grant found in the target. */
export interface GrantOutcome {
  /**
   * The account held the entitlement before this call (already a member, already has the role): the
   * call changed nothing. Gatehouse records such access as the person's own and never removes it on
   * expiry. A connector that cannot tell answers `void` (taken as "granted now").
   */
  alreadyHeld: boolean;
}

export interface Connector {
  readonly type: ConnectorType;
  grant(change: AccessChange): Promise<GrantOutcome | void>;
  revoke(change: AccessChange): Promise<void>;
  listMembers(entitlement: TargetEntitlement): Promise<string[]>;
  checkConnection(): Promise<ConnectionCheck>;
  /**
   * The account of the target's user with this email, in the form `grant` takes and `listMembers`
   * answers, or `null` when the target has no such user. Only connectors whose target can look users
   * up by email implement it (GitHub cannot: it knows logins only). Throws the usual typed failures.
   */
  accountForEmail?(email: string): Promise<string | null>;
  /**
   * For targets where a change is a read-modify-write of something shared by several accounts (a Slack
   * user group's whole member list): a key naming that thing. Gatehouse makes changes with one key one
   * at a time across every worker process. Absent, or `undefined` for an entitlement: the target applies
   * each change on its own (an add or remove of one member), and no serialization is needed.
   */
  serializationKey?(entitlement: TargetEntitlement): string | undefined;
}

export const CONNECTOR_FAILURE = {
  RETRYABLE: 'CONNECTOR_RETRYABLE',
  RATE_LIMITED: 'CONNECTOR_RATE_LIMITED',
  UNKNOWN_ACCOUNT: 'ACCOUNT_NOT_FOUND',
  UNKNOWN_ENTITLEMENT: 'ENTITLEMENT_NOT_FOUND',
  UNAUTHORIZED: 'CONNECTOR_UNAUTHORIZED',
  MISCONFIGURED: 'CONNECTOR_MISCONFIGURED',
  /** The target refused this change for a reason about this account or entitlement (a guest, an archived channel, a license limit). */
  REJECTED: 'CONNECTOR_REJECTED',
} as const;

export type PermanentFailureType = Exclude<
  (typeof CONNECTOR_FAILURE)[keyof typeof CONNECTOR_FAILURE],
  'CONNECTOR_RETRYABLE' | 'CONNECTOR_RATE_LIMITED'
>;

export const ConnectorFailure = {
  /** A failure that may pass: retried by Temporal, after `retryAfterMs` when the target said so. */
  retryable(message: string, retryAfterMs?: number): ApplicationFailure {
    return ApplicationFailure.create({
      type: retryAfterMs !== undefined ? CONNECTOR_FAILURE.RATE_LIMITED : CONNECTOR_FAILURE.RETRYABLE,
      message,
      nonRetryable: false,
      ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
    });
  },
  /**
   * The target could not be reached or did not answer in time (a network error, a timeout): the change
   * may have been applied or not. Retried like `retryable`.
   */
  unreachable(message: string): ApplicationFailure {
    return ApplicationFailure.create({
      type: CONNECTOR_FAILURE.RETRYABLE,
      message,
      nonRetryable: false,
      details: [OUTCOME_UNKNOWN],
    });
  },
  /** A failure no retry can fix: the ticket is parked in `failed` for an operator. */
  permanent(type: PermanentFailureType, message: string): ApplicationFailure {
    return ApplicationFailure.create({ type, message, nonRetryable: true });
  },
};

const OUTCOME_UNKNOWN = 'outcome-unknown';
const CONNECTOR_FAILURE_TYPES = new Set<string>(Object.values(CONNECTOR_FAILURE));

/**
 * Whether a connector call failed with the target's answer, so the change was not applied: a typed
 * connector failure other than `unreachable`. Anything else (no answer, a timeout, a crash, an untyped
 * error) may have applied it.
 */
export function targetRefused(err: unknown): boolean {
  return (
    err instanceof ApplicationFailure &&
    CONNECTOR_FAILURE_TYPES.has(err.type ?? '') &&
    !(err.details ?? []).includes(OUTCOME_UNKNOWN)
  );
}

/** Reads a secret from the environment variable an app's config names; never from the config itself. */
export function secretFromEnv(config: Record<string, unknown>, key: string, env: NodeJS.ProcessEnv): string {
  const name = config[key];
  if (typeof name !== 'string' || !name) {
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `connector config needs "${key}": the name of an environment variable`,
    );
  }
  const value = env[name];
  if (!value)
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `environment variable ${name} (from "${key}") is not set on the worker`,
    );
  return value;
}
