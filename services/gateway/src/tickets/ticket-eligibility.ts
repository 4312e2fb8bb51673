import {
  onCallSchedules,
  type Actor,
  type App,
  type Duration,
  type PolicyFlag,
  type TicketAutoApproval,
  type TicketChange,
} from '@gatehouse/domain';
import type { OnCallShift, PagerDutyOnCall } from '../oncall/pagerduty-oncall';
import type { PolicyDecisionResult, PolicyDecisions, PolicySetVersion } from '../policies/policy-decisions.service';

/** A ticket about to be raised, as the access policies see it. */
export interface EligibilityInput {
  app: App;
  beneficiaryId: string;
  changes: TicketChange[];
  duration: Duration | null;
  reason?: string;
  now: Date;
  /** Break-glass: decided by `BreakGlass` permits instead of `Request`, never auto-approved; refused without policies. */
  breakGlass?: boolean;
}

/** What the access policies decided for a ticket. */
export interface Eligibility {
  /** One NOT_ELIGIBLE flag per added entitlement the beneficiary may not request. */
  flags: PolicyFlag[];
  /** Set when AutoApprove was permitted for every added entitlement. */
  autoApproval?: TicketAutoApproval;
  /** The documents decided with; absent when none are published (the ticket's input stays as before policies). */
  policySet?: PolicySetVersion[];
  /** The duration to raise the ticket with instead of the one asked for: cut at the end of an on-call shift. */
  duration?: Duration;
  /** Break-glass only: the BreakGlass permits that matched, for every added entitlement. */
  breakGlassPolicies?: PolicyDecisionResult['breakGlass']['policies'];
}

/** Seconds of access asked for from now (or from a later start); null for indefinite access. */
function durationSeconds(duration: Duration | null, now: Date): number | null {
  if (duration?.type === 'relative') return duration.seconds;
  if (duration?.type !== 'limited') return null;
  const from = Math.max(now.getTime(), Date.parse(duration.start));
  return Math.max(0, Math.round((Date.parse(duration.end) - from) / 1000));
}

function forbidden(
  beneficiaryId: string,
  change: TicketChange,
  app: App,
  decision: PolicyDecisionResult,
  index: number,
): PolicyFlag {
  const [forbid] = decision.request.policies;
  const why = forbid
    ? `forbidden by ${forbid.policyId}${forbid.advice ? `: ${forbid.advice}` : ''}`
    : 'no policy permits it';
  return {
    code: 'NOT_ELIGIBLE',
    message: `The access policies do not let ${beneficiaryId} request ${app.id}/${change.entitlement.id} (${change.entitlement.name}): ${why}.`,
    field: `changes[${index}].entitlementId`,
  };
}

/** "auto-approved by on-call-prod: on call for payments", from the AutoApprove permits that matched. */
function autoApprovalOf(decisions: PolicyDecisionResult[]): TicketAutoApproval {
  const seen = new Set<string>();
  const policies = decisions
    .flatMap((d) => d.autoApprove.policies)
    .filter((p) => !seen.has(p.policyId) && seen.add(p.policyId));
  const documents = [...new Set(policies.map((p) => p.id))].join(', ');
  const advice = [...new Set(policies.flatMap((p) => (p.advice ? [p.advice] : [])))].join('; ');
  return { policies, reason: `auto-approved by ${documents}${advice ? `: ${advice}` : ''}` };
}

/**
 * Decides a new ticket under the access policies (docs/policy.md, "Enforcement"): every entitlement it adds
 * is a Cedar `Request` (and `AutoApprove`) with the beneficiary as principal. Removals are not decided:
 * giving access up is never refused. Decided once, here, and carried in the workflow's input.
 */
