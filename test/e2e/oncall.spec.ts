/**
 * On-call from PagerDuty as an input to the access policies: an AutoApprove permit that requires
 * `principal.onCall` approves the requester PagerDuty has on call for the app's schedule and no one else;
 * PagerDuty failing means not on call (a person approves) with a warning logged; answers are reused for
 * a minute; `@endsWithOnCallShift("true")` ends the access with the shift. Runs against the PagerDuty fake.
 */
import { Writable } from 'node:stream';
import { createLogger } from '@gatehouse/gateway';
import { startPagerDutyFake, type PagerDutyFakeState } from '../fakes/pagerduty-server';
import type { RunningFake } from '../fakes/fake-http';
import { uniqueId } from '../support/harness';
import { appBody, inHours, startTestStack, users, type TestStack } from '../support/stack';

const TOKEN = 'pagerduty-test-token';
const SCHEDULE = 'PSCHED01';
const appId = uniqueId('oncall-app-');
const otherAppId = uniqueId('oncall-other-');
const shiftEnd = inHours(2);

let stack: TestStack;
let pagerduty: RunningFake<PagerDutyFakeState>;
const logLines: string[] = [];

beforeAll(async () => {
  pagerduty = await startPagerDutyFake({
    token: TOKEN,
    users: [
      { id: 'PUSER01', name: 'Olive Oncall', email: 'olive@example.com' },
      { id: 'PUSER02', name: 'Otto Offcall', email: 'otto@example.com' },
    ],
    oncalls: [{ userId: 'PUSER01', scheduleId: SCHEDULE, start: inHours(-1), end: shiftEnd }],
  });
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  stack = await startTestStack({
    env: {
      PAGERDUTY_TOKEN: TOKEN,
      PAGERDUTY_API_URL: pagerduty.url,
      // The second app's schedule is one PagerDuty does not answer for, so each lookup of it is a fresh call.
      PAGERDUTY_SCHEDULES: `${appId}=${SCHEDULE};${otherAppId}=PSCHED02`,
    },
    logger: createLogger('warn', lines),
  });
  for (const id of [appId, otherAppId]) {
    const res = await stack.as(users.root).put(`/apps/${id}`, appBody());
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await stack?.stop();
  await pagerduty?.close();
});

const olive = { sub: uniqueId('olive-'), name: 'Olive', email: 'olive@example.com', roles: [], groups: [] };
const otto = { sub: uniqueId('otto-'), name: 'Otto', email: 'otto@example.com', roles: [], groups: [] };
const oncallsAsked = () => pagerduty.state.requests.filter((r) => r.path === '/oncalls').length;

function request(app: string, entitlementId: string, end = inHours(8)) {
  return { appId: app, changes: [{ op: 'add', entitlementId }], duration: { type: 'limited', end }, reason: 'Pager' };
}

async function publish(id: string, cedar: string): Promise<void> {
  const res = await stack.as(users.root).put(`/policies/${id}`, { cedar });
  expect([200, 201]).toContain(res.status);
}

test('AutoApprove requiring principal.onCall: the on-call requester is approved at create, another is not; one PagerDuty call a minute', async () => {
  const doc = uniqueId('oncall-');
  await publish(
    doc,
    `permit (principal, action == Gatehouse::Action::"Request", resource);
@advice("on call")
permit (principal, action == Gatehouse::Action::"AutoApprove", resource in Gatehouse::App::"${appId}")
when { principal.onCall && context.onCallFor.contains("${SCHEDULE}") };`,
  );
  const before = oncallsAsked();
  const onCall = await stack.as(olive).post('/tickets', request(appId, 'maintainer'));
  expect(onCall.status).toBe(201);
  expect(onCall.body.approval.steps).toEqual([]);
  const asked = pagerduty.state.requests.filter((r) => r.path === '/oncalls').at(-1);
  expect(asked?.query).toMatchObject({ 'schedule_ids[]': SCHEDULE, 'include[]': 'users' });

  // Within the minute: the same answer, not a second call, and Otto is on no shift in it.
  const offCall = await stack.as(otto).post('/tickets', request(appId, 'maintainer'));
  expect(offCall.status).toBe(201);
  expect(offCall.body.approval.steps).toHaveLength(1);
  expect(oncallsAsked()).toBe(before + 1);

  await publish(doc, '');
});

test('PagerDuty failing: not on call, a person approves, and a warning is logged', async () => {
  const doc = uniqueId('oncall-outage-');
  await publish(
    doc,
    `permit (principal, action == Gatehouse::Action::"Request", resource);
permit (principal, action == Gatehouse::Action::"AutoApprove", resource in Gatehouse::App::"${otherAppId}")
when { principal.onCall };`,
  );
  // Olive is on call for this schedule now, but PagerDuty answers 500.
  pagerduty.state.oncalls.push({ userId: 'PUSER01', scheduleId: 'PSCHED02', start: inHours(-1), end: inHours(2) });
  pagerduty.state.faults.add({ path: '/oncalls', status: 500, body: { error: { message: 'Internal', code: 2000 } } });
  const created = await stack.as(olive).post('/tickets', request(otherAppId, 'maintainer'));
  expect(created.status).toBe(201);
  expect(created.body.approval.steps).toHaveLength(1);
  expect(logLines.some((l) => l.includes('PagerDuty on-call lookup failed') && l.includes('HTTP 500'))).toBe(true);

  // A failure is not remembered: the next request asks again and is approved at create.
  const retried = await stack.as(olive).post('/tickets', request(otherAppId, 'engineering-team'));
  expect(retried.status).toBe(201);
  expect(retried.body.approval.steps).toEqual([]);
  await publish(doc, '');
});

test('@endsWithOnCallShift("true"): the auto-approved access ends when the shift does', async () => {
  const doc = uniqueId('oncall-shift-');
  await publish(
    doc,
    `permit (principal, action == Gatehouse::Action::"Request", resource);
@endsWithOnCallShift("true")
permit (principal, action == Gatehouse::Action::"AutoApprove", resource == Gatehouse::Entitlement::"${appId}/prod-deploy")
when { principal.onCall };`,
  );
  const longer = await stack.as(olive).post('/tickets', {
    ...request(appId, 'prod-deploy', inHours(8)),
    changes: [{ op: 'add', entitlementId: 'prod-deploy', fields: { jira: 'OPS-1', env: 'eu' } }],
  });
  expect(longer.status).toBe(201);
  expect(longer.body.approval.steps).toEqual([]);
  expect(Date.parse(longer.body.duration.end)).toBe(Date.parse(shiftEnd));
  await publish(doc, '');
});

test('schedules per app or entitlement (policy.onCall) come before PAGERDUTY_SCHEDULES, an entitlement’s before its app’s', async () => {
  pagerduty.state.oncalls.push(
    { userId: 'PUSER01', scheduleId: 'PAPP03', start: inHours(-1), end: inHours(2) },
    { userId: 'PUSER02', scheduleId: 'PENT04', start: inHours(-1), end: inHours(2) },
  );
  // The app names its own schedule; prod-deploy names another. PAGERDUTY_SCHEDULES has SCHEDULE for it.
  const res = await stack.as(users.root).put(`/apps/${appId}`, {
    ...appBody({ policy: { onCall: { schedules: ['PAPP03'] } } }),
    entitlements: appBody().entitlements.map((e) =>
      e.id === 'prod-deploy' ? { ...e, policy: { onCall: { schedules: ['PENT04'] } } } : e,
    ),
  });
  expect(res.status).toBe(200);
  const doc = uniqueId('oncall-mapped-');
  await publish(
    doc,
    `permit (principal, action == Gatehouse::Action::"Request", resource);
@advice("on call")
permit (principal, action == Gatehouse::Action::"AutoApprove", resource in Gatehouse::App::"${appId}")
when { principal.onCall };`,
  );
  const deploy = { jira: 'OPS-2', env: 'eu' };
  const ask = (entitlementId: string) => ({
    ...request(appId, entitlementId),
    changes: [{ op: 'add', entitlementId, ...(entitlementId === 'prod-deploy' ? { fields: deploy } : {}) }],
  });
  const autoApproved = async (who: typeof olive, entitlementId: string) =>
    (await stack.as(who).post('/tickets/validate', ask(entitlementId))).body.autoApproval !== undefined;
  // The same PagerDuty people (matched by email) without the access the tests above gave them.
  const olive2 = { ...olive, sub: uniqueId('olive-') };
  const otto2 = { ...otto, sub: uniqueId('otto-') };

  // maintainer inherits the app's schedule: Olive is on call in it (and in SCHEDULE, which no longer counts).
  expect(await autoApproved(olive2, 'maintainer')).toBe(true);
  expect(await autoApproved(otto2, 'maintainer')).toBe(false);
  // prod-deploy has its own: Otto is on call in it, Olive is not.
  expect(await autoApproved(otto2, 'prod-deploy')).toBe(true);
  expect(await autoApproved(olive2, 'prod-deploy')).toBe(false);
  const asked = pagerduty.state.requests.filter((r) => r.path === '/oncalls').map((r) => r.query['schedule_ids[]']);
  expect(asked).toEqual(expect.arrayContaining(['PAPP03', 'PENT04']));

  // A ticket for both is decided per entitlement: nobody is on call for both, so a person approves.
  const both = await stack.as(otto2).post('/tickets', {
    ...request(appId, 'maintainer'),
    changes: [
      { op: 'add', entitlementId: 'maintainer' },
      { op: 'add', entitlementId: 'prod-deploy', fields: deploy },
    ],
  });
  expect(both.status).toBe(201);
  expect(both.body.approval.steps).toHaveLength(1);

  // Without onCall in the policy, PAGERDUTY_SCHEDULES applies again.
  expect((await stack.as(users.root).put(`/apps/${appId}`, appBody())).status).toBe(200);
  expect(await autoApproved(olive2, 'maintainer')).toBe(true);
  expect(await autoApproved(olive2, 'prod-deploy')).toBe(true);
  expect(await autoApproved(otto2, 'prod-deploy')).toBe(false);
  await publish(doc, '');
});

test('policy.onCall is validated: schedule ids are letters and digits', async () => {
  const res = await stack
    .as(users.root)
    .put(`/apps/${uniqueId('oncall-bad-')}`, appBody({ policy: { onCall: { schedules: ['not a schedule'] } } }));
  expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
});
