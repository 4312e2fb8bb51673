import {
  checkPolicyText,
  CompiledPolicySet,
  decide,
  type PolicyContextInput,
  type PolicyPrincipal,
  type PolicyResource,
} from './cedar';
import { GATEHOUSE_SCHEMA_JSON } from './schema';
import { WORKED_POLICIES } from './worked-policies';

const person = (id: string, over: Partial<PolicyPrincipal> = {}): PolicyPrincipal => ({
  id,
  email: `${id}@example.com`,
  groups: [],
  roles: [],
  department: null,
  manager: null,
  active: true,
  ...over,
});

const entitlement = (appId: string, entitlementId: string, kind = 'permission'): PolicyResource => ({
  appId,
  appName: appId,
  entitlementId,
  name: entitlementId,
  kind,
});

const setOf = (docs: Record<string, string>, revision = 1) =>
  new CompiledPolicySet(Object.entries(docs).map(([id, cedar]) => ({ id, revision, cedar })));

describe('checkPolicyText', () => {
  test('a syntax error is reported at its line and column', () => {
    const text = '@advice("x")\npermit (\n  principal,\n  action == Gatehouse::Action::"Request"\n  resource\n);';
    const { diagnostics } = checkPolicyText(text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ line: 5, column: 3 });
    expect(diagnostics[0].message).toMatch(/unexpected token `resource`/);
  });

  test('an unknown attribute is a schema error at the line of the attribute, naming the policy', () => {
    const text = `${WORKED_POLICIES.baseline}\n\nforbid (principal, action, resource)\nwhen {\n  principal.title == "intern"\n};`;
    const { diagnostics } = checkPolicyText(text);
    expect(diagnostics).toEqual([
      expect.objectContaining({ line: 6, column: 3, policy: 1, message: expect.stringMatching(/attribute `title`/) }),
    ]);
  });

  test('a type error (a Long compared with a String) is refused', () => {
    const { diagnostics } = checkPolicyText(
      'permit (principal, action == Gatehouse::Action::"Request", resource) when { context.hour == "nine" };',
    );
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0].line).toBe(1);
  });

  test('an attribute the schema marks optional must be tested with `has` first', () => {
    const { diagnostics } = checkPolicyText(
      'permit (principal, action == Gatehouse::Action::"AutoApprove", resource) when { context.durationSeconds < 60 };',
    );
    expect(diagnostics[0]?.message).toMatch(/durationSeconds/);
  });

  test('an unknown action or entity type is refused', () => {
    expect(
      checkPolicyText('permit (principal, action == Gatehouse::Action::"Approve", resource);').diagnostics,
    ).not.toEqual([]);
    expect(checkPolicyText('permit (principal in Gatehouse::Team::"a", action, resource);').diagnostics).not.toEqual(
      [],
    );
  });

  test('templates are refused', () => {
    const { diagnostics } = checkPolicyText('permit (principal == ?principal, action, resource);');
    expect(diagnostics[0].message).toMatch(/templates/);
  });

  test('text nested deeper than Cedar can safely parse is refused before it reaches Cedar, which keeps working', () => {
    const deep = `${WORKED_POLICIES.baseline}\nforbid (principal, action, resource)\nwhen { ${'{a: '.repeat(200)}1${'}'.repeat(200)} == {} };`;
    const { diagnostics } = checkPolicyText(deep);
    expect(diagnostics).toEqual([expect.objectContaining({ line: 4, message: expect.stringMatching(/nested/) })]);
    // Brackets inside strings and comments do not count.
    const quoted = `// ${'('.repeat(100)}\npermit (principal, action, resource) when { context.reason == "${'['.repeat(100)}" };`;
    expect(checkPolicyText(quoted).diagnostics).toEqual([]);
    expect(checkPolicyText(WORKED_POLICIES.prodAdmin).diagnostics).toEqual([]);
    // A long chain of operators in one policy, too; the same number spread over policies is fine.
    const chain = (n: number) => `permit (principal, action, resource) when { ${Array(n).fill('1').join(' + ')} > 0 };`;
    expect(checkPolicyText(chain(600)).diagnostics).toEqual([
      expect.objectContaining({ line: 1, message: expect.stringMatching(/operators/) }),
    ]);
    expect(checkPolicyText(`${chain(100)}\n${chain(100)}`).diagnostics).toEqual([]);
    expect(checkPolicyText(WORKED_POLICIES.baseline).diagnostics).toEqual([]);
  });

  test('every worked policy validates', () => {
    for (const [name, text] of Object.entries(WORKED_POLICIES)) {
      expect({ name, ...checkPolicyText(text) }).toEqual({ name, diagnostics: [], warnings: [] });
    }
  });

  test('the schema is published in JSON form', () => {
    expect(Object.keys(GATEHOUSE_SCHEMA_JSON.Gatehouse.entityTypes).sort()).toEqual([
      'App',
      'Entitlement',
      'Group',
      'User',
    ]);
    expect(Object.keys(GATEHOUSE_SCHEMA_JSON.Gatehouse.actions).sort()).toEqual([
      'AutoApprove',
      'BreakGlass',
      'Request',
    ]);
  });
});

