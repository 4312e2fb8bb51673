/**
 * The impact preview of an app change (POST /apps/:appId/impact): who becomes and who stops being an
 * approver of each step, resolved through the directory's users, groups and roles; the open tickets the
 * change concerns; a new app described as added. It validates like the PUT and writes nothing.
 */
import { eventually, uniqueId } from '../support/harness';
import { appBody, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
const eng = uniqueId('eng-');
const sec = uniqueId('sec-');
const auditor = uniqueId('auditor-');
// Three engineers, two in security (one also an auditor by role), and a leaver who approves nothing.
const people = {
  ann: { groups: [eng], roles: [] },
  ben: { groups: [eng], roles: [] },
  cat: { groups: [eng, sec], roles: [] },
  dan: { groups: [sec], roles: [auditor] },
  gone: { groups: [eng, sec], roles: [], active: false },
};

beforeAll(async () => {
  stack = await startTestStack();
  for (const [id, body] of Object.entries(people)) {
    const res = await stack.as(users.root).put(`/users/${id}`, { name: id.toUpperCase(), ...body });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => stack?.stop());

const root = () => stack.as(users.root);
const lead = { name: 'Team lead', approvers: [`group:${eng}`], minApprovals: 1 };
const security = { name: 'Security', approvers: [`group:${sec}`], minApprovals: 1 };
const ids = (delta: { people: { id: string }[] }) => delta.people.map((p) => p.id);

test('a new app is described as added: every step with the people who may approve it', async () => {
  const id = uniqueId('app-');
  const res = await root().post(`/apps/${id}/impact`, appBody({ policy: { approval: { steps: [lead, security] } } }));
  expect(res.status).toBe(200);
  expect(res.body.exists).toBe(false);
  expect(res.body.changes.entitlements.added).toEqual(['engineering-team', 'maintainer', 'prod-deploy']);
  expect(res.body.steps.map((s: { change: string; name: string }) => [s.change, s.name])).toEqual([
    ['added', 'Team lead'],
    ['added', 'Security'],
  ]);
  expect(ids(res.body.steps[0].becomeApprovers)).toEqual(['ann', 'ben', 'cat']);
  expect(ids(res.body.steps[1].becomeApprovers)).toEqual(['cat', 'dan']);
  expect(res.body.openTickets).toEqual({ count: 0, ids: [] });
  expect(res.body.summary).toContain('makes 3 people approvers of GitHub step 1 (Team lead)');
  // Nothing was written.
  expect((await root().get(`/apps/${id}`)).status).toBe(404);
});

test('a changed policy names who becomes and stops being an approver, and the open tickets it concerns', async () => {
  const id = uniqueId('app-');
  expect((await root().put(`/apps/${id}`, appBody({ policy: { approval: { steps: [lead, security] } } }))).status).toBe(
    201,
  );
  const ticket = await stack.as(users.alice).post('/tickets', {
    appId: id,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: inHours(2) },
    reason: 'onboarding',
  });
  expect(ticket.status).toBe(201);

  // Step 1 narrows to ann; step 2 adds the auditors (dan already approves it) and the manager.
  const changed = appBody({
    policy: {
      approval: {
        steps: [
          { ...lead, approvers: ['user:ann'] },
          { ...security, approvers: [`group:${sec}`, `role:${auditor}`, 'manager'] },
        ],
      },
    },
  });
  const impact = await eventually(async () => {
    const res = await root().post(`/apps/${id}/impact`, changed);
    expect(res.body.openTickets.count).toBe(1); // once the ticket reached the read model
    return res;
  });
  expect(impact.status).toBe(200);
  expect(impact.body.exists).toBe(true);
  expect(impact.body.openTickets.ids).toEqual([ticket.body.id]);
  const [first, second] = impact.body.steps;
  expect([first.change, ids(first.becomeApprovers), ids(first.stopApprovers)]).toEqual(['changed', [], ['ben', 'cat']]);
  expect([second.change, second.becomeApprovers.count, second.stopApprovers.count]).toEqual(['changed', 0, 0]);
  expect(second.perTicketRules).toEqual(['manager']);
  expect(impact.body.summary).toEqual(
    expect.arrayContaining([
      'removes 2 people from GitHub step 1 (Team lead)',
      '1 open ticket is affected (they keep the approvers they were raised with)',
    ]),
  );

  // A new step 3 and an entitlement with steps of its own: each listed with its approvers.
  const [team, maintainer, deploy] = appBody().entitlements;
  const grown = await root().post(
    `/apps/${id}/impact`,
    appBody({
      entitlements: [
        team,
        {
          ...maintainer,
          policy: { approval: { steps: [{ ...security, name: 'Audit', approvers: [`role:${auditor}`] }] } },
        },
        deploy,
      ],
      policy: { approval: { steps: [lead, security, { ...lead, name: 'Everyone' }] } },
    }),
  );
  expect(grown.status).toBe(200);
  const steps = grown.body.steps.map(
    (s: { scope: string; entitlementId: string | null; index: number; change: string }) => [
      s.scope,
      s.entitlementId,
      s.index,
      s.change,
    ],
  );
  expect(steps).toEqual([
    ['app', null, 2, 'added'],
    ['entitlement', 'maintainer', 0, 'changed'],
    ['entitlement', 'maintainer', 1, 'removed'],
  ]);
  const audit = grown.body.steps[1];
  expect([ids(audit.becomeApprovers), ids(audit.stopApprovers)]).toEqual([['dan'], ['ann', 'ben', 'cat']]);
  expect(grown.body.summary).toEqual(
    expect.arrayContaining([
      'makes 3 people approvers of GitHub step 3 (Everyone)',
      'makes 1 person an approver of GitHub / Maintainer step 1 (Audit)',
      'removes 2 people from GitHub / Maintainer step 2 (Security)',
    ]),
  );
  // The pending ticket's engineering-team runs the app's steps, which gain a third.
  expect(grown.body.openTickets.ids).toEqual([ticket.body.id]);

  // Still nothing written: the app is at its first revision.
  expect((await root().get(`/apps/${id}`)).body.revision).toBe(1);
});

test('removing an entitlement concerns its open tickets', async () => {
  const id = uniqueId('app-');
  await root().put(`/apps/${id}`, appBody());
  const ticket = await stack.as(users.alice).post('/tickets', {
    appId: id,
    changes: [{ op: 'add', entitlementId: 'maintainer' }],
    duration: { type: 'limited', end: inHours(2) },
    reason: 'release',
  });
  expect(ticket.status).toBe(201);
  const [team, , deploy] = appBody().entitlements;
  const res = await eventually(async () => {
    const r = await root().post(`/apps/${id}/impact`, appBody({ entitlements: [team, deploy] }));
    expect(r.body.openTickets.count).toBe(1);
    return r;
  });
  expect(res.body.changes.entitlements.removed).toEqual(['maintainer']);
  expect(res.body.openTickets.ids).toEqual([ticket.body.id]);
  expect(res.body.steps).toEqual([]);
});

test('says what else changes, and nothing for the same app with its keys in another order', async () => {
  const id = uniqueId('app-');
  await root().put(`/apps/${id}`, appBody());
  const stored = (await root().get(`/apps/${id}`)).body;
  const { id: _id, revision: _revision, ...body } = stored;
  const reversed = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).reverse());
  const reordered = {
    ...reversed(body),
    policy: reversed(body.policy),
    entitlements: body.entitlements.map(reversed),
  };
  const same = await root().post(`/apps/${id}/impact`, reordered);
  expect([same.status, same.body.summary, same.body.steps]).toEqual([200, [], []]);

  const [team, maintainer, deploy] = appBody().entitlements;
  const edited = await root().post(
    `/apps/${id}/impact`,
    appBody({
      name: 'GitHub EU',
      connector: { type: 'demo', config: { region: 'eu' } },
      entitlements: [team, { ...maintainer, name: 'Maintainers' }, deploy],
      licenses: [{ id: 'seat', name: 'Seat', seats: 5 }],
      policy: { maxDurationSeconds: 86400, allowIndefinite: false },
    }),
  );
  expect(edited.body.summary).toEqual([
    'renames GitHub to GitHub EU',
    'changes the connector settings',
    'changes entitlement(s) maintainer',
    'changes license(s) seat',
    "changes the policy's allowIndefinite, maxDurationSeconds",
  ]);
});

