/**
 * Break-glass at create (docs/policy.md, "Break-glass"): the policy's limits on the request, and the
 * review the workflow is started with. Who may break glass is the access policies' `BreakGlass` decision
 * (ticket-eligibility.ts).
 */
import {
  breakGlassLimits,
  checkDuration,
  formatSeconds,
  type AccessPolicy,
  type Duration,
  type PolicyFlag,
  type TicketBreakGlass,
} from '@gatehouse/domain';
import { fail } from '../common/errors';
import type { DurationDto } from './tickets.dto';

/** The longest break-glass access: the policy's `breakGlass.maxSeconds`, never beyond its `maxDurationSeconds`. */
export function breakGlassMaxSeconds(policy: AccessPolicy): number {
  const { maxSeconds } = breakGlassLimits(policy.breakGlass);
  return Math.min(maxSeconds, policy.maxDurationSeconds ?? Infinity);
}

/** The duration a break-glass request asked for no duration gets: the longest allowed, from now. */
export function breakGlassDurationDto(policy: AccessPolicy, now: Date): DurationDto {
  return { type: 'limited', end: new Date(now.getTime() + breakGlassMaxSeconds(policy) * 1000).toISOString() };
}

/** Only a ticket that adds access breaks glass: not a removal, a move, an extension or a re-raise. */
export function refuseUnlessAdd(action: string): void {
  if (action !== 'add') fail('VALIDATION_FAILED', 'breakGlass: only a ticket that adds access may break glass');
}

/**
 * What a break-glass request breaks on top of the policy's own flags: a reason is always required, and
 * the access is limited to `breakGlass.maxSeconds` (indefinite access is refused).
 */
export function breakGlassFlags(
  policy: AccessPolicy,
  duration: Duration,
  reason: string | undefined,
  now: Date,
  existing: PolicyFlag[],
): PolicyFlag[] {
  const flags: PolicyFlag[] = [];
  const has = (code: PolicyFlag['code']) => existing.some((f) => f.code === code);
  if (!reason?.trim() && !has('REASON_REQUIRED'))
    flags.push({ code: 'REASON_REQUIRED', message: 'Breaking glass needs a reason.', field: 'reason' });
  const max = breakGlassMaxSeconds(policy);
  for (const flag of checkDuration({ maxDurationSeconds: max, allowIndefinite: false }, duration, now)) {
    if (has(flag.code)) continue;
    flags.push(
      flag.code === 'INDEFINITE_NOT_ALLOWED'
        ? { ...flag, message: `Break-glass access is limited: at most ${formatSeconds(max)}.` }
        : flag,
    );
  }
  return flags;
}

/** The review the workflow waits for: due `breakGlass.reviewWithinSeconds` after the ticket was raised. */
export function breakGlassReview(
  policy: AccessPolicy,
  now: Date,
  policies: TicketBreakGlass['policies'],
): TicketBreakGlass {
  const { reviewWithinSeconds } = breakGlassLimits(policy.breakGlass);
  return { reviewDueAt: new Date(now.getTime() + reviewWithinSeconds * 1000).toISOString(), policies };
}
