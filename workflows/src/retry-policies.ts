/**
 * The activities the ticket workflow calls, each with a retry policy named for what it promises: the read
 * model and the event stream catch up whatever happens, access ends whatever the target does, granting
 * backs off and then parks the ticket in `failed` for an operator, seats answer "full" at once.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { NotificationActivities, TicketActivities } from '@gatehouse/domain';

export const RETRY_POLICIES = {
  /** Read model and events: retried until MongoDB answers, at most a minute apart. */
  untilStored: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
  /** Seat bookkeeping: a full license is an answer, not an error to retry. */
  seats: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: ['NO_SEAT_AVAILABLE'],
  },
  /** Revoking: access must end, so a failing target is retried for as long as it takes; only a non-retryable failure parks the revocation for an admin's retry. */
  untilRevoked: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  /** Granting: targets fail for a while (5xx, rate limits); back off, then park the ticket in `failed` rather than retry forever. */
  grantThenPark: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
} satisfies Record<string, RetryPolicy>;

export const { persistTicketState } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.untilStored,
});

/**
 * At least once, in order: a batch is retried until it lands, and nothing later is published before it.
 * `writeTicket` persists a version, then publishes a batch: its retries are the persist's and the publish's.
 */
export const { publishTicketEvents, writeTicket } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.untilStored,
});

/**
 * The same writes as local activities (patch `local-writes`), and the first attempt of an expiry's
 * revocation (patch `local-revoke`, AccessPeriod.revoked): the worker runs them within the workflow task
 * that schedules them and records each as a marker, so the server dispatches no activity task and no
 * workflow task for its result. One attempt of at most 5 seconds, below the point (8 s of a 10 s task)
 * where the worker would extend the task: messages to the run never wait longer for it. A write that fails
 * is written again by the activity form (TicketRun.written), a revocation revoked by `revokeAccess`
 * (`locallyFirst`), which answers as the attempt would have: a grant remembers how its latest holdings ended.
 */
export const localAttempts = proxyLocalActivities<TicketActivities & NotificationActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

export const { reserveSeats, releaseSeats, extendGrant } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.seats,
});

// Target calls heartbeat while they work: a worker that dies mid-call is noticed in seconds.
export const { revokeAccess } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: RETRY_POLICIES.untilRevoked,
});
/**
 * How a local activity's attempt failed, or null when `err` is not a local activity's failure. A timeout
 * or cancellation arrives as an `ActivityFailure`; a failure of the activity's own arrives as it was
 * thrown (an `ApplicationFailure`), not wrapped as a regular activity's is.
 */
export function localFailure(err: unknown): ApplicationFailure | ActivityFailure | null {
  return err instanceof ActivityFailure || err instanceof ApplicationFailure ? err : null;
}

/**
 * Runs `local` first, then, if it failed in a way a retry may fix (or ran out of time), `activity`. A
 * failure no retry fixes (`nonRetryable`) is the answer as it stands: the activity would only repeat it.
 * After a failure (not a timeout) the activity starts after `backoff`, or the delay the failure asked for
 * (a target's Retry-After): a failing target is not called again at once.
 */
export async function locallyFirst<T>(
  local: () => Promise<T>,
  activity: () => Promise<T>,
  backoff: Duration,
): Promise<T> {
  try {
    return await local();
  } catch (err) {
    const failure = localFailure(err);
    if (!failure) throw err;
    const cause = failure instanceof ActivityFailure ? failure.cause : failure;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) throw err;
    if (failure instanceof ApplicationFailure) await sleep(failure.nextRetryDelay ?? backoff);
  }
  return activity();
}

export const { applyAccess } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: RETRY_POLICIES.grantThenPark,
});