export async function decideTicket(
  policies: PolicyDecisions,
  actor: Actor,
  t: EligibilityInput,
  onCall?: PagerDutyOnCall,
): Promise<Eligibility> {
  const adds = t.changes.map((change, index) => ({ change, index })).filter((x) => x.change.op === 'add');
  // Without policies nothing is decided (the defaults would allow every request and approve none).
  if (!adds.length || !(await policies.published()))
    return { flags: t.breakGlass ? adds.map(({ change, index }) => noBreakGlass(t, change, index)) : [] };
  const principal = await policies.principalFor(t.beneficiaryId, actor);
  // Each entitlement's PagerDuty schedules (its policy's `onCall`, else the app's, else the setting) the
  // beneficiary is on call in now (docs/policy.md, "On-call"). Entitlements sharing schedules share a lookup.
  const shifts = await Promise.all(
    adds.map(({ change }) =>
      onCall ? onCall.shiftsOf(t.app.id, principal.email, onCallSchedules(t.app, change.entitlement.id)) : [],
    ),
  );
  const onBehalfOf = t.beneficiaryId !== actor.id;
  const context = {
    durationSeconds: durationSeconds(t.duration, t.now),
    reason: t.reason?.trim() ?? '',
    onBehalfOf,
    requesterIsManager: onBehalfOf && principal.manager === actor.id,
    at: t.now,
  };
  const decisions = await Promise.all(
    adds.map(({ change }, i) =>
      policies.decide({
        principal,
        app: t.app,
        entitlementId: change.entitlement.id,
        context: { ...context, onCallFor: shifts[i].map((s) => s.scheduleId) },
      }),
    ),
  );
  const policySet = decisions[0].policySet.length ? decisions[0].policySet : undefined;
  if (t.breakGlass) return breakGlassEligibility(t, adds, decisions, policySet);
  const flags = adds.flatMap(({ change, index }, i) =>
    decisions[i].request.allowed ? [] : [forbidden(t.beneficiaryId, change, t.app, decisions[i], index)],
  );
  let autoApproval =
    !flags.length && decisions.every((d) => d.autoApprove.allowed) ? autoApprovalOf(decisions) : undefined;
  let duration: Duration | undefined;
  const ending = decisions.flatMap((d, i) =>
    d.autoApprove.policies.some((p) => p.endsWithOnCallShift) ? [endedWithShift(t.duration, shifts[i], t.now)] : [],
  );
  if (autoApproval && ending.length) {
    // Each such entitlement ends with its own schedules' shift: the ticket ends with the earliest.
    duration = ending.every((d): d is Duration => d !== null) ? earliest(ending, t.now) : undefined;
    // No shift to end with (or the access would start after it): a person approves instead.
    if (!duration) autoApproval = undefined;
  }
  return {
    flags,
    ...(autoApproval ? { autoApproval } : {}),
    ...(policySet ? { policySet } : {}),
    ...(duration ? { duration } : {}),
  };
}

/** NOT_ELIGIBLE for break-glass on an entitlement no `BreakGlass` permit covers (or, without policies, any). */
function noBreakGlass(
  t: EligibilityInput,
  change: TicketChange,
  index: number,
  why = 'no policy permits it',
): PolicyFlag {
  return {
    code: 'NOT_ELIGIBLE',
    message: `The access policies do not let ${t.beneficiaryId} break glass for ${t.app.id}/${change.entitlement.id} (${change.entitlement.name}): ${why}.`,
    field: `changes[${index}].entitlementId`,
  };
}

/** Break-glass is decided by `BreakGlass` alone: permitted for every added entitlement, or refused. */
function breakGlassEligibility(
  t: EligibilityInput,
  adds: { change: TicketChange; index: number }[],
  decisions: PolicyDecisionResult[],
  policySet: PolicySetVersion[] | undefined,
): Eligibility {
  const flags = adds.flatMap(({ change, index }, i) => {
    const d = decisions[i].breakGlass;
    if (d.allowed) return [];
    const [forbid] = d.policies;
    return [noBreakGlass(t, change, index, forbid ? `forbidden by ${forbid.policyId}` : undefined)];
  });
  const seen = new Set<string>();
  const breakGlassPolicies = decisions
    .flatMap((d) => d.breakGlass.policies)
    .filter((p) => !seen.has(p.policyId) && seen.add(p.policyId));
  return { flags, ...(policySet ? { policySet } : {}), ...(flags.length ? {} : { breakGlassPolicies }) };
}

/** When `d` would end if granted `now`: limited at its end, relative `seconds` on, indefinite never. */
function endOf(d: Duration, now: Date): number {
  if (d.type === 'limited') return Date.parse(d.end);
  return d.type === 'relative' ? now.getTime() + d.seconds * 1000 : Infinity;
}

function earliest(durations: Duration[], now: Date): Duration {
  return durations.reduce((a, b) => (endOf(b, now) < endOf(a, now) ? b : a));
}

/**
 * The duration asked for, ending no later than the requester's current on-call shift: the latest end of
 * the shifts they are on now (a shift without an end leaves the duration as asked). Null when they are on
 * no shift, or when the access would start only after the shift ends.
 */
export function endedWithShift(duration: Duration | null, shifts: OnCallShift[], now: Date): Duration | null {
  if (!shifts.length) return null;
  const asked: Duration = duration ?? { type: 'indefinite' };
  if (shifts.some((s) => s.end === null)) return asked;
  const end = Math.max(...shifts.map((s) => Date.parse(s.end ?? '')));
  if (asked.type === 'indefinite')
    return { type: 'limited', start: now.toISOString(), end: new Date(end).toISOString() };
  // Relative: granted at once (auto-approved), so it would end `seconds` from now; past the shift, cut it there.
  if (asked.type === 'relative')
    return now.getTime() + asked.seconds * 1000 <= end
      ? asked
      : { type: 'limited', start: now.toISOString(), end: new Date(end).toISOString() };
  if (Date.parse(asked.start) >= end) return null;
  return Date.parse(asked.end) <= end ? asked : { ...asked, end: new Date(end).toISOString() };
}
