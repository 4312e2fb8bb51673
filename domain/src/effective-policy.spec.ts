import type { App, ApprovalStepPolicy } from './app';
import { effectivePolicy, onCallSchedules } from './effective-policy';
import { evaluateRequest } from './policy';

const manager: ApprovalStepPolicy = { name: 'Manager', approvers: ['manager'], minApprovals: 1 };
const security: ApprovalStepPolicy = { name: 'Security', approvers: ['group:security'], minApprovals: 1 };
const owner: ApprovalStepPolicy = { name: 'Owner', approvers: ['user:olga'], minApprovals: 1 };

const app: App = {
  id: 'aws',
  name: 'AWS',
  connector: { type: 'demo', config: {} },
  licenses: [],
  entitlements: [
    { id: 'read', kind: 'role', name: 'Read' },
    {
      id: 'admin',
      kind: 'role',
      name: 'Admin',
      policy: { maxDurationSeconds: 3600, approval: { steps: [{ ...manager }, security] } },
    },
    { id: 'billing', kind: 'role', name: 'Billing', policy: { requireReason: true, approval: { steps: [owner] } } },
    { id: 'audit', kind: 'role', name: 'Audit', policy: { allowIndefinite: false } },
  ],
  policy: { maxDurationSeconds: 86400, approval: { steps: [manager] } },
};

describe('effectivePolicy', () => {
  test('without entitlement policies the ticket runs with the app policy itself', () => {
    const { policy, explanation, combined } = effectivePolicy(app, ['read']);
    expect(policy).toBe(app.policy);
    expect(combined).toBe(false);
    expect(explanation).toEqual({
      maxDurationSeconds: { value: 86400, from: ['app'] },
      steps: [{ name: 'Manager', from: ['app'] }],
    });
  });

  test('an entitlement inherits every field its policy leaves out', () => {
    const { policy, explanation } = effectivePolicy(app, ['audit']);
    expect(policy).toEqual({ maxDurationSeconds: 86400, allowIndefinite: false, approval: { steps: [manager] } });
    expect(explanation.maxDurationSeconds).toEqual({ value: 86400, from: ['app'] });
    expect(explanation.allowIndefinite).toEqual({ value: false, from: ['audit'] });
    expect(explanation.steps).toEqual([{ name: 'Manager', from: ['app'] }]);
  });

  test('the strictest limit wins, and names every source asking for it', () => {
    const { policy, explanation } = effectivePolicy(app, ['read', 'admin', 'billing', 'audit']);
    expect(policy.maxDurationSeconds).toBe(3600);
    expect(policy.requireReason).toBe(true);
    expect(policy.allowIndefinite).toBe(false);
    expect(explanation.maxDurationSeconds).toEqual({ value: 3600, from: ['admin'] });
    expect(explanation.requireReason).toEqual({ value: true, from: ['billing'] });
    expect(explanation.allowIndefinite).toEqual({ value: false, from: ['audit'] });
  });

  test('a limit set nowhere stays unset; a defaulted one compares against its default', () => {
    const withWindows: App = {
      ...app,
      entitlements: [
        { id: 'a', kind: 'role', name: 'A', policy: { reraiseWindowSeconds: 30 * 86400, expiryNoticeSeconds: 3600 } },
        { id: 'b', kind: 'role', name: 'B' },
      ],
    };
    const { policy, explanation } = effectivePolicy(withWindows, ['a', 'b']);
    expect(policy.pendingTimeoutSeconds).toBeUndefined();
    expect('pendingTimeoutSeconds' in explanation).toBe(false);
    // The app's 7-day default window is shorter than 30 days; its 1-day default notice is earlier than 1 hour.
    expect(explanation.reraiseWindowSeconds).toEqual({ value: 7 * 86400, from: ['app'] });
    expect(explanation.expiryNoticeSeconds).toEqual({ value: 86400, from: ['app'] });
  });

  test('steps follow the app order of the entitlements, duplicates merged into the first', () => {
    const { policy, explanation } = effectivePolicy(app, ['billing', 'admin', 'read']);
    expect(policy.approval.steps).toEqual([manager, security, owner]);
    expect(explanation.steps).toEqual([
      { name: 'Manager', from: ['app', 'admin'] },
      { name: 'Security', from: ['admin'] },
      { name: 'Owner', from: ['billing'] },
    ]);
  });

  test('steps with the same name but other approvers or quorum are not duplicates', () => {
    const strict: App = {
      ...app,
      entitlements: [
        { id: 'x', kind: 'role', name: 'X', policy: { approval: { steps: [{ ...manager, minApprovals: 2 }] } } },
        { id: 'y', kind: 'role', name: 'Y', policy: { approval: { steps: [{ ...manager, approvers: ['user:bo'] }] } } },
        { id: 'z', kind: 'role', name: 'Z', policy: { approval: { steps: [{ ...manager }] } } },
      ],
    };
    expect(effectivePolicy(strict, ['x', 'y', 'z']).policy.approval.steps).toHaveLength(3);
  });

  test('a repeated step within one policy stays as configured', () => {
    const twice: App = { ...app, policy: { approval: { steps: [manager, manager] } } };
    const withEntitlementPolicy: App = {
      ...twice,
      entitlements: [...twice.entitlements.slice(0, 1), { id: 'audit', kind: 'role', name: 'Audit', policy: {} }],
    };
    expect(effectivePolicy(withEntitlementPolicy, ['read', 'audit']).policy.approval.steps).toEqual([manager, manager]);
  });

  test('evaluateRequest checks a request against its entitlements’ combined policy', () => {
    const now = new Date('2026-12-01T09:00:00Z');
    const duration = { type: 'limited' as const, start: now.toISOString(), end: '2026-12-01T11:00:00Z' };
    const evaluate = (ids: string[]) =>
      evaluateRequest(
        { changes: ids.map((entitlementId) => ({ op: 'add' as const, entitlementId })), duration },
        { app, now, holds: () => false },
      ).map((f) => f.code);
    expect(evaluate(['read'])).toEqual([]);
    expect(evaluate(['read', 'admin'])).toEqual(['MAX_DURATION_EXCEEDED']);
    expect(evaluate(['billing'])).toEqual(['REASON_REQUIRED']);
  });
});

describe('onCallSchedules', () => {
  const paged: App = {
    ...app,
    policy: { ...app.policy, onCall: { schedules: ['PAPP'] } },
    entitlements: [
      ...app.entitlements,
      { id: 'oncall', kind: 'role', name: 'On call', policy: { onCall: { schedules: ['PENT1', 'PENT2'] } } },
      { id: 'nobody', kind: 'role', name: 'Nobody', policy: { onCall: { schedules: [] } } },
    ],
  };

  test("an entitlement's own schedules replace its app's; without its own it has the app's", () => {
    expect(onCallSchedules(paged, 'oncall')).toEqual(['PENT1', 'PENT2']);
    expect(onCallSchedules(paged, 'nobody')).toEqual([]);
    expect(onCallSchedules(paged, 'admin')).toEqual(['PAPP']);
  });

  test('neither sets any: undefined, so the gateway setting applies; the combined policy never carries them', () => {
    expect(onCallSchedules(app, 'admin')).toBeUndefined();
    expect(effectivePolicy(paged, ['oncall', 'admin']).policy.onCall).toBeUndefined();
  });
});
