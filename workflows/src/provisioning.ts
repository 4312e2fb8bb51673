/**
 * Decided → active. An approved ticket waits in `scheduled` until a future start (a revoke meanwhile
 * ends it there), then runs `applyAccess`: `active` (or `removed`, for a pure remove). Access the person
 * already held is logged (`already_held`). A grant that fails for good parks the ticket in `failed` until
 * an admin's Update `retry` runs it again, or a revoke ends it; both make sure nothing the failed attempt
 * granted outlives the ticket (a retry after the end date expires instead of granting).
 */
import { condition } from '@temporalio/workflow';
import { endFromGrant, isAdmin, isLimited, msUntil } from '@gatehouse/domain';
import { PATCHES, type ActorCommentInput } from './definitions';
import { revokeEvent, type AccessPeriod } from './access-period';
import { applyAccess, releaseSeats } from './retry-policies';
import { failureMessage, nowIso, refuse, SYSTEM, type TicketRun } from './ticket-run';

export class Provisioning {
  constructor(
    private readonly run: TicketRun,
    private readonly period: AccessPeriod,
  ) {}

  validateRetry({ actor }: Pick<ActorCommentInput, 'actor'>): void {
    const { run } = this;
    if (!isAdmin(actor)) refuse('FORBIDDEN', 'Only an admin may retry provisioning.');
    if (
      (run.state.access.state !== 'failed' && !run.revokeFailed) ||
      (run.ending && !run.revokeFailed) ||
      run.retryRequested
    ) {
      refuse('ACCESS_NOT_FAILED', `The access of ${run.ticketId} is ${run.state.access.state}, not failed.`);
    }
  }

  /** An admin runs the failed grant (or the failed revocation) again. */
  async retry(request: ActorCommentInput) {
    const { run } = this;
    await run.lock.runExclusive(() => {
      this.validateRetry(request);
      run.retryRequested = true;
      run.log('retried', request.actor.id, request.comment);
      run.changed();
    });
    await run.persisted();
    return run.state;
  }

  /**
   * Relative access ends `seconds` after this grant (the activity held it with the same end), however
   * late it was approved; indefinite access has no end.
   */
  private relativeEnd(grantedAt: string): string | null {
    const { duration } = this.run.state;
    return duration?.type === 'relative' && this.run.patched(PATCHES.relativeDuration)
      ? endFromGrant(duration, grantedAt)
      : null;
  }

  /** Grants the approved access (after its start), then hands it to the access period. */
  async provision(): Promise<void> {
    const { run } = this;
    const { input, state } = run;
    const duration = state.duration;
    const limited = isLimited(duration);
    if (limited) run.setAccess('scheduled', { start: duration.start, end: duration.end });
    if (limited && Date.parse(duration.start) > Date.now()) {
      run.changed();
      await condition(() => run.revokeRequest !== null, msUntil(duration.start, Date.now()));
      if (run.revokeRequest) {
        if (run.seatsReserved) await releaseSeats(run.seatsInput);
        run.log(revokeEvent(run.revokeRequest), run.revokeRequest.actor.id, run.revokeRequest.comment, {
          beforeStart: true,
        });
        run.setAccess('revoked', { revokedAt: nowIso() });
        run.changed();
        return;
      }
    }

    for (;;) {
      run.setAccess('applying', { error: null });
      run.log('applying', SYSTEM);
      run.changed();
      try {
        const { grantedAt, alreadyHeld } = await applyAccess({
          ticketId: input.ticketId,
          appId: input.app.id,
          beneficiaryId: input.beneficiary.id,
          changes: input.changes,
          duration: state.duration,
        });
        if (input.action === 'remove') {
          run.setAccess('removed', { grantedAt });
          run.log('removed', SYSTEM);
          run.changed();
          return;
        }
        run.setAccess('active', {
          grantedAt,
          start: limited ? duration.start : grantedAt,
          end: limited ? duration.end : this.relativeEnd(grantedAt),
        });
        // Held before this ticket: expiry will leave it in place (only an admin's revoke removes it).
        if (alreadyHeld?.length) run.log('already_held', SYSTEM, null, { entitlementIds: alreadyHeld });
        run.log('granted', SYSTEM);
        run.changed();
        break;
      } catch (err) {
        const error = failureMessage(err);
        run.setAccess('failed', { error });
        run.log('provisioning_failed', SYSTEM, error);
        run.changed();
        // Parked: an admin's retry grants again, a revoke ends it.
        await condition(() => run.retryRequested || run.revokeRequest !== null);
        if (run.revokeRequest && run.patched(PATCHES.revokeFailedGrants)) {
          // What the first changes granted before a later one failed must not outlive the ticket.
          await this.period.end('revoked', { whileFailed: true });
          return;
        }
        if (run.revokeRequest) {
          if (run.seatsReserved) await releaseSeats(run.seatsInput);
          run.log(revokeEvent(run.revokeRequest), run.revokeRequest.actor.id, run.revokeRequest.comment, {
            whileFailed: true,
          });
          run.setAccess('revoked', { revokedAt: nowIso() });
          run.changed();
          return;
        }
        run.retryRequested = false;
        if (
          isLimited(state.duration) &&
          Date.now() >= Date.parse(state.duration.end) &&
          run.patched(PATCHES.expireFailedAfterEnd)
        ) {
          // Retried after its end: the access it was approved for is over. Nothing new is granted, and
          // whatever the failed attempt granted is revoked.
          await this.period.end('expired', { whileFailed: true });
          return;
        }
      }
    }

    await this.period.active();
  }
}
