/**
 * An entitlement's own policy: a ticket for it and a plain entitlement gets the shorter maximum and both
 * policies' approval steps (the step they share once), and `POST /tickets/validate` says which
 * entitlement asked for what. A ticket for the plain entitlement alone runs with the app's policy.
 */
import { eventually, uniqueId } from '../support/harness';
import { appBody, createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const alice = () => stack.as(users.alice);

const teamLead = { name: 'Team lead', approvers: ['user:carol', 'group:it-admins'], minApprovals: 1 };
const security = { name: 'Security', approvers: ['user:dave'], minApprovals: 1 };

/** The default test app (30-day maximum, reason required, one Team lead step), its maintainer stricter. */
async function appWithStrictMaintainer(): Promise<string> {
  const [team, maintainer, ...rest] = appBody().entitlements;
  return createApp(stack, {
    entitlements: [
      team,
      { ...maintainer, policy: { maxDurationSeconds: 2 * 3600, approval: { steps: [teamLead, security] } } },
      ...rest,
    ],
  });
}

const request = (appId: string, entitlementIds: string[], hours: number) => ({
  appId,
  changes: entitlementIds.map((entitlementId) => ({ op: 'add', entitlementId })),
  duration: { type: 'limited', end: inHours(hours) },
  reason: 'incident',
});

const stepNames = (ticket: { approval: { steps: { name: string }[] } }) => ticket.approval.steps.map((s) => s.name);

test('an entitlement policy is stored with the app', async () => {
  const appId = await appWithStrictMaintainer();
  const app = (await alice().get(`/apps/${appId}`)).body;
  const maintainer = app.entitlements.find((e: { id: string }) => e.id === 'maintainer');
  expect(maintainer.policy).toEqual({ maxDurationSeconds: 7200, approval: { steps: [teamLead, security] } });
});

test('a ticket for both entitlements gets the shorter maximum and both steps, the shared one once', async () => {
  const appId = await appWithStrictMaintainer();
  const both = ['engineering-team', 'maintainer'];

  const validated = await alice().post('/tickets/validate', request(appId, both, 3));
  expect(validated.status).toBe(200);
  expect(validated.body.ok).toBe(false);
  expect(validated.body.flags.map((f: { code: string }) => f.code)).toEqual(['MAX_DURATION_EXCEEDED']);
  expect(validated.body.policy).toEqual({
    maxDurationSeconds: { value: 7200, from: ['maintainer'] },
    requireReason: { value: true, from: ['app'] },
    steps: [
      { name: 'Team lead', from: ['app', 'maintainer'] },
      { name: 'Security', from: ['maintainer'] },
    ],
  });

  const tooLong = await alice().post('/tickets', request(appId, both, 3));
  expect([tooLong.status, tooLong.body.code, tooLong.body.flags?.[0]?.code]).toEqual([
    422,
    'POLICY_VIOLATION',
    'MAX_DURATION_EXCEEDED',
  ]);

  const created = await alice().post('/tickets', request(appId, both, 1));
  expect(created.status).toBe(201);
  expect(stepNames(created.body)).toEqual(['Team lead', 'Security']);

  // Both steps run: Team lead first, then Security's own approver.
  expect((await stack.as(users.carol).post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
  const atSecurity = (await alice().get(`/tickets/${created.body.id}`)).body;
  expect([atSecurity.status, atSecurity.approval.currentStep, atSecurity.approval.awaiting]).toEqual([
    'pending',
    1,
    ['user:dave'],
  ]);
  expect((await stack.as(users.dave).post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
  await eventually(
    async () => (await alice().get(`/tickets/${created.body.id}`)).body.access?.state === 'active',
    20_000,
    `${created.body.id} active`,
  );
});

test('a ticket for the plain entitlement alone keeps the app policy', async () => {
  const appId = await appWithStrictMaintainer();
  const plain = ['engineering-team'];

  const validated = await alice().post('/tickets/validate', request(appId, plain, 3));
  // Exactly the answer of an app without entitlement policies: no `policy` explanation.
  expect([validated.status, validated.body]).toEqual([200, { ok: true, flags: [] }]);

  const created = await alice().post('/tickets', request(appId, plain, 3));
  expect(created.status).toBe(201);
  expect(stepNames(created.body)).toEqual(['Team lead']);
});

test('an entitlement policy is validated like the app policy, errors naming the entitlement', async () => {
  const [team, maintainer] = appBody().entitlements;
  const put = (policy: object) =>
    stack.as(users.root).put(`/apps/${uniqueId('app-')}`, appBody({ entitlements: [team, { ...maintainer, policy }] }));

  const zero = await put({ maxDurationSeconds: 0 });
  expect([zero.status, zero.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  const noDelay = await put({ approval: { steps: [{ ...security, escalateTo: ['group:it-admins'] }] } });
  expect([noDelay.status, noDelay.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  expect(noDelay.body.message).toContain('entitlements[1].policy.approval.steps[0].escalateAfterSeconds');
});
