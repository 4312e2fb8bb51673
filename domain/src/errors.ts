/**
 * Error codes of the HTTP contract. Workflow update validators throw `ApplicationFailure`s whose
 * `type` is one of these, and the gateway maps them to statuses in one place.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  /** The directory has deactivated the caller (a leaver): their unexpired tokens no longer raise or decide tickets. */
  USER_INACTIVE: 403,
  NOT_AN_APPROVER: 403,
  /** The access policies (Cedar) do not let this user request this entitlement. */
  NOT_ELIGIBLE: 403,
  NOT_FOUND: 404,
  APP_NOT_FOUND: 404,
  ENTITLEMENT_NOT_FOUND: 404,
  TICKET_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  DELIVERY_NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REUSED: 409,
  DUPLICATE_OPEN_TICKET: 409,
  TICKET_NOT_PENDING: 409,
  ALREADY_DECIDED: 409,
  NO_SEAT_AVAILABLE: 409,
  ACCESS_NOT_ACTIVE: 409,
  ACCESS_NOT_EXPIRED: 409,
  ACCESS_NOT_FAILED: 409,
  /** A revocation of this access is under way (it may retry for a while against a failing target). */
  ACCESS_ENDING: 409,
  WEBHOOK_DISABLED: 409,
  /** A write carried a `revision` the resource has moved past: someone changed it since the writer read it. */
  REVISION_CONFLICT: 409,
  /** `POST /tickets/:id/review` on a ticket that is not break-glass, or whose review is over. */
  REVIEW_NOT_PENDING: 409,
  /** `DELETE /apps/:id` while someone holds access in the app: revoke it first. */
  APP_HAS_ACCESS: 409,
  POLICY_VIOLATION: 422,
  /** A Cedar policy that does not parse or does not validate against the published schema. */
  INVALID_POLICY: 422,
  /** A step's approver rules resolve to nobody (e.g. `manager` for a beneficiary without one, and no `escalateTo`). */
  NO_ELIGIBLE_APPROVER: 422,
  /** An extension beyond the policy's `extensions.max` or longer than its `extensions.maxSecondsEach`. */
  EXTENSION_LIMIT: 422,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  DEPENDENCY_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}
