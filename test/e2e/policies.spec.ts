/**
 * The policy layer through HTTP: publishing Cedar documents (validated against the published schema,
 * versioned, audited, race-free revisions), and what they decide in the simulator and for requesters.
 */
import { eventually, uniqueId } from '../support/harness';
import { createApp, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const admin = () => stack.as(users.root);

/** A directory user as SCIM or PUT /users would leave it. */
async function directoryUser(id: string, fields: Record<string, unknown>): Promise<void> {
  await stack.store.users.model
    .updateOne(
      { _id: id },
      { $set: { email: `${id}@example.com`, roles: [], groups: [], updatedAt: new Date().toISOString(), ...fields } },
      { upsert: true },
    )
    .exec();
}

const baseline = 'permit (principal, action == Gatehouse::Action::"Request", resource);';

test('with no policy published everyone may request and nobody is auto-approved; the schema is served to any caller', async () => {
  const appId = await createApp(stack);
  const user = uniqueId('u-');
  await directoryUser(user, { groups: ['engineering'] });
  const sim = await admin().post('/policies/simulate', { userId: user, appId, entitlementId: 'maintainer' });
  expect(sim.status).toBe(200);
  expect(sim.body).toMatchObject({
    request: { allowed: true, policies: [], byDefault: true },
    autoApprove: { allowed: false, policies: [], byDefault: true },
    breakGlass: { allowed: false, byDefault: true },
  });

  const schema = await stack.as(users.alice).get('/policies/schema');
  expect(schema.status).toBe(200);
  expect(schema.body.namespace).toBe('Gatehouse');
  expect(schema.body.cedar).toMatch(/entity User in \[Group\]/);
  expect(Object.keys(schema.body.json.Gatehouse.actions).sort()).toEqual(['AutoApprove', 'BreakGlass', 'Request']);

  // Simulating is an admin's tool; unknown users and apps are named as such.
  expect(
    (await stack.as(users.alice).post('/policies/simulate', { userId: user, appId, entitlementId: 'maintainer' }))
      .status,
  ).toBe(403);
  expect(
    (await admin().post('/policies/simulate', { userId: 'nobody-here', appId, entitlementId: 'maintainer' })).body.code,
  ).toBe('USER_NOT_FOUND');
  expect((await admin().post('/policies/simulate', { userId: user, appId, entitlementId: 'nope' })).body.code).toBe(
    'ENTITLEMENT_NOT_FOUND',
  );
});

test('an invalid policy is refused with Cedar’s diagnostics at their lines, and nothing is stored', async () => {
  const id = uniqueId('bad-');
  const syntax = await admin().put(`/policies/${id}`, {
    cedar: `${baseline}\n\npermit (principal, action\n  resource);`,
  });
  expect(syntax.status).toBe(422);
  expect(syntax.body).toMatchObject({ code: 'INVALID_POLICY', diagnostics: [{ line: 4, column: 3 }] });
  expect(syntax.body.diagnostics[0].message).toMatch(/unexpected token/);

  const unknownAttribute = await admin().put(`/policies/${id}`, {
    cedar: `${baseline}\nforbid (principal, action, resource)\nwhen { principal.costCentre == "x" };`,
  });
  expect(unknownAttribute.status).toBe(422);
  expect(unknownAttribute.body).toMatchObject({
    code: 'INVALID_POLICY',
    diagnostics: [{ line: 3, policy: 1, message: expect.stringMatching(/costCentre/) }],
  });
  expect((await admin().get(`/policies/${id}`)).status).toBe(404);
  // Only admins publish.
  expect((await stack.as(users.alice).put(`/policies/${id}`, { cedar: baseline })).status).toBe(403);
});

test('every change is a new revision; a stale revision is 409, also when two writers race; old versions stay readable', async () => {
  const id = uniqueId('pol-');
  const first = await admin().put(`/policies/${id}`, { cedar: baseline, description: 'open', revision: 0 });
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ id, revision: 1, description: 'open', author: 'root', warnings: [] });

  const audit = await admin().get(`/audit?action=policy.put&target=${id}`);
  expect(audit.body.items ?? audit.body).toEqual(
    expect.arrayContaining([expect.objectContaining({ actor: 'root', action: 'policy.put', target: id, status: 201 })]),
  );

  const second = await admin().put(`/policies/${id}`, { cedar: `${baseline}\n`, revision: 1 });
  expect(second.status).toBe(200);
  expect(second.body).toMatchObject({ revision: 2, description: 'open' });
  const stale = await admin().put(`/policies/${id}`, { cedar: baseline, revision: 1 });
  expect(stale.status).toBe(409);
  expect(stale.body.code).toBe('REVISION_CONFLICT');
  expect((await admin().put(`/policies/${id}`, { cedar: baseline, revision: 0 })).status).toBe(409);

  // Two admins saving on top of revision 2 at once: exactly one wins.
  const racing = await Promise.all(
    [1, 2, 3].map((n) => admin().put(`/policies/${id}`, { cedar: baseline, description: `writer ${n}`, revision: 2 })),
  );
  expect(racing.map((r) => r.status).sort()).toEqual([200, 409, 409]);

  const current = await admin().get(`/policies/${id}`);
  expect(current.body).toMatchObject({ id, revision: 3, current: true });
  expect(current.body.versions.map((v: { revision: number }) => v.revision)).toEqual([3, 2, 1]);
  const old = await stack.as(users.alice).get(`/policies/${id}?revision=1`);
  expect(old.body).toMatchObject({ revision: 1, cedar: baseline, current: false });
  expect((await admin().get('/policies')).body).toEqual(
    expect.arrayContaining([expect.objectContaining({ id, revision: 3 })]),
  );
});