describe('decide', () => {
  const hour = 3600;
  const ctx = (over: PolicyContextInput = {}): PolicyContextInput => ({
    durationSeconds: hour,
    reason: 'work',
    ...over,
  });

  test('without any policy everyone may request and nobody is auto-approved or may break glass', () => {
    const d = decide(setOf({}), person('ann'), entitlement('github', 'admin'), ctx());
    expect(d.request).toEqual({ allowed: true, policies: [], byDefault: true });
    expect(d.autoApprove).toEqual({ allowed: false, policies: [], byDefault: true });
    expect(d.breakGlass).toEqual({ allowed: false, policies: [], byDefault: true });
  });

  test('engineers may request read access (and, with only that policy, nothing else is requestable)', () => {
    const set = setOf({ 'engineers-read': WORKED_POLICIES.engineersRead });
    const engineer = person('ann', { groups: ['engineering'] });
    const read = decide(set, engineer, entitlement('github', 'repo-read'), ctx());
    expect(read.request).toMatchObject({
      allowed: true,
      byDefault: false,
      policies: [
        {
          id: 'engineers-read',
          revision: 1,
          policyId: 'engineers-read#0',
          advice: 'Engineers may request read access.',
        },
      ],
    });
    expect(decide(set, engineer, entitlement('github', 'repo-write'), ctx()).request.allowed).toBe(false);
    expect(
      decide(set, person('sam', { groups: ['sales'] }), entitlement('github', 'repo-read'), ctx()).request,
    ).toEqual({
      allowed: false,
      policies: [],
      byDefault: false,
    });
    // The set says nothing about auto-approval: its default (never) stands.
    expect(decide(set, engineer, entitlement('github', 'repo-read'), ctx()).autoApprove.byDefault).toBe(true);
  });

  test('production admin needs on-call, and auto-approves for up to one hour', () => {
    const set = setOf({ baseline: WORKED_POLICIES.baseline, 'prod-admin': WORKED_POLICIES.prodAdmin });
    const prodAdmin = entitlement('aws', 'prod-admin', 'role');
    const ann = person('ann', { groups: ['engineering'] });
    const off = decide(set, ann, prodAdmin, ctx());
    expect(off.request.allowed).toBe(false);
    expect(off.request.policies).toEqual([
      expect.objectContaining({ policyId: 'prod-admin#0', advice: expect.stringMatching(/on call/) }),
    ]);
    expect(off.autoApprove.allowed).toBe(false);

    const onCall = decide(set, ann, prodAdmin, ctx({ onCallFor: ['payments'] }));
    expect(onCall.request).toMatchObject({ allowed: true, policies: [expect.objectContaining({ id: 'baseline' })] });
    expect(onCall.autoApprove).toMatchObject({
      allowed: true,
      policies: [expect.objectContaining({ policyId: 'prod-admin#1' })],
    });
    // Longer than an hour, or indefinite: allowed to ask, but approvers decide.
    expect(
      decide(set, ann, prodAdmin, ctx({ onCallFor: ['payments'], durationSeconds: 2 * hour })).autoApprove.allowed,
    ).toBe(false);
    expect(
      decide(set, ann, prodAdmin, ctx({ onCallFor: ['payments'], durationSeconds: null })).autoApprove.allowed,
    ).toBe(false);
    // Other entitlements are untouched by it.
    expect(decide(set, ann, entitlement('aws', 'billing-read'), ctx()).request.allowed).toBe(true);
  });

  test('contractors may not request finance apps; everyone else may', () => {
    const set = setOf({
      baseline: WORKED_POLICIES.baseline,
      'no-contractors-finance': WORKED_POLICIES.contractorsNoFinance,
    });
    const contractor = person('cy', { groups: ['contractors', 'engineering'] });
    const ledger = entitlement('finance', 'ledger-read');
    expect(decide(set, contractor, ledger, ctx()).request).toMatchObject({
      allowed: false,
      policies: [{ id: 'no-contractors-finance', advice: 'Contractors cannot request access to finance systems.' }],
    });
    expect(decide(set, contractor, entitlement('github', 'repo-read'), ctx()).request.allowed).toBe(true);
    expect(decide(set, person('fay', { groups: ['finance'] }), ledger, ctx()).request.allowed).toBe(true);
  });

  test('SREs may break glass with a reason, for at most four hours', () => {
    const set = setOf({ 'sre-break-glass': WORKED_POLICIES.sreBreakGlass });
    const sre = person('sid', { groups: ['sre'] });
    const db = entitlement('aws', 'db-admin', 'role');
    expect(decide(set, sre, db, ctx()).breakGlass).toMatchObject({
      allowed: true,
      policies: [{ id: 'sre-break-glass', policyId: 'sre-break-glass#0' }],
    });
    expect(decide(set, sre, db, ctx({ reason: '' })).breakGlass.allowed).toBe(false);
    expect(decide(set, sre, db, ctx({ durationSeconds: 5 * hour })).breakGlass.allowed).toBe(false);
    expect(decide(set, person('ann', { groups: ['engineering'] }), db, ctx()).breakGlass.allowed).toBe(false);
    // A set about break-glass only leaves requests as they were: open to all.
    expect(decide(set, person('ann'), db, ctx()).request).toEqual({ allowed: true, policies: [], byDefault: true });
  });

  test("managers' requests for their reports' team groups are auto-approved, not other kinds or other requesters", () => {
    const set = setOf({ 'managers-team-groups': WORKED_POLICIES.managersTeamGroups });
    const report = person('rui', { manager: 'mia' });
    const team = entitlement('slack', 'team-payments', 'group');
    const asManager = ctx({ onBehalfOf: true, requesterIsManager: true });
    expect(decide(set, report, team, asManager).autoApprove).toMatchObject({
      allowed: true,
      policies: [{ id: 'managers-team-groups', advice: expect.stringMatching(/manager/) }],
    });
    expect(decide(set, report, entitlement('slack', 'workspace-admin', 'role'), asManager).autoApprove.allowed).toBe(
      false,
    );
    expect(decide(set, report, team, ctx({ onBehalfOf: true })).autoApprove.allowed).toBe(false);
    expect(decide(set, report, team, ctx()).autoApprove.allowed).toBe(false);
  });

  test('the preparsed set decides as the parsed one, and a principal without optional attributes evaluates', () => {
    const docs = { baseline: WORKED_POLICIES.baseline, 'prod-admin': WORKED_POLICIES.prodAdmin };
    const cached = setOf(docs).preparse('spec-cache');
    const plain = setOf(docs);
    for (const onCallFor of [[], ['payments']]) {
      const args = [
        person('ann', { department: 'eng', manager: 'mia' }),
        entitlement('aws', 'prod-admin'),
        ctx({ onCallFor }),
      ] as const;
      expect(decide(cached, ...args)).toEqual(decide(plain, ...args));
    }
  });
});
