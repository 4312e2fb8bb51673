import type { AccessPolicy, ApprovalStepPolicy } from './app';
import { APPROVER_RULE_PATTERN, managerLevelsUsed, resolveApproverRules } from './approver-rules';

const policy = (...steps: ApprovalStepPolicy[]): AccessPolicy => ({ approval: { steps } });
const step = (approvers: string[], extra: Partial<ApprovalStepPolicy> = {}): ApprovalStepPolicy => ({
  name: 'Lead',
  approvers,
  minApprovals: 1,
  ...extra,
});
const ctx = (managers: { id: string; active?: boolean }[], requesterId = 'alice', beneficiaryId = 'alice') => ({
  requesterId,
  beneficiaryId,
  managers: managers.map((m) => ({ id: m.id, active: m.active ?? true })),
});

describe('approver rules naming managers', () => {
  test('the pattern takes manager and manager:2 beside user, group and role rules, nothing else', () => {
    for (const ok of ['manager', 'manager:2', 'user:carol', 'group:it-admins', 'role:admin'])
      expect(APPROVER_RULE_PATTERN.test(ok)).toBe(true);
    for (const bad of ['manager:3', 'manager:', 'managers', 'carol', 'user:'])
      expect(APPROVER_RULE_PATTERN.test(bad)).toBe(false);
  });

  test('only as much of the chain is read as the policy names', () => {
    expect(managerLevelsUsed(policy(step(['user:carol'])))).toBe(0);
    expect(managerLevelsUsed(policy(step(['manager'])))).toBe(1);
    expect(managerLevelsUsed(policy(step(['user:carol'], { escalateTo: ['manager:2'] })))).toBe(2);
  });

  test('manager and manager:2 become the people they name; other rules stay as they are', () => {
    const { policy: resolved, flags } = resolveApproverRules(
      policy(step(['manager', 'group:it-admins']), step(['manager:2'])),
      ctx([{ id: 'mia' }, { id: 'max' }]),
    );
    expect(flags).toEqual([]);
    expect(resolved.approval.steps.map((s) => s.approvers)).toEqual([['user:mia', 'group:it-admins'], ['user:max']]);
  });

  test('a step left with nobody takes its fallback approvers; without them the ticket is flagged', () => {
    const escalating = step(['manager'], { escalateAfterSeconds: 60, escalateTo: ['group:it-admins'] });
    const fallback = resolveApproverRules(policy(escalating), ctx([]));
    expect(fallback.flags).toEqual([]);
    expect(fallback.policy.approval.steps[0]).toEqual({
      name: 'Lead',
      approvers: ['group:it-admins'],
      minApprovals: 1,
    });

    const refused = resolveApproverRules(policy(step(['manager:2'])), ctx([{ id: 'mia' }]));
    expect(refused.flags).toEqual([expect.objectContaining({ code: 'NO_ELIGIBLE_APPROVER' })]);
    expect(refused.flags[0].message).toContain("no manager's manager");
  });

  test('a manager who is the beneficiary, the requester, or a leaver approves nothing', () => {
    const self = resolveApproverRules(policy(step(['manager'])), ctx([{ id: 'alice' }]));
    expect(self.flags[0]).toMatchObject({ code: 'NO_ELIGIBLE_APPROVER' });
    expect(self.flags[0].message).toContain('is the beneficiary');
    const requester = resolveApproverRules(policy(step(['manager'])), ctx([{ id: 'root' }], 'root', 'bob'));
    expect(requester.flags[0].message).toContain('is the requester');
    const leaver = resolveApproverRules(policy(step(['manager'])), ctx([{ id: 'mia', active: false }]));
    expect(leaver.flags[0].message).toContain('no longer active');
    // The leaver is skipped at their own level only: manager:2 still names the next one up.
    const second = resolveApproverRules(
      policy(step(['manager:2'])),
      ctx([{ id: 'mia', active: false }, { id: 'max' }]),
    );
    expect(second.policy.approval.steps[0].approvers).toEqual(['user:max']);
  });

  test('fallback approvers that name a manager resolve too, and keep their delay while the step has approvers', () => {
    const { policy: resolved } = resolveApproverRules(
      policy(step(['manager'], { escalateAfterSeconds: 60, escalateTo: ['manager:2'] })),
      ctx([{ id: 'mia' }, { id: 'max' }]),
    );
    expect(resolved.approval.steps[0]).toMatchObject({
      approvers: ['user:mia'],
      escalateAfterSeconds: 60,
      escalateTo: ['user:max'],
    });
  });
});