test('validates exactly as the PUT, and is for admins only', async () => {
  const id = uniqueId('app-');
  const bodies = [
    appBody({ policy: { approval: { steps: [{ ...lead, approvers: ['someone'] }] } } }),
    appBody({ policy: { approval: { steps: [{ ...lead, escalateTo: [`group:${sec}`] }] } } }),
    { ...appBody(), licenses: [{ id: 'seat', name: 'Seat', seats: -1 }] },
  ];
  for (const body of bodies) {
    const [impact, put] = [await root().post(`/apps/${id}/impact`, body), await root().put(`/apps/${id}`, body)];
    expect([impact.status, impact.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(impact.body).toEqual(put.body);
  }
  const notAdmin = await stack.as(users.alice).post(`/apps/${id}/impact`, appBody());
  expect([notAdmin.status, notAdmin.body.code]).toEqual([403, 'FORBIDDEN']);
});

test('GET /apps/:appId/licenses answers each license with its seats used and available (admin)', async () => {
  const id = uniqueId('app-');
  const [team, ...rest] = appBody().entitlements;
  await root().put(
    `/apps/${id}`,
    appBody({
      entitlements: [{ ...team, licenseId: 'seat' }, ...rest],
      licenses: [{ id: 'seat', name: 'Seat', seats: 2 }],
    }),
  );
  const granted = await stack.as(users.alice).post('/tickets', {
    appId: id,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: inHours(2) },
    reason: 'onboarding',
  });
  expect(granted.status).toBe(201);
  expect((await root().get(`/apps/${id}/licenses`)).body).toEqual([
    { id: 'seat', name: 'Seat', seats: 2, used: 0, available: 2 },
  ]);
  expect((await stack.as(users.carol).post(`/tickets/${granted.body.id}/approve`, {})).status).toBe(200);
  await eventually(async () => {
    const res = await root().get(`/apps/${id}/licenses`);
    expect(res.body).toEqual([{ id: 'seat', name: 'Seat', seats: 2, used: 1, available: 1 }]);
    return true;
  });
  expect((await root().get(`/apps/${uniqueId('app-')}/licenses`)).body.code).toBe('APP_NOT_FOUND');
  expect((await stack.as(users.alice).get(`/apps/${id}/licenses`)).status).toBe(403);
});
