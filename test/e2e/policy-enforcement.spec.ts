/**
 * The access policies enforced: who may raise a ticket for what (403 NOT_ELIGIBLE, a validate flag),
 * tickets approved at create by AutoApprove (logged `auto_approved` with the policy and its advice), and a
 * catalog that shows only what the caller may request or already holds. Policies apply to the whole
 * stack: each test switches its document off (an empty document) before it ends.
 */
import { eventually, uniqueId } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const admin = () => stack.as(users.root);
const person = (prefix: string, groups: string[]) => ({ sub: uniqueId(prefix), name: prefix, roles: [], groups });

function request(appId: string, entitlementId: string, end = inHours(24)) {
  return {
    appId,
    changes: [{ op: 'add', entitlementId }],
    duration: { type: 'limited', end },
    reason: 'Incident 42',
  };
}

async function publish(id: string, cedar: string): Promise<void> {
  const res = await admin().put(`/policies/${id}`, { cedar });
  expect([200, 201]).toContain(res.status);
}

async function waitForAccess(ticketId: string, state: string) {
  return eventually(
    async () => {
      const res = await admin().get(`/tickets/${ticketId}`);
      return res.body.access?.state === state && res.body;
    },
    15_000,
    `access ${state} on ${ticketId}`,
  );
}

async function entitlementIds(who: ReturnType<typeof person>, appId: string): Promise<string[]> {
  const res = await stack.as(who).get(`/apps/${appId}/entitlements`);
  expect(res.status).toBe(200);
  return res.body.map((e: { id: string }) => e.id).sort();
}

async function appIds(who: ReturnType<typeof person>): Promise<string[]> {
  const res = await stack.as(who).get('/apps');
  expect(res.status).toBe(200);
  return res.body.map((a: { id: string }) => a.id);
}

test('with no policy published, tickets and the catalog are as without policies', async () => {
  const appId = await createApp(stack);
  const someone = person('plain-', []);
  const validated = await stack.as(someone).post('/tickets/validate', request(appId, 'maintainer'));
  expect(validated.body).toMatchObject({ ok: true, flags: [] });
  const created = await stack.as(someone).post('/tickets', request(appId, 'maintainer'));
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'pending', approval: { steps: [expect.anything()] } });
  expect(created.body.log).toEqual([expect.objectContaining({ event: 'created', details: {} })]);
  expect(await entitlementIds(someone, appId)).toEqual(['engineering-team', 'maintainer', 'prod-deploy']);
  expect(await appIds(someone)).toContain(appId);
});

test('a group baseline and a forbid for contractors: NOT_ELIGIBLE and a validate flag for whom they refuse', async () => {
  const appId = await createApp(stack);
  const doc = uniqueId('eligibility-');
  await publish(
    doc,
    `permit (principal in Gatehouse::Group::"engineering", action == Gatehouse::Action::"Request", resource);
permit (principal in Gatehouse::Group::"contractors", action == Gatehouse::Action::"Request", resource);
@advice("Contractors cannot be maintainers.")
forbid (
  principal in Gatehouse::Group::"contractors",
  action == Gatehouse::Action::"Request",
  resource == Gatehouse::Entitlement::"${appId}/maintainer"
);`,
  );
  const contractor = person('con-', ['contractors']);
  const outsider = person('out-', ['sales']);

  const flagged = await stack.as(contractor).post('/tickets/validate', request(appId, 'maintainer'));
  expect(flagged.body.ok).toBe(false);
  expect(flagged.body.flags).toEqual([
    expect.objectContaining({ code: 'NOT_ELIGIBLE', field: 'changes[0].entitlementId' }),
  ]);
  const refused = await stack.as(contractor).post('/tickets', request(appId, 'maintainer'));
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe('NOT_ELIGIBLE');
  expect(refused.body.message).toContain(`${appId}/maintainer`);
  expect(refused.body.message).toContain(`${doc}#2: Contractors cannot be maintainers.`);
  // Nobody permitted at all: refused too, saying so.
  const nobody = await stack.as(outsider).post('/tickets', request(appId, 'engineering-team'));
  expect(nobody.status).toBe(403);
  expect(nobody.body.message).toContain('no policy permits it');
  // An admin cannot raise it on the contractor's behalf either: the policies decide for the beneficiary.
  const onBehalf = await admin().post('/tickets', { ...request(appId, 'maintainer'), onBehalfOf: contractor.sub });
  expect(onBehalf.body.code).toBe('NOT_ELIGIBLE');

  // Permitted: created as before, with the policy versions it was decided under in its log.
  const ok = await stack.as(users.alice).post('/tickets', request(appId, 'maintainer'));
  expect(ok.status).toBe(201);
  expect(ok.body.status).toBe('pending');
  expect(ok.body.log[0].details.policySet).toEqual(expect.arrayContaining([{ id: doc, revision: 1 }]));
  const team = await stack.as(contractor).post('/tickets', request(appId, 'engineering-team'));
  expect(team.status).toBe(201);

  await publish(doc, '');
});

