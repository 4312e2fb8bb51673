// The API's error codes and policy flags in words a person understands. The server's message is kept
// where it carries specifics (which ticket, how long), after our sentence.
import type { PolicyFlag } from './api/types';

export interface ErrorLike {
  status?: number;
  code: string;
  message: string;
  flags?: PolicyFlag[];
}

const CODE_TEXT: Record<string, string> = {
  NETWORK_ERROR: 'The Gatehouse API could not be reached. Check your connection and try again.',
  UNAUTHENTICATED: 'Your sign-in is missing, expired or was not accepted. Please sign in again.',
  FORBIDDEN: 'You are not allowed to do this.',
  USER_INACTIVE: 'Your Gatehouse user has been deactivated, so you cannot do anything here any more.',
  NOT_ELIGIBLE:
    'The access policies do not let you request some of this access. Ask your Gatehouse admins if you need it.',
  NOT_AN_APPROVER:
    'You are not an approver of this ticket’s current step. Requesters and beneficiaries can never approve or reject their own tickets.',
  NOT_FOUND: 'This was not found on the server.',
  APP_NOT_FOUND: 'This application does not exist (any more).',
  ENTITLEMENT_NOT_FOUND: 'This access no longer exists in the application’s catalog.',
  TICKET_NOT_FOUND: 'There is no such ticket, or you are not allowed to see it.',
  USER_NOT_FOUND: 'There is no such user.',
  IDEMPOTENCY_KEY_REUSED: 'This request was already sent with different content. Reload the page and try again.',
  DUPLICATE_OPEN_TICKET:
    'An open ticket for the same access already exists. Wait until it is decided, or cancel it, before raising another.',
  TICKET_NOT_PENDING: 'This ticket has already been decided or cancelled.',
  ALREADY_DECIDED: 'You have already decided on this step of the ticket.',
  NO_SEAT_AVAILABLE: 'No license seat is free for this access. Free a seat, or ask for more seats, before approving.',
  ACCESS_NOT_ACTIVE: 'Only access that is active and time-limited can be extended.',
  ACCESS_NOT_EXPIRED: 'Only access that has expired can be re-raised.',
  ACCESS_NOT_FAILED: 'Only access that failed to apply can be retried.',
  ACCESS_ENDING: 'This access is being removed right now.',
  EXTENSION_LIMIT: 'This access may not be extended any further under its policy.',
  NO_ELIGIBLE_APPROVER: 'Nobody could approve this request: a step of its policy has no approver for you.',
  REVIEW_NOT_PENDING: 'This break-glass access has already been reviewed.',
  POLICY_VIOLATION: 'The request does not meet the application’s policy.',
  VALIDATION_FAILED: 'Some values were not accepted.',
  PAYLOAD_TOO_LARGE: 'This is too much text to send at once.',
  RATE_LIMITED: 'Too many requests in a short time. Wait a moment and try again.',
  DEPENDENCY_UNAVAILABLE: 'Gatehouse cannot reach its database or Temporal right now. Try again in a minute.',
};

const FLAG_TEXT: Record<string, string> = {
  MAX_DURATION_EXCEEDED: 'Longer than this application allows.',
  INDEFINITE_NOT_ALLOWED: 'This application only grants access for a limited time: choose an end date.',
  REASON_REQUIRED: 'Please give a reason: this application requires one.',
  FIELD_REQUIRED: 'This field is required.',
  FIELD_INVALID: 'This value is not valid.',
  END_BEFORE_START: 'The end must come after the start.',
  START_IN_PAST: 'The start lies in the past: choose a start from now on, or leave it empty to start now.',
  ALREADY_HAS_ACCESS: 'You already have this access, so it cannot be requested again. Use Modify to change it.',
  NOT_A_MEMBER: 'This access is not held, so it cannot be removed.',
  NOT_ELIGIBLE: 'You may not request this: the access policies do not permit it.',
  NO_ELIGIBLE_APPROVER: 'Nobody could approve this step for you.',
  EXTENSION_LIMIT: 'This access may not be extended any further.',
};

/** Flags whose server message adds specifics (limits, field names) worth showing after our sentence. */
const KEEP_SERVER_MESSAGE = new Set([
  'MAX_DURATION_EXCEEDED',
  'FIELD_REQUIRED',
  'FIELD_INVALID',
  'ALREADY_HAS_ACCESS',
  'NOT_A_MEMBER',
  // Names the entitlement and the policy's advice (who to ask, why not).
  'NOT_ELIGIBLE',
  'NO_ELIGIBLE_APPROVER',
  'EXTENSION_LIMIT',
]);

export function flagText(flag: PolicyFlag): string {
  const ours = FLAG_TEXT[flag.code];
  if (!ours) return flag.message;
  return KEEP_SERVER_MESSAGE.has(flag.code) && flag.message ? `${ours} ${flag.message}` : ours;
}

/**
 * One sentence (or two) for an error. `context` overrides the wording for codes that mean something
 * specific where they happened, e.g. a 404 NOT_FOUND on an endpoint this gateway does not have yet.
 */
export function errorText(err: ErrorLike | unknown, context: Partial<Record<string, string>> = {}): string {
  if (!err || typeof err !== 'object' || typeof (err as ErrorLike).code !== 'string') {
    return `Something unexpected went wrong: ${String((err as Error)?.message ?? err)}`;
  }
  const e = err as ErrorLike;
  const contextual = context[e.code];
  if (contextual) return contextual;
  const ours = CODE_TEXT[e.code];
  if (e.code === 'DUPLICATE_OPEN_TICKET' || e.code === 'VALIDATION_FAILED') return `${ours} ${e.message}`;
  if (ours) return ours;
  if ((e.status ?? 0) >= 500)
    return `The server ran into a problem (${e.code}). Try again; if it keeps happening, tell your Gatehouse admins.`;
  return e.message || e.code;
}

/** The ticket id named in a DUPLICATE_OPEN_TICKET message, to link to it. */
export function ticketIdIn(message: string): string | null {
  return /\b([A-Z]+-\d+)\b/.exec(message)?.[1] ?? null;
}
