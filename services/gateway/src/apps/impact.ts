/**
 * What a change to an app would do, before it is saved: per approval step (the app's and each
 * entitlement's own) the people who become approvers and who stop being approvers, and the open tickets
 * it concerns. Pure: the caller resolves approver rules to people and finds the open tickets.
 */
import { approverRulesOf, managerLevel, type AccessPolicy, type App, type ApprovalStepPolicy } from '@gatehouse/domain';

/** How many people or ticket ids an answer lists at most; counts are always whole. */
export const IMPACT_LIST_LIMIT = 50;

export interface Person {
  id: string;
  name: string | null;
  roles: string[];
  groups: string[];
}

export interface PeopleDelta {
  count: number;
  /** The first `IMPACT_LIST_LIMIT`, by id. */
  people: { id: string; name: string | null }[];
}

export interface StepImpact {
  /** `app`: the app's policy; `entitlement`: the steps a ticket for that entitlement alone runs. */
  scope: 'app' | 'entitlement';
  entitlementId: string | null;
  /** 0-based position; steps are compared by position. */
  index: number;
  name: string;
  change: 'added' | 'removed' | 'changed';
  becomeApprovers: PeopleDelta;
  stopApprovers: PeopleDelta;
  /** `manager`/`manager:2` rules the new step names: resolved per ticket from the beneficiary's manager. */
  perTicketRules: string[];
}

export interface ListDelta {
  added: string[];
  changed: string[];
  removed: string[];
}

export interface AppImpact {
  appId: string;
  /** false: the app does not exist yet, and everything is described as added. */
  exists: boolean;
  changes: { name: boolean; connector: boolean; policy: boolean; entitlements: ListDelta; licenses: ListDelta };
  steps: StepImpact[];
  /** Pending tickets for an entitlement whose approval steps change or that is removed. */
  openTickets: { count: number; ids: string[] };
  /** One line per fact, for people: "14 people become approvers of GitHub step 1 (Team lead)". */
  summary: string[];
}

/** JSON with sorted keys: the stored app and a client's body may order an object's keys differently. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** Who may approve a step, as rules: its approvers and its fallback approvers (once it escalated). */
const stepRules = (s: ApprovalStepPolicy | undefined) => (s ? [...s.approvers, ...(s.escalateTo ?? [])] : []);

/** What decides who approves a step: a step differing elsewhere (a reminder delay) is not an approver change. */
const approvalKey = (steps: ApprovalStepPolicy[]) =>
  JSON.stringify(steps.map((s) => [s.name, s.approvers, s.minApprovals, s.escalateTo ?? []]));

/** The steps a ticket for this entitlement alone runs: its own, or the app's. */
function effectiveSteps(app: App | null, entitlementId: string): ApprovalStepPolicy[] | null {
  const e = app?.entitlements.find((x) => x.id === entitlementId);
  if (!app || !e) return null;
  return e.policy?.approval?.steps ?? app.policy.approval.steps;
}

function listDelta<T extends { id: string }>(before: T[], after: T[]): ListDelta {
  const old = new Map(before.map((x) => [x.id, x]));
  const now = new Set(after.map((x) => x.id));
  return {
    added: after.filter((x) => !old.has(x.id)).map((x) => x.id),
    changed: after.filter((x) => old.has(x.id) && !same(old.get(x.id), x)).map((x) => x.id),
    removed: before.filter((x) => !now.has(x.id)).map((x) => x.id),
  };
}

interface ComparedSteps {
  scope: 'app' | 'entitlement';
  entitlementId: string | null;
  before: ApprovalStepPolicy[];
  after: ApprovalStepPolicy[];
}

/** The step lists to compare: the app's, and each entitlement's that has steps of its own before or after. */
function comparedSteps(before: App | null, after: App): ComparedSteps[] {
  const lists: ComparedSteps[] = [
    {
      scope: 'app',
      entitlementId: null,
      before: before?.policy.approval.steps ?? [],
      after: after.policy.approval.steps,
    },
  ];
  const ownSteps = (app: App | null) =>
    new Set((app?.entitlements ?? []).filter((e) => e.policy?.approval).map((e) => e.id));
  const ids = new Set([...ownSteps(before), ...ownSteps(after)]);
  for (const id of ids) {
    lists.push({
      scope: 'entitlement',
      entitlementId: id,
      before: effectiveSteps(before, id) ?? [],
      after: effectiveSteps(after, id) ?? [],
    });
  }
  return lists;
}

/** The rules that name people directly (`user:`, `group:`, `role:`) of every step that changed. */
export function rulesToResolve(before: App | null, after: App): string[] {
  const rules = new Set<string>();
  for (const list of comparedSteps(before, after)) {
    for (let i = 0; i < Math.max(list.before.length, list.after.length); i++) {
      if (same(list.before[i], list.after[i])) continue;
      for (const r of [...stepRules(list.before[i]), ...stepRules(list.after[i])])
        if (managerLevel(r) === null) rules.add(r);
    }
  }
  return [...rules];
}

/** Entitlements whose open tickets the change concerns: removed, or asking other approvers now. */
export function concernedEntitlements(before: App | null, after: App): string[] {
  if (!before) return [];
  return before.entitlements
    .map((e) => e.id)
    .filter((id) => {
      const now = effectiveSteps(after, id);
      return now === null || approvalKey(now) !== approvalKey(effectiveSteps(before, id)!);
    });
}

