/**
 * Approver rules that name a person through the directory: `manager` (the beneficiary's manager) and
 * `manager:2` (that manager's manager). The gateway resolves them when a ticket is created, to concrete
 * `user:<id>` rules, so a ticket's workflow input names its approvers and a replay never reads the
 * directory. A step left with nobody falls back to its `escalateTo` rules; without them the ticket is
 * refused (`NO_ELIGIBLE_APPROVER`), so no ticket is ever created that nobody can approve.
 */
import type { AccessPolicy, ApprovalStepPolicy } from './app';
import type { PolicyFlag } from './policy';

/** What a step's `approvers` and `escalateTo` accept: `user:`, `group:`, `role:` rules, `manager`, `manager:2`. */
export const APPROVER_RULE_PATTERN = /^((user|group|role):[A-Za-z0-9][A-Za-z0-9._@-]{0,127}|manager(:2)?)$/;

/** How far up the manager chain a rule reaches: 1 for `manager`, 2 for `manager:2`, null for any other rule. */
export function managerLevel(rule: string): 1 | 2 | null {
  if (rule === 'manager') return 1;
  if (rule === 'manager:2') return 2;
  return null;
}

/** The highest manager level any step of the policy names (0: none), so the caller reads no more of the directory. */
export function managerLevelsUsed(policy: AccessPolicy): number {
  const rules = policy.approval.steps.flatMap((s) => [...s.approvers, ...(s.escalateTo ?? [])]);
  return Math.max(0, ...rules.map((r) => managerLevel(r) ?? 0));
}

/** One manager of the chain as the directory knows them. */
export interface DirectoryManager {
  id: string;
  /** false: a leaver, who approves nothing. */
  active: boolean;
}

export interface ApproverContext {
  requesterId: string;
  beneficiaryId: string;
  /** The beneficiary's managers, nearest first: `[manager, manager's manager]`, as far as the chain goes. */
  managers: DirectoryManager[];
}

/** Why a manager level gives no approver, for the flag's message; null when it gives one. */
function ineligibility(level: 1 | 2, ctx: ApproverContext): string | null {
  const who = level === 1 ? 'manager' : "manager's manager";
  const m = ctx.managers[level - 1];
  if (!m) return `the beneficiary has no ${who} in the directory`;
  if (!m.active) return `the beneficiary's ${who} (${m.id}) is no longer active`;
  if (m.id === ctx.beneficiaryId) return `the beneficiary's ${who} is the beneficiary`;
  if (m.id === ctx.requesterId) return `the beneficiary's ${who} (${m.id}) is the requester`;
  return null;
}

/** Concrete rules for a list of rules, and why each manager rule that gave nobody did so. */
function resolveRules(rules: string[], ctx: ApproverContext): { rules: string[]; reasons: string[] } {
  const out: string[] = [];
  const reasons: string[] = [];
  for (const rule of rules) {
    const level = managerLevel(rule);
    if (level === null) out.push(rule);
    else {
      const reason = ineligibility(level, ctx);
      if (reason) reasons.push(reason);
      else out.push(`user:${ctx.managers[level - 1].id}`);
    }
  }
  return { rules: [...new Set(out)], reasons };
}

/**
 * The policy a new ticket runs with: every `manager` rule replaced by the manager it names (or dropped
 * when that person is missing, inactive, the beneficiary or the requester). A step left with no rule
 * takes its resolved `escalateTo` as its approvers (there is then nothing left to escalate to); a step
 * with neither gets a `NO_ELIGIBLE_APPROVER` flag.
 */
export function resolveApproverRules(
  policy: AccessPolicy,
  ctx: ApproverContext,
): { policy: AccessPolicy; flags: PolicyFlag[] } {
  const flags: PolicyFlag[] = [];
  const steps = policy.approval.steps.map((step, i): ApprovalStepPolicy => {
    const approvers = resolveRules(step.approvers, ctx);
    const escalateTo = resolveRules(step.escalateTo ?? [], ctx);
    const { escalateAfterSeconds: _after, escalateTo: _to, ...rest } = step;
    if (approvers.rules.length) {
      return {
        ...rest,
        approvers: approvers.rules,
        ...(step.escalateAfterSeconds !== undefined && escalateTo.rules.length
          ? { escalateAfterSeconds: step.escalateAfterSeconds, escalateTo: escalateTo.rules }
          : {}),
      };
    }
    if (escalateTo.rules.length) return { ...rest, approvers: escalateTo.rules };
    const why = [...new Set([...approvers.reasons, ...escalateTo.reasons])];
    flags.push({
      code: 'NO_ELIGIBLE_APPROVER',
      message: `Nobody can approve step ${i + 1} (${step.name})${why.length ? `: ${why.join('; ')}` : ''}, and it has no other approver to fall back on.`,
      field: `policy.approval.steps[${i}]`,
    });
    return { ...rest, approvers: [] };
  });
  return { policy: { ...policy, approval: { ...policy.approval, steps } }, flags };
}