test('simulate and requesters follow the published policies, naming the policies and their advice', async () => {
  const appId = await createApp(stack);
  const [eng, contractor, manager, report, leaver] = ['eng', 'con', 'mgr', 'rep', 'gone'].map((p) => uniqueId(`${p}-`));
  await directoryUser(eng, { groups: ['engineering'], department: 'R&D' });
  await directoryUser(contractor, { groups: ['contractors'] });
  await directoryUser(manager, { groups: ['engineering'] });
  await directoryUser(report, { groups: ['engineering'], manager });
  await directoryUser(leaver, { active: false });

  const rules = uniqueId('rules-');
  const put = await admin().put(`/policies/${rules}`, {
    cedar: `${baseline}

@advice("Contractors cannot request this app.")
forbid (principal in Gatehouse::Group::"contractors", action == Gatehouse::Action::"Request", resource in Gatehouse::App::"${appId}");

@advice("A manager's request for their report's team group is approved automatically.")
permit (principal, action == Gatehouse::Action::"AutoApprove", resource)
when { context.onBehalfOf && context.requesterIsManager && resource.kind == "group" };`,
  });
  expect(put.status).toBe(201);

  const simulate = (userId: string, entitlementId: string, context: Record<string, unknown> = {}) =>
    admin().post('/policies/simulate', { userId, appId, entitlementId, context });

  const refused = await simulate(contractor, 'maintainer');
  expect(refused.body.request).toEqual({
    allowed: false,
    byDefault: false,
    policies: [{ id: rules, revision: 1, policyId: `${rules}#1`, advice: 'Contractors cannot request this app.' }],
  });
  expect(refused.body.policySet).toEqual(expect.arrayContaining([{ id: rules, revision: 1 }]));
  // Allowed by the baseline permit (the earlier test's document holds one too: every permit that matched is named).
  expect((await simulate(eng, 'maintainer')).body.request).toMatchObject({
    allowed: true,
    policies: expect.arrayContaining([expect.objectContaining({ id: rules, policyId: `${rules}#0` })]),
  });

  const team = await simulate(report, 'engineering-team', {
    onBehalfOf: true,
    requesterIsManager: true,
    durationSeconds: 3600,
  });
  expect(team.body.principal).toMatchObject({ id: report, manager, groups: ['engineering'] });
  expect(team.body.autoApprove).toMatchObject({ allowed: true, policies: [{ policyId: `${rules}#2` }] });
  expect((await simulate(report, 'engineering-team')).body.autoApprove.allowed).toBe(false);
  expect(
    (await simulate(report, 'maintainer', { onBehalfOf: true, requesterIsManager: true })).body.autoApprove.allowed,
  ).toBe(false);

  // A draft is decided without being published.
  const draft = await admin().post('/policies/simulate', {
    userId: contractor,
    appId,
    entitlementId: 'maintainer',
    draft: { id: rules, cedar: baseline },
  });
  expect(draft.body.request).toMatchObject({ allowed: true });
  expect(draft.body.policySet).toEqual(expect.arrayContaining([{ id: rules, revision: 0 }]));
  expect((await simulate(contractor, 'maintainer')).body.request.allowed).toBe(false);
  const badDraft = await admin().post('/policies/simulate', {
    userId: contractor,
    appId,
    entitlementId: 'maintainer',
    draft: { id: rules, cedar: 'permit (principal, action, resource) when { resource.nope };' },
  });
  expect(badDraft.status).toBe(422);
  expect(badDraft.body.diagnostics[0]).toMatchObject({ line: 1 });

  const requesters = await admin().get(`/apps/${appId}/entitlements/maintainer/requesters?limit=1000`);
  expect(requesters.status).toBe(200);
  const ids = requesters.body.users.map((u: { id: string }) => u.id);
  expect(ids).toEqual(expect.arrayContaining([eng, manager, report]));
  expect(ids).not.toContain(contractor);
  expect(ids).not.toContain(leaver);
  expect(requesters.body.complete).toBe(true);
  const one = await admin().get(`/apps/${appId}/entitlements/maintainer/requesters?limit=1`);
  expect(one.body).toMatchObject({ users: [expect.anything()], complete: false });
  expect((await stack.as(users.alice).get(`/apps/${appId}/entitlements/maintainer/requesters`)).status).toBe(403);

  // A new revision applies at once: contractors allowed again.
  const open = await admin().put(`/policies/${rules}`, { cedar: baseline, revision: 1 });
  expect(open.status).toBe(200);
  expect((await simulate(contractor, 'maintainer')).body.request).toMatchObject({
    allowed: true,
    policies: expect.arrayContaining([expect.objectContaining({ id: rules, revision: 2 })]),
  });
});