test('AutoApprove: approved at create with the policy and its advice in the log; a forbid sends it to the approvers', async () => {
  const appId = await createApp(stack);
  const doc = uniqueId('on-call-prod-');
  await publish(
    doc,
    `permit (principal, action == Gatehouse::Action::"Request", resource);
@advice("on call for payments")
permit (principal in Gatehouse::Group::"sre", action == Gatehouse::Action::"AutoApprove", resource == Gatehouse::Entitlement::"${appId}/maintainer")
when { context has durationSeconds && context.durationSeconds <= 3600 };`,
  );
  const sre = person('sre-', ['sre']);
  // Validate says beforehand that it would be approved at once, and by which policy, as the log will.
  const validated = await stack.as(sre).post('/tickets/validate', request(appId, 'maintainer', inHours(0.9)));
  expect(validated.body).toEqual({
    ok: true,
    flags: [],
    autoApproval: {
      reason: `auto-approved by ${doc}: on call for payments`,
      policies: [{ id: doc, revision: 1, policyId: `${doc}#1`, advice: 'on call for payments' }],
    },
  });
  const created = await stack.as(sre).post('/tickets', request(appId, 'maintainer', inHours(0.9)));
  expect(created.status).toBe(201);
  const active = await waitForAccess(created.body.id, 'active');
  expect(active.status).toBe('approved');
  expect(active.approval.steps).toEqual([]);
  const auto = active.log.find((e: { event: string }) => e.event === 'auto_approved');
  expect(auto).toMatchObject({
    actor: 'system',
    comment: `auto-approved by ${doc}: on call for payments`,
    details: { policies: [{ id: doc, revision: 1, policyId: `${doc}#1`, advice: 'on call for payments' }] },
  });
  expect(active.log.map((e: { event: string }) => e.event)).not.toContain('approved');

  // Longer than the policy allows: the app's approvers decide, and validate says no auto-approval.
  const longValidated = await stack
    .as(person('sre-', ['sre']))
    .post('/tickets/validate', request(appId, 'maintainer', inHours(4)));
  expect(longValidated.body).toEqual({ ok: true, flags: [] });
  // A relative duration is decided by its seconds.
  const relative = await stack.as(person('sre-', ['sre'])).post('/tickets/validate', {
    ...request(appId, 'maintainer'),
    duration: { type: 'relative', seconds: 1800 },
  });
  expect(relative.body.autoApproval?.reason).toBe(`auto-approved by ${doc}: on call for payments`);
  const long = await stack.as(person('sre-', ['sre'])).post('/tickets', request(appId, 'maintainer', inHours(4)));
  expect(long.status).toBe(201);
  expect(long.body).toMatchObject({ status: 'pending', approval: { steps: [expect.anything()] } });

  // A forbid on AutoApprove wins over the permit: human approval again.
  const frozen = uniqueId('freeze-');
  await publish(
    frozen,
    `forbid (principal, action == Gatehouse::Action::"AutoApprove", resource in Gatehouse::App::"${appId}");`,
  );
  const frozenValidated = await stack
    .as(person('sre-', ['sre']))
    .post('/tickets/validate', request(appId, 'maintainer', inHours(0.9)));
  expect(frozenValidated.body.autoApproval).toBeUndefined();
  const held = await stack.as(person('sre-', ['sre'])).post('/tickets', request(appId, 'maintainer', inHours(0.9)));
  expect(held.status).toBe(201);
  expect(held.body).toMatchObject({ status: 'pending', approval: { steps: [expect.anything()] } });
  const later = await admin().get(`/tickets/${held.body.id}`);
  expect(later.body.status).toBe('pending');
  expect(later.body.log.map((e: { event: string }) => e.event)).toEqual(['created']);

  await publish(frozen, '');
  await publish(doc, '');
});

