import { eventually } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const alice = () => stack.as(users.alice);
const carol = () => stack.as(users.carol);
const root = () => stack.as(users.root);

function request(appId: string, overrides: Record<string, unknown> = {}) {
  return {
    appId,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: inHours(24) },
    reason: 'On-call rotation',
    ...overrides,
  };
}

async function waitForAccess(ticketId: string, state: string, who = alice()) {
  return eventually(
    async () => {
      const res = await who.get(`/tickets/${ticketId}`);
      return res.body.access?.state === state && res.body;
    },
    15_000,
    `access ${state} on ${ticketId}`,
  );
}

describe('raising a ticket', () => {
  test('a requester raises a ticket: 201, pending, one workflow found by its TicketId search attribute', async () => {
    const appId = await createApp(stack);
    const res = await alice().post('/tickets', request(appId));
    expect(res.status).toBe(201);
    const t = res.body;
    expect(t.id).toMatch(/^TCK-\d+$/);
    expect(t).toMatchObject({
      type: 'request',
      action: 'add',
      status: 'pending',
      requester: { id: 'alice', name: 'Alice Requester' },
      beneficiary: { id: 'alice' },
      app: { id: appId, name: 'GitHub' },
      changes: [
        { op: 'add', entitlement: { id: 'engineering-team', name: 'engineering-team', kind: 'group' }, fields: {} },
      ],
      reason: 'On-call rotation',
      approval: {
        currentStep: 0,
        awaiting: ['user:carol', 'group:it-admins'],
        steps: [{ name: 'Team lead', minApprovals: 1, state: 'waiting', approvedBy: [] }],
      },
      access: { state: 'pending' },
      parentTicketId: null,
      childTicketIds: [],
      resolvedAt: null,
      resolvedInSeconds: null,
    });
    expect(t.duration.type).toBe('limited');
    expect(Date.parse(t.duration.start)).toBeLessThanOrEqual(Date.now());
    expect(t.log[0]).toMatchObject({ actor: 'alice', event: 'created', comment: 'On-call rotation' });
    expect(t.workflow.workflowId).toBe(t.id);
    expect(t.workflow.uiUrl).toBe(`http://localhost:8233/namespaces/default/workflows/${t.id}`);

    const got = await alice().get(`/tickets/${t.id}`);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(t.id);

    const { client } = await import('../support/harness').then((h) => h.openTestClient());
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query: `TicketId = "${t.id}"` })) ids.push(wf.workflowId);
        return ids.length === 1 && ids;
      },
      10_000,
      'visibility',
    );
    expect(found).toEqual([t.id]);
    await client.connection.close();
  });

  test('an admin raises a ticket on behalf of someone else; a non-admin may not', async () => {
    const appId = await createApp(stack);
    const forbidden = await alice().post('/tickets', request(appId, { onBehalfOf: 'bob' }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
    const res = await root().post('/tickets', request(appId, { onBehalfOf: 'bob' }));
    expect(res.status).toBe(201);
    expect(res.body.requester.id).toBe('root');
    expect(res.body.beneficiary.id).toBe('bob');
    expect((await stack.as(users.bob).get(`/tickets/${res.body.id}`)).status).toBe(200);
    // The tracker finds it by who it is for as well as by who raised it.
    const ids = async (q: string) =>
      ((await root().get(`/tickets?tab=all&appId=${appId}&${q}`)).body.items as { id: string }[]).map((t) => t.id);
    expect(await ids('beneficiaryId=bob')).toEqual([res.body.id]);
    expect(await ids('requesterId=root')).toEqual([res.body.id]);
    expect(await ids('requesterId=bob')).toEqual([]);
    expect(await ids('beneficiaryId=root')).toEqual([]);
  });

  test('policy flags come back all at once from /tickets/validate, and POST /tickets refuses with the same flags', async () => {
    const appId = await createApp(stack, { policy: { maxDurationSeconds: 86400, allowIndefinite: false } });
    const bad = request(appId, {
      changes: [{ op: 'add', entitlementId: 'prod-deploy', fields: { jira: 'not-a-ticket', env: 'mars' } }],
      duration: { type: 'limited', start: inHours(-2), end: inHours(48) },
      reason: '',
    });
    const validated = await alice().post('/tickets/validate', bad);
    expect(validated.status).toBe(200);
    expect(validated.body.ok).toBe(false);
    const codes = validated.body.flags.map((f: { code: string }) => f.code).sort();
    expect(codes).toEqual([
      'FIELD_INVALID',
      'FIELD_INVALID',
      'MAX_DURATION_EXCEEDED',
      'REASON_REQUIRED',
      'START_IN_PAST',
    ]);
    const refused = await alice().post('/tickets', bad);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('POLICY_VIOLATION');
    expect(refused.body.flags).toEqual(validated.body.flags);

    const indefinite = await alice().post('/tickets/validate', request(appId, { duration: { type: 'indefinite' } }));
    expect(indefinite.body.flags.map((f: { code: string }) => f.code)).toEqual(['INDEFINITE_NOT_ALLOWED']);
    const missingField = await alice().post(
      '/tickets/validate',
      request(appId, { changes: [{ op: 'add', entitlementId: 'prod-deploy' }] }),
    );
    expect(missingField.body.flags).toEqual([
      expect.objectContaining({ code: 'FIELD_REQUIRED', field: 'changes[0].fields.jira' }),
    ]);
    const backwards = await alice().post(
      '/tickets/validate',
      request(appId, { duration: { type: 'limited', start: inHours(5), end: inHours(1) } }),
    );
    expect(backwards.body.flags.map((f: { code: string }) => f.code)).toEqual(['END_BEFORE_START']);
    const fine = await alice().post('/tickets/validate', request(appId));
    expect(fine.body).toEqual({ ok: true, flags: [] });
  });

  test('unknown apps and entitlements are 404; malformed bodies are 400 with the field named', async () => {
    const appId = await createApp(stack);
    expect((await alice().post('/tickets', request('no-such-app'))).body.code).toBe('APP_NOT_FOUND');
    const ent = await alice().post('/tickets', request(appId, { changes: [{ op: 'add', entitlementId: 'nope' }] }));
    expect([ent.status, ent.body.code]).toEqual([404, 'ENTITLEMENT_NOT_FOUND']);
    const unknownField = await alice().post('/tickets', { ...request(appId), extra: true });
    expect([unknownField.status, unknownField.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(unknownField.body.message).toContain('extra');
    const noDuration = await alice().post('/tickets', request(appId, { duration: undefined }));
    expect([noDuration.status, noDuration.body.message]).toEqual([400, expect.stringContaining('duration')]);
    const badOp = await alice().post(
      '/tickets',
      request(appId, { changes: [{ op: 'grant', entitlementId: 'engineering-team' }] }),
    );
    expect(badOp.status).toBe(400);
    expect(badOp.body.message).toContain('changes[0].op');
    const notJson = await alice().request('POST', '/tickets', '{"appId":', { 'content-type': 'application/json' });
    expect([notJson.status, notJson.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  test('the same Idempotency-Key returns the same ticket (200); with another body it is 409', async () => {
    const appId = await createApp(stack);
    const key = { 'Idempotency-Key': `key-${appId}` };
    const body = request(appId);
    const first = await alice().post('/tickets', body, key);
    const again = await alice().post('/tickets', body, key);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    const other = await alice().post('/tickets', { ...body, reason: 'something else' }, key);
    expect([other.status, other.body.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
    const list = await alice().get(`/tickets?appId=${appId}`);
    expect(list.body.items).toHaveLength(1);
  });

  test('a second pending ticket for the same access is 409 DUPLICATE_OPEN_TICKET, until the first is decided', async () => {
    const appId = await createApp(stack);
    const first = await alice().post('/tickets', request(appId));
    const second = await alice().post('/tickets', request(appId));
    expect([second.status, second.body.code]).toEqual([409, 'DUPLICATE_OPEN_TICKET']);
    await carol().post(`/tickets/${first.body.id}/reject`, { comment: 'no' });
    const third = await alice().post('/tickets', request(appId));
    expect(third.status).toBe(201);
  });
});

describe('deciding', () => {
  test('two steps, then the access becomes active and later expires; everything is in the log', async () => {
    const appId = await createApp(stack, {
      policy: {
        approval: {
          steps: [
            { name: 'Team lead', approvers: ['user:carol'], minApprovals: 1 },
            { name: 'IT', approvers: ['group:it-admins'], minApprovals: 1 },
          ],
        },
      },
    });
    const t = (
      await alice().post(
        '/tickets',
        request(appId, { duration: { type: 'limited', end: new Date(Date.now() + 6000).toISOString() } }),
      )
    ).body;
    const early = await stack.as(users.dave).post(`/tickets/${t.id}/approve`, {});
    expect([early.status, early.body.code]).toEqual([403, 'NOT_AN_APPROVER']);
    const step1 = await carol().post(`/tickets/${t.id}/approve`, { comment: 'fine by me' });
    expect(step1.status).toBe(200);
    expect(step1.body.approval.currentStep).toBe(1);
    expect(step1.body.approval.awaiting).toEqual(['group:it-admins']);
    const step2 = await stack.as(users.dave).post(`/tickets/${t.id}/approve`, {});
    expect(step2.status).toBe(200);
    expect(step2.body.status).toBe('approved');
    expect(step2.body.resolvedInSeconds).toBeGreaterThanOrEqual(0);
    const active = await waitForAccess(t.id, 'active');
    expect(active.access.grantedAt).toBeTruthy();
    const grants = await alice().get(`/grants?appId=${appId}`);
    expect(grants.body).toEqual([
      expect.objectContaining({
        userId: 'alice',
        appId,
        entitlementId: 'engineering-team',
        state: 'active',
        ticketId: t.id,
      }),
    ]);
    const catalog = await alice().get(`/apps/${appId}/entitlements`);
    expect(catalog.body.find((e: { id: string }) => e.id === 'engineering-team').membership).toEqual({
      hasAccess: true,
      ticketId: t.id,
      end: t.duration.end,
    });
    const apps = await alice().get('/apps');
    expect(apps.body.find((a: { id: string }) => a.id === appId).hasAccess).toBe(true);

    const expired = await waitForAccess(t.id, 'expired');
    expect(expired.log.map((e: { event: string }) => e.event)).toEqual([
      'created',
      'approved',
      'approved',
      'applying',
      'granted',
      'expired',
    ]);
    expect(expired.log[1]).toMatchObject({ actor: 'carol', comment: 'fine by me' });
    expect((await alice().get(`/grants?appId=${appId}`)).body).toEqual([]);
    const after = await alice().get(`/apps/${appId}/entitlements`);
    expect(after.body.find((e: { id: string }) => e.id === 'engineering-team').membership.hasAccess).toBe(false);
  });

  test('the requester cannot approve their own ticket; the same approver twice is 409; decided tickets are 409', async () => {
    const appId = await createApp(stack, {
      policy: {
        approval: {
          steps: [{ name: 'Two of IT', approvers: ['group:it-admins', 'group:engineering'], minApprovals: 2 }],
        },
      },
    });
    const t = (await alice().post('/tickets', request(appId))).body;
    const own = await alice().post(`/tickets/${t.id}/approve`, {});
    expect([own.status, own.body.code]).toEqual([403, 'NOT_AN_APPROVER']);
    expect((await stack.as(users.dave).post(`/tickets/${t.id}/approve`, {})).status).toBe(200);
    const twice = await stack.as(users.dave).post(`/tickets/${t.id}/approve`, {});
    expect([twice.status, twice.body.code]).toEqual([409, 'ALREADY_DECIDED']);
    const rejected = await stack.as(users.erin).post(`/tickets/${t.id}/reject`, { comment: 'not now' });
    expect(rejected.body.status).toBe('rejected');
    const late = await stack.as(users.erin).post(`/tickets/${t.id}/approve`, {});
    expect([late.status, late.body.code]).toEqual([409, 'TICKET_NOT_PENDING']);
  });

  test('an approver modifies the duration: it is policy-checked, logged, and the access ends at the new end', async () => {
    const appId = await createApp(stack, { policy: { maxDurationSeconds: 7200 } });
    const t = (await alice().post('/tickets', request(appId, { duration: { type: 'limited', end: inHours(1) } }))).body;
    const tooLong = await carol().post(`/tickets/${t.id}/approve`, { duration: { type: 'limited', end: inHours(3) } });
    expect([tooLong.status, tooLong.body.code]).toEqual([422, 'POLICY_VIOLATION']);
    expect(tooLong.body.flags[0].code).toBe('MAX_DURATION_EXCEEDED');
    const end = new Date(Date.now() + 4000).toISOString();
    const ok = await carol().post(`/tickets/${t.id}/approve`, {
      duration: { type: 'limited', end },
      comment: 'shorter',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.duration.end).toBe(end);
    expect(ok.body.log.map((e: { event: string }) => e.event).slice(0, 3)).toEqual([
      'created',
      'duration_modified',
      'approved',
    ]);
    const expired = await waitForAccess(t.id, 'expired');
    expect(expired.access.end).toBe(end);
  });

  test('cancel: requester yes, stranger no; approving a cancelled ticket is 409', async () => {
    const appId = await createApp(stack);
    const t = (await alice().post('/tickets', request(appId))).body;
    const stranger = await stack.as(users.mallory).post(`/tickets/${t.id}/cancel`, {});
    expect([stranger.status, stranger.body.code]).toEqual([404, 'TICKET_NOT_FOUND']);
    const ok = await alice().post(`/tickets/${t.id}/cancel`, { comment: 'not needed' });
    expect(ok.body).toMatchObject({ status: 'cancelled', access: { state: 'none' } });
    const late = await carol().post(`/tickets/${t.id}/approve`, {});
    expect([late.status, late.body.code]).toEqual([409, 'TICKET_NOT_PENDING']);
  });

  test('a pure remove ticket takes away a membership once approved; NOT_A_MEMBER / ALREADY_HAS_ACCESS are flagged', async () => {
    const appId = await createApp(stack);
    const notMember = await alice().post('/tickets', {
      appId,
      changes: [{ op: 'remove', entitlementId: 'maintainer' }],
      reason: 'cleanup',
    });
    expect(notMember.body.flags.map((f: { code: string }) => f.code)).toEqual(['NOT_A_MEMBER']);
    const t = (await alice().post('/tickets', request(appId, { duration: { type: 'indefinite' } }))).body;
    await carol().post(`/tickets/${t.id}/approve`, {});
    await waitForAccess(t.id, 'active');
    const again = await alice().post('/tickets/validate', request(appId));
    expect(again.body.flags.map((f: { code: string }) => f.code)).toEqual(['ALREADY_HAS_ACCESS']);
    const withDuration = await alice().post('/tickets', {
      appId,
      changes: [{ op: 'remove', entitlementId: 'engineering-team' }],
      duration: { type: 'indefinite' },
      reason: 'done',
    });
    expect(withDuration.status).toBe(400);
    const removal = await alice().post('/tickets', {
      appId,
      changes: [{ op: 'remove', entitlementId: 'engineering-team' }],
      reason: 'done',
    });
    expect(removal.status).toBe(201);
    expect(removal.body).toMatchObject({ action: 'remove', duration: null });
    await carol().post(`/tickets/${removal.body.id}/approve`, {});
    await waitForAccess(removal.body.id, 'removed');
    expect((await alice().get(`/grants?appId=${appId}`)).body).toEqual([]);
    expect(await stack.store.demoMemberships.members(appId, 'engineering-team')).toEqual([]);
  });
});

describe('tracking', () => {
  test('tabs, counts, filters, paging and awaiting=me', async () => {
    const appId = await createApp(stack);
    const ids: string[] = [];
    for (const ent of ['engineering-team', 'maintainer']) {
      ids.push(
        (await alice().post('/tickets', request(appId, { changes: [{ op: 'add', entitlementId: ent }] }))).body.id,
      );
    }
    ids.push(
      (
        await alice().post(
          '/tickets',
          request(appId, { changes: [{ op: 'add', entitlementId: 'prod-deploy', fields: { jira: 'SEC-1' } }] }),
        )
      ).body.id,
    );
    await carol().post(`/tickets/${ids[0]}/approve`, {});
    await carol().post(`/tickets/${ids[1]}/reject`, { comment: 'no' });

    const all = await alice().get(`/tickets?appId=${appId}`);
    expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([...ids].reverse());
    expect(all.body.counts).toEqual({ all: 3, open: 1, closed: 1, rejected: 1 });
    expect(all.body.items[0]).toEqual({
      id: ids[2],
      status: 'pending',
      requester: { id: 'alice', name: 'Alice Requester' },
      beneficiary: { id: 'alice', name: 'Alice Requester' },
      type: 'request',
      action: 'add',
      app: { id: appId, name: 'GitHub' },
      comment: 'On-call rotation',
      // As asked, so a tracker can say "until …" or "8 hours from approval" without fetching each ticket.
      duration: { type: 'limited', start: expect.any(String), end: expect.any(String) },
      createdAt: expect.any(String),
      resolvedAt: null,
      resolvedInSeconds: null,
    });
    expect((await alice().get(`/tickets?appId=${appId}&tab=open`)).body.items.map((i: { id: string }) => i.id)).toEqual(
      [ids[2]],
    );
    expect(
      (await alice().get(`/tickets?appId=${appId}&tab=closed`)).body.items.map((i: { id: string }) => i.id),
    ).toEqual([ids[0]]);
    expect(
      (await alice().get(`/tickets?appId=${appId}&tab=rejected`)).body.items[0].resolvedInSeconds,
    ).toBeGreaterThanOrEqual(0);

    const page1 = await alice().get(`/tickets?appId=${appId}&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await alice().get(`/tickets?appId=${appId}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((i: { id: string }) => i.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();

    const awaiting = await carol().get(`/tickets?appId=${appId}&awaiting=me`);
    expect(awaiting.body.items.map((i: { id: string }) => i.id)).toEqual([ids[2]]);
    expect((await alice().get(`/tickets?appId=${appId}&awaiting=me`)).body.items).toEqual([]);
    expect((await stack.as(users.mallory).get(`/tickets?appId=${appId}`)).body.items).toEqual([]);
    expect((await stack.as(users.mallory).get(`/tickets/${ids[0]}`)).status).toBe(404);
    expect((await alice().get('/tickets?tab=everything')).status).toBe(400);
  });
});

describe('users, apps, health and docs', () => {
  test('/me, PUT and GET /users/:id', async () => {
    const me = await alice().get('/me');
    expect(me.body).toEqual({
      id: 'alice',
      name: 'Alice Requester',
      email: 'alice@example.com',
      roles: [],
      groups: ['engineering'],
    });
    expect((await alice().put('/users/bob', { name: 'Bob' })).status).toBe(403);
    const put = await root().put('/users/bob', {
      name: 'Bob B',
      email: 'bob@example.com',
      accounts: { github: 'bob-gh' },
    });
    expect(put.body).toEqual({
      id: 'bob',
      name: 'Bob B',
      email: 'bob@example.com',
      accounts: { github: 'bob-gh' },
      roles: [],
      groups: [],
      // The directory's attributes: none on a user no directory provisioned.
      externalId: null,
      userName: null,
      active: true,
      manager: null,
      department: null,
      costCenter: null,
      employeeNumber: null,
    });
    expect((await stack.as(users.bob).get('/users/bob')).body.accounts).toEqual({ github: 'bob-gh' });
    expect((await alice().get('/users/bob')).status).toBe(404);
    expect((await root().put('/users/bob', { accounts: { myspace: 'x' } })).status).toBe(400);
  });

  test('apps: admin-only PUT, GET one and the catalog search; 404 for unknown', async () => {
    expect((await alice().put('/apps/x', {})).status).toBe(403);
    const appId = await createApp(stack);
    const app = await alice().get(`/apps/${appId}`);
    expect(app.body).toMatchObject({ id: appId, name: 'GitHub', connector: { type: 'demo' } });
    const search = await alice().get(`/apps/${appId}/entitlements?q=deploy`);
    expect(search.body.map((e: { id: string }) => e.id)).toEqual(['prod-deploy']);
    expect(search.body[0].fields[0]).toMatchObject({ key: 'jira', required: true });
    expect((await alice().get('/apps/missing-app')).body.code).toBe('APP_NOT_FOUND');
    const badRef = await root().put(`/apps/${appId}`, {
      ...app.body,
      id: undefined,
      entitlements: [{ id: 'x', kind: 'group', name: 'x', licenseId: 'nope' }],
    });
    expect(badRef.status).toBe(400);
  });

  test('health, docs and the OpenAPI document need no token; everything else does', async () => {
    const anon = stack.as('');
    const health = await anon.get('/health');
    expect(health.body).toEqual({ status: 'ok', checks: { mongo: 'up', temporal: 'up' } });
    expect((await anon.get('/docs-json')).body.paths['/tickets']).toBeDefined();
    expect((await anon.get('/docs')).status).toBe(200);
    const noToken = await anon.get('/tickets');
    expect(noToken.body).toEqual({ statusCode: 401, code: 'UNAUTHENTICATED', message: expect.any(String) });
  });
});

describe('limits', () => {
  test('a caller over its per-minute budget gets 429 RATE_LIMITED with Retry-After; others are unaffected', async () => {
    const limited = await startTestStack({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.as(users.alice).get('/me')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited.as(users.alice).get('/me');
      expect(refused.body.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await limited.as(users.bob).get('/me')).status).toBe(200);
      expect((await limited.as('').get('/health')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  test('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await alice().post('/tickets/validate', { appId: 'x', changes: [], reason: 'x'.repeat(70_000) });
    expect([res.status, res.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });
});

describe('dev sign-in', () => {
  test('GET /dev/demo-tokens serves the demo tokens only when DEV_TOKENS_FILE is set, and production refuses it', async () => {
    expect((await stack.as('').get('/dev/demo-tokens')).status).toBe(404);
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-dev-')), 'dev-tokens.json');
    const token = await stack.token(users.alice);
    fs.writeFileSync(file, JSON.stringify({ users: [{ id: 'alice', name: 'Alice', role: 'requester', token }] }));
    const dev = await startTestStack({ env: { DEV_TOKENS_FILE: file } });
    try {
      const res = await dev.as('').get('/dev/demo-tokens');
      expect(res.status).toBe(200);
      expect(res.body.users[0]).toMatchObject({ id: 'alice', token });
      expect((await dev.as(`Bearer ${res.body.users[0].token}`).get('/me')).body.id).toBe('alice');
      expect((await dev.as('').get('/docs-json')).body.paths['/dev/demo-tokens']).toBeUndefined();
    } finally {
      await dev.stop();
    }
    const { loadGatewayConfig } = await import('@gatehouse/gateway');
    expect(() =>
      loadGatewayConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32), DEV_TOKENS_FILE: file }),
    ).toThrow(/DEV_TOKENS_FILE/);
  });
});