test('a version another gateway publishes applies here within the reload interval', async () => {
  const appId = await createApp(stack);
  const user = uniqueId('far-');
  await directoryUser(user, { groups: ['far-away'] });
  const id = uniqueId('elsewhere-');
  // Written straight to the store, as a PUT through another gateway leaves it.
  await stack.store.policies.insert({
    policyId: id,
    revision: 1,
    cedar: 'forbid (principal in Gatehouse::Group::"far-away", action, resource);',
    description: null,
    author: 'root',
    at: new Date().toISOString(),
  });
  const refused = await eventually(
    async () => {
      const res = await admin().post('/policies/simulate', { userId: user, appId, entitlementId: 'maintainer' });
      return res.body.request.allowed === false ? res.body.request : null;
    },
    10_000,
    "the other gateway's policy to apply",
  );
  expect(refused.policies).toEqual([expect.objectContaining({ id, revision: 1 })]);
});

test('DELETE removes a document: it stops deciding at once, is audited, and honours revision', async () => {
  const appId = await createApp(stack);
  const user = uniqueId('del-');
  await directoryUser(user, { groups: ['deleted-doc'] });
  const id = uniqueId('gone-');
  const forbid = 'forbid (principal in Gatehouse::Group::"deleted-doc", action, resource);';
  expect((await admin().put(`/policies/${id}`, { cedar: forbid, revision: 0 })).status).toBe(201);
  const simulate = () => admin().post('/policies/simulate', { userId: user, appId, entitlementId: 'maintainer' });
  expect((await simulate()).body.request.allowed).toBe(false);

  // Admins only; a stale revision changes nothing.
  expect((await stack.as(users.alice).request('DELETE', `/policies/${id}`)).status).toBe(403);
  const stale = await admin().request('DELETE', `/policies/${id}?revision=2`);
  expect([stale.status, stale.body.code]).toEqual([409, 'REVISION_CONFLICT']);
  expect((await simulate()).body.request.allowed).toBe(false);

  expect((await admin().request('DELETE', `/policies/${id}?revision=1`)).status).toBe(204);
  expect((await simulate()).body.request.allowed).toBe(true);
  expect((await admin().get(`/policies/${id}`)).status).toBe(404);
  expect((await admin().get('/policies')).body.map((p: { id: string }) => p.id)).not.toContain(id);
  // What was published stays readable by its revision.
  expect((await admin().get(`/policies/${id}?revision=1`)).body).toMatchObject({ revision: 1, cedar: forbid });
  const audit = await admin().get(`/audit?action=policy.delete&target=${id}`);
  expect(audit.body.items ?? audit.body).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ actor: 'root', action: 'policy.delete', target: id, status: 204 }),
    ]),
  );

  // Gone: deleting again or deleting what never was is 404; publishing again starts it anew.
  expect((await admin().request('DELETE', `/policies/${id}`)).status).toBe(404);
  expect((await admin().request('DELETE', `/policies/${uniqueId('never-')}`)).status).toBe(404);
  const again = await admin().put(`/policies/${id}`, { cedar: forbid, revision: 0 });
  expect(again.status).toBe(201);
  expect(again.body.revision).toBe(3);
  expect((await simulate()).body.request.allowed).toBe(false);
  expect((await admin().request('DELETE', `/policies/${id}`)).status).toBe(204);
});
