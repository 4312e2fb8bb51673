/**
 * The policy a ticket runs with when its entitlements carry policies of their own (docs/policy.md,
 * "Per-entitlement policy"): each limit at its strictest, and the approval steps of every distinct
 * policy in turn. A ticket whose entitlements carry none runs with the app's policy object unchanged.
 */
import {
  DEFAULT_EXPIRY_NOTICE_SECONDS,
  DEFAULT_RERAISE_WINDOW_SECONDS,
  breakGlassLimits,
  type AccessPolicy,
  type App,
  type BreakGlassPolicy,
  type ApprovalStepPolicy,
  type Entitlement,
  type ExtensionPolicy,
} from './app';

/** Names the app's own policy as the source of a limit or step; any other source is an entitlement id. */
export const APP_POLICY_SOURCE = 'app';

// On-call is no limit: each entitlement is decided with its own schedules (`onCallSchedules`).
type Limits = Omit<AccessPolicy, 'approval' | 'onCall'>;
type LimitKey = keyof Limits;

interface LimitRule<T> {
  /** What an absent value means, when it is a limit of its own (a default); absent: no limit at all. */
  absent?: T;
  /** Whether `a` limits more than `b`. */
  stricter(a: T, b: T): boolean;
}

const shorter = (a: number, b: number) => a < b;

function stricterExtensions(a: ExtensionPolicy, b: ExtensionPolicy): boolean {
  const [aMax, bMax] = [a.max ?? Infinity, b.max ?? Infinity];
  const [aEach, bEach] = [a.maxSecondsEach ?? Infinity, b.maxSecondsEach ?? Infinity];
  if (aMax !== bMax) return aMax < bMax;
  if (aEach !== bEach) return aEach < bEach;
  return !a.autoApproveWithinMax && b.autoApproveWithinMax === true;
}

/** The shorter break-glass access, then the sooner review. */
function stricterBreakGlass(a: BreakGlassPolicy, b: BreakGlassPolicy): boolean {
  const [x, y] = [breakGlassLimits(a), breakGlassLimits(b)];
  if (x.maxSeconds !== y.maxSeconds) return x.maxSeconds < y.maxSeconds;
  return x.reviewWithinSeconds < y.reviewWithinSeconds;
}

/**
 * How every limit combines. Typed over every field of the policy, so a new limit does not compile until
 * it says which of two values is the stricter.
 */
const RULES: { [K in LimitKey]-?: LimitRule<NonNullable<Limits[K]>> } = {
  maxDurationSeconds: { stricter: shorter },
  allowIndefinite: { absent: true, stricter: (a, b) => !a && b },
  requireReason: { absent: false, stricter: (a, b) => a && !b },
  pendingTimeoutSeconds: { stricter: shorter },
  reraiseWindowSeconds: { absent: DEFAULT_RERAISE_WINDOW_SECONDS, stricter: shorter },
  // Not a limit but a notice: the earliest any entitlement asks for, so nobody is told later than promised.
  expiryNoticeSeconds: { absent: DEFAULT_EXPIRY_NOTICE_SECONDS, stricter: (a, b) => a > b },
  // One entitlement's extension limits as a whole: fewer extensions, then shorter ones, then no auto-approval.
  extensions: { stricter: stricterExtensions },
  // One entitlement's break-glass settings as a whole: shorter access, then a sooner review.
  breakGlass: { absent: {}, stricter: stricterBreakGlass },
};

export interface LimitSource<T> {
  value: T;
  /** Every source that asks for this value: entitlement ids (their own policy) and/or `'app'`. */
  from: string[];
}

/** Which entitlement contributed which limit and step: the `policy` of `POST /tickets/validate`. */
export type PolicyExplanation = { [K in LimitKey]?: LimitSource<NonNullable<Limits[K]>> } & {
  steps: { name: string; from: string[] }[];
};

export interface EffectivePolicy {
  policy: AccessPolicy;
  explanation: PolicyExplanation;
  /** Whether an entitlement brought a policy of its own; if not, `policy` is the app's policy object. */
  combined: boolean;
}

const sourceOf = (e: Entitlement, key: keyof AccessPolicy) =>
  e.policy?.[key] !== undefined ? e.id : APP_POLICY_SOURCE;