function delta(people: Person[]): PeopleDelta {
  const sorted = [...people].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { count: sorted.length, people: sorted.slice(0, IMPACT_LIST_LIMIT).map((p) => ({ id: p.id, name: p.name })) };
}

const peopleText = (n: number) => (n === 1 ? '1 person' : `${n} people`);

function stepLabel(app: App, before: App | null, s: StepImpact): string {
  const e = s.entitlementId
    ? (app.entitlements.find((x) => x.id === s.entitlementId) ??
      before?.entitlements.find((x) => x.id === s.entitlementId))
    : null;
  return `${app.name}${e ? ` / ${e.name}` : ''} step ${s.index + 1} (${s.name})`;
}

/** The policy's settings other than its approval steps (which `steps` describes) that differ. */
function policySettingsChanged(before: AccessPolicy | undefined, after: AccessPolicy): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  keys.delete('approval');
  const at = (p: AccessPolicy | undefined, k: string) => (p as Record<string, unknown> | undefined)?.[k];
  return [...keys].sort().filter((k) => !same(at(before, k), at(after, k)));
}

function summarize(impact: Omit<AppImpact, 'summary'>, before: App | null, after: App): string[] {
  const lines: string[] = [];
  const { entitlements } = impact.changes;
  if (!impact.exists) {
    const steps = after.policy.approval.steps.length;
    lines.push(
      `${after.name} is new: ${after.entitlements.length} entitlement(s), ${steps} approval step(s) in its policy`,
    );
  } else {
    if (before && before.name !== after.name) lines.push(`renames ${before.name} to ${after.name}`);
    if (impact.changes.connector) lines.push('changes the connector settings');
    if (entitlements.added.length) lines.push(`adds entitlement(s) ${entitlements.added.join(', ')}`);
    if (entitlements.changed.length) lines.push(`changes entitlement(s) ${entitlements.changed.join(', ')}`);
    if (entitlements.removed.length) lines.push(`removes entitlement(s) ${entitlements.removed.join(', ')}`);
    const { licenses } = impact.changes;
    const licenseIds = [...licenses.added, ...licenses.changed, ...licenses.removed];
    if (licenseIds.length) lines.push(`changes license(s) ${licenseIds.join(', ')}`);
    const limits = policySettingsChanged(before?.policy, after.policy);
    if (limits.length) lines.push(`changes the policy's ${limits.join(', ')}`);
  }
  for (const s of impact.steps) {
    const where = stepLabel(after, before, s);
    const n = s.becomeApprovers.count;
    if (n) lines.push(`makes ${n === 1 ? '1 person an approver' : `${n} people approvers`} of ${where}`);
    if (s.stopApprovers.count) lines.push(`removes ${peopleText(s.stopApprovers.count)} from ${where}`);
    if (s.perTicketRules.length)
      lines.push(`${where} names ${s.perTicketRules.join(', ')}: resolved for each ticket from the directory`);
    if (s.change === 'added' && !s.becomeApprovers.count && !s.perTicketRules.length)
      lines.push(`nobody in the directory can approve ${where}`);
  }
  if (impact.openTickets.count) {
    const n = impact.openTickets.count;
    lines.push(`${n} open ticket${n === 1 ? ' is' : 's are'} affected (they keep the approvers they were raised with)`);
  }
  return lines;
}

/**
 * The impact of replacing `before` (null: a new app) with `after`. `people` are the directory users some
 * rule of `rulesToResolve` names; `openTickets` the pending tickets of `concernedEntitlements`.
 */
export function appImpact(
  before: App | null,
  after: App,
  people: Person[],
  openTickets: { count: number; ids: string[] },
): AppImpact {
  const satisfied = new Map(people.map((p) => [p.id, new Set(approverRulesOf(p))]));
  const approversOf = (step: ApprovalStepPolicy | undefined) => {
    const rules = stepRules(step);
    return new Set(people.filter((p) => rules.some((r) => satisfied.get(p.id)!.has(r))).map((p) => p.id));
  };
  const steps: StepImpact[] = [];
  for (const list of comparedSteps(before, after)) {
    for (let index = 0; index < Math.max(list.before.length, list.after.length); index++) {
      const [old, now] = [list.before[index], list.after[index]];
      if (same(old, now)) continue;
      const [was, will] = [approversOf(old), approversOf(now)];
      steps.push({
        scope: list.scope,
        entitlementId: list.entitlementId,
        index,
        name: (now ?? old)!.name,
        change: !old ? 'added' : !now ? 'removed' : 'changed',
        becomeApprovers: delta(people.filter((p) => will.has(p.id) && !was.has(p.id))),
        stopApprovers: delta(people.filter((p) => was.has(p.id) && !will.has(p.id))),
        perTicketRules: [...new Set(stepRules(now).filter((r) => managerLevel(r) !== null))],
      });
    }
  }
  const impact = {
    appId: after.id,
    exists: before !== null,
    changes: {
      name: before?.name !== after.name,
      connector: !same(before?.connector, after.connector),
      policy: !same(before?.policy, after.policy),
      entitlements: listDelta(before?.entitlements ?? [], after.entitlements),
      licenses: listDelta(before?.licenses ?? [], after.licenses),
    },
    steps,
    openTickets,
  };
  return { ...impact, summary: summarize(impact, before, after) };
}