test('the catalog shows what the caller may request or holds, hides apps with nothing left, and shows admins everything', async () => {
  const appId = await createApp(stack);
  const holder = person('holder-', []);
  const doc = uniqueId('catalog-');
  // The holder gets engineering-team (approved automatically, so no approver is needed), then loses the right to ask.
  await publish(
    doc,
    `permit (principal == Gatehouse::User::"${holder.sub}", action, resource == Gatehouse::Entitlement::"${appId}/engineering-team");
permit (principal in Gatehouse::Group::"engineering", action == Gatehouse::Action::"Request", resource);`,
  );
  const t = await stack.as(holder).post('/tickets', request(appId, 'engineering-team', inHours(0.5)));
  expect(t.status).toBe(201);
  await waitForAccess(t.body.id, 'active');
  await publish(
    doc,
    `permit (principal in Gatehouse::Group::"engineering", action == Gatehouse::Action::"Request", resource);`,
  );

  // Holds one entitlement and may request none: the app shows with only what they hold.
  expect(await entitlementIds(holder, appId)).toEqual(['engineering-team']);
  expect(await appIds(holder)).toContain(appId);
  // Holds nothing and may request nothing: the app is hidden, its catalog empty.
  const outsider = person('out-', ['sales']);
  expect(await appIds(outsider)).not.toContain(appId);
  expect(await entitlementIds(outsider, appId)).toEqual([]);
  // The permitted see all of it; admins see everything, also for another user.
  expect(await entitlementIds(users.alice as ReturnType<typeof person>, appId)).toEqual([
    'engineering-team',
    'maintainer',
    'prod-deploy',
  ]);
  const forOutsider = await admin().get(`/apps/${appId}/entitlements?for=${outsider.sub}`);
  expect(forOutsider.body).toHaveLength(3);
  expect((await admin().get('/apps')).body.map((a: { id: string }) => a.id)).toContain(appId);

  await publish(doc, '');
  expect(await entitlementIds(outsider, appId)).toEqual(['engineering-team', 'maintainer', 'prod-deploy']);
});

test('a manager’s request for a report’s team group is auto-approved; an extension is a request too', async () => {
  const appId = await createApp(stack);
  const report = uniqueId('rep-');
  await stack.store.users.model
    .updateOne(
      { _id: report },
      { $set: { name: report, email: `${report}@example.com`, groups: ['engineering'], roles: [], manager: 'root' } },
      { upsert: true },
    )
    .exec();
  const doc = uniqueId('teams-');
  const rules = `permit (principal, action == Gatehouse::Action::"Request", resource);
@advice("A manager's request for their report's team group is approved automatically.")
permit (principal, action == Gatehouse::Action::"AutoApprove", resource)
when { context.onBehalfOf && context.requesterIsManager && resource.kind == "group" };`;
  await publish(doc, rules);

  const team = await admin().post('/tickets', {
    ...request(appId, 'engineering-team', inHours(2)),
    onBehalfOf: report,
  });
  expect(team.status).toBe(201);
  const active = await waitForAccess(team.body.id, 'active');
  expect(active.log.find((e: { event: string }) => e.event === 'auto_approved')).toMatchObject({
    comment: `auto-approved by ${doc}: A manager's request for their report's team group is approved automatically.`,
  });
  // A role is not a team group: the approvers decide.
  const role = await admin().post('/tickets', { ...request(appId, 'maintainer'), onBehalfOf: report });
  expect(role.body).toMatchObject({ status: 'pending', approval: { steps: [expect.anything()] } });

  // More time is asked for like the access itself: refused once the policies refuse the access.
  await publish(
    doc,
    `${rules}
@advice("Ask your lead for a new team.")
forbid (principal == Gatehouse::User::"${report}", action == Gatehouse::Action::"Request", resource == Gatehouse::Entitlement::"${appId}/engineering-team");`,
  );
  const extend = await admin().post(`/tickets/${team.body.id}/extend`, { end: inHours(3), reason: 'more' });
  expect(extend.status).toBe(403);
  expect(extend.body.code).toBe('NOT_ELIGIBLE');
  expect(extend.body.message).toContain('Ask your lead for a new team.');

  await publish(doc, '');
});