/** Stands in when no entitlement is involved: it has no policy, so everything comes from the app's. */
const NO_ENTITLEMENT: Entitlement = { id: '', kind: 'role', name: '' };

const uniqueSources = (sources: string[]) => [...new Set(sources)];

function combineLimit<K extends LimitKey>(
  key: K,
  app: App,
  entitlements: Entitlement[],
): LimitSource<NonNullable<Limits[K]>> | undefined {
  type T = NonNullable<Limits[K]>;
  const rule = RULES[key] as LimitRule<T>;
  const asked = entitlements.map((e) => ({ value: (e.policy?.[key] ?? app.policy[key]) as T | undefined, e }));
  if (asked.every((a) => a.value === undefined)) return undefined;
  const candidates = asked
    .map((a) => ({ value: a.value ?? rule.absent, from: sourceOf(a.e, key) }))
    .filter((c): c is { value: T; from: string } => c.value !== undefined);
  const value = candidates.reduce((best, c) => (rule.stricter(c.value, best) ? c.value : best), candidates[0].value);
  return { value, from: uniqueSources(candidates.filter((c) => c.value === value).map((c) => c.from)) };
}

/** Steps are duplicates when they name the same step with the same approvers (in any order) and quorum. */
function stepKey(step: ApprovalStepPolicy): string {
  return JSON.stringify([step.name, [...step.approvers].sort(), step.minApprovals]);
}

/**
 * The steps of every distinct step list in turn; a step equal to one an earlier list brought is merged
 * into it (the first one's reminders and escalation win). Repeats within one list stay as configured.
 */
function combineSteps(app: App, entitlements: Entitlement[]) {
  const lists: { steps: ApprovalStepPolicy[]; from: string[] }[] = [];
  for (const e of entitlements) {
    const steps = e.policy?.approval?.steps ?? app.policy.approval.steps;
    const list = lists.find((l) => l.steps === steps);
    if (list) list.from.push(sourceOf(e, 'approval'));
    else lists.push({ steps, from: [sourceOf(e, 'approval')] });
  }
  const merged: { step: ApprovalStepPolicy; from: string[]; list: number }[] = [];
  lists.forEach((list, index) => {
    for (const step of list.steps) {
      const same = merged.find((m) => m.list !== index && stepKey(m.step) === stepKey(step));
      if (same) same.from.push(...list.from);
      else merged.push({ step, from: [...list.from], list: index });
    }
  });
  return merged.map((m) => ({ step: m.step, from: uniqueSources(m.from) }));
}

/**
 * The PagerDuty schedules whose on-call people are on call for an entitlement of `app`: its own policy's
 * `onCall`, else the app's. Undefined when neither sets one (the gateway's setting then applies).
 */
export function onCallSchedules(app: App, entitlementId: string): string[] | undefined {
  const entitlement = app.entitlements.find((e) => e.id === entitlementId);
  return (entitlement?.policy?.onCall ?? app.policy.onCall)?.schedules;
}

/**
 * The policy of a ticket for `entitlementIds` of `app`, and where each of its limits and steps came
 * from. Entitlements are taken in the app's order, whatever the request's; unknown ids are ignored (the
 * caller refuses them).
 */
export function effectivePolicy(app: App, entitlementIds: readonly string[]): EffectivePolicy {
  const wanted = new Set(entitlementIds);
  const entitlements = app.entitlements.filter((e) => wanted.has(e.id));
  const contributors = entitlements.length ? entitlements : [NO_ENTITLEMENT];
  const steps = combineSteps(app, contributors);
  const explanation: PolicyExplanation = { steps: steps.map((s) => ({ name: s.step.name, from: s.from })) };
  const limits: Partial<Limits> = {};
  for (const key of Object.keys(RULES) as LimitKey[]) {
    const combined = combineLimit(key, app, contributors);
    if (!combined) continue;
    (explanation as Record<string, unknown>)[key] = combined;
    (limits as Record<string, unknown>)[key] = combined.value;
  }
  if (!contributors.some((e) => e.policy)) return { policy: app.policy, explanation, combined: false };
  return { policy: { ...limits, approval: { steps: steps.map((s) => s.step) } }, explanation, combined: true };
}
