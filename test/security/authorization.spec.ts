/**
 * The authorization matrix, cell by cell: every endpoint that acts on a ticket, app, user or grant, for
 * the requester, the beneficiary, an eligible approver, an ineligible approver and an admin. Each cell
 * gets its own fresh ticket in the state the endpoint needs, so cells cannot influence each other.
 */
import { eventually } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

type Role = 'requester' | 'beneficiary' | 'approver' | 'outsider' | 'admin';
const ROLES: Role[] = ['requester', 'beneficiary', 'approver', 'outsider', 'admin'];
/** Raises tickets on behalf of bob, so that the admin column (root) is not the requester. */
const raiser = { sub: 'ada', name: 'Ada Admin', roles: ['admin'], groups: [] };
const claimsOf: Record<Role, (typeof users)[keyof typeof users]> = {
  requester: users.alice,
  beneficiary: users.bob,
  approver: users.carol,
  outsider: users.mallory,
  admin: users.root,
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

/** A fresh ticket that `role` stands in the right relation to, in the state the endpoint needs. */
async function ticketFor(role: Role, state: 'pending' | 'active'): Promise<string> {
  const appId = await createApp(stack);
  const body = {
    appId,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: inHours(2) },
    reason: 'matrix',
  };
  const t =
    role === 'beneficiary'
      ? (await stack.as(raiser).post('/tickets', { ...body, onBehalfOf: 'bob' })).body
      : (await stack.as(users.alice).post('/tickets', body)).body;
  if (!t.id) throw new Error(`could not raise: ${JSON.stringify(t)}`);
  if (state === 'active') {
    await stack.as(users.carol).post(`/tickets/${t.id}/approve`, {});
    await eventually(
      async () => (await stack.as(users.root).get(`/tickets/${t.id}`)).body.access.state === 'active',
      10_000,
      'active',
    );
  }
  return t.id;
}

interface Row {
  name: string;
  state: 'pending' | 'active';
  call: (id: string, role: Role) => Promise<{ status: number; body: any }>;
  expect: Record<Role, number>;
}

const as = (role: Role) => stack.as(claimsOf[role]);
const ticketRows: Row[] = [
  {
    name: 'GET /tickets/:id',
    state: 'pending',
    call: (id, r) => as(r).get(`/tickets/${id}`),
    expect: { requester: 200, beneficiary: 200, approver: 200, outsider: 404, admin: 200 },
  },
  {
    name: 'POST /tickets/:id/approve',
    state: 'pending',
    call: (id, r) => as(r).post(`/tickets/${id}/approve`, {}),
    expect: { requester: 403, beneficiary: 403, approver: 200, outsider: 404, admin: 403 },
  },
  {
    name: 'POST /tickets/:id/reject',
    state: 'pending',
    call: (id, r) => as(r).post(`/tickets/${id}/reject`, {}),
    expect: { requester: 403, beneficiary: 403, approver: 200, outsider: 404, admin: 403 },
  },
  {
    name: 'POST /tickets/:id/cancel',
    state: 'pending',
    call: (id, r) => as(r).post(`/tickets/${id}/cancel`, {}),
    expect: { requester: 200, beneficiary: 200, approver: 403, outsider: 404, admin: 200 },
  },
  {
    name: 'POST /tickets/:id/revoke',
    state: 'active',
    call: (id, r) => as(r).post(`/tickets/${id}/revoke`, {}),
    expect: { requester: 403, beneficiary: 403, approver: 200, outsider: 404, admin: 200 },
  },
  {
    name: 'POST /tickets/:id/retry',
    state: 'active',
    call: (id, r) => as(r).post(`/tickets/${id}/retry`, {}),
    expect: { requester: 403, beneficiary: 403, approver: 403, outsider: 403, admin: 409 },
  },
  {
    name: 'POST /tickets/:id/extend',
    state: 'active',
    call: (id, r) => as(r).post(`/tickets/${id}/extend`, { end: inHours(3), reason: 'more' }),
    expect: { requester: 201, beneficiary: 201, approver: 403, outsider: 404, admin: 201 },
  },
  {
    name: 'POST /tickets/:id/reraise',
    state: 'active',
    call: (id, r) =>
      as(r).post(`/tickets/${id}/reraise`, { duration: { type: 'limited', end: inHours(1) }, reason: 'again' }),
    expect: { requester: 409, beneficiary: 409, approver: 403, outsider: 404, admin: 409 },
  },
];

const cells = ticketRows.flatMap((row) => ROLES.map((role) => [row.name, role, row] as const));
let tried = 0;

describe('ticket endpoints × roles', () => {
  test.each(cells)('%s as %s', async (_name, role, row) => {
    const id = await ticketFor(role, row.state);
    const res = await row.call(id, role);
    tried++;
    expect({ status: res.status, code: res.body?.code }).toEqual({
      status: row.expect[role],
      code: res.status >= 400 ? expect.any(String) : undefined,
    });
  });
});

describe('administration × roles', () => {
  const nonAdmins: Role[] = ['requester', 'beneficiary', 'approver', 'outsider'];
  const adminRows: [string, (r: Role) => Promise<{ status: number }>, number][] = [
    [
      'PUT /apps/:id',
      async (r) =>
        as(r).put(`/apps/matrix-${r}`, {
          name: 'x',
          connector: { type: 'demo', config: {} },
          entitlements: [],
          policy: { approval: { steps: [] } },
        }),
      201,
    ],
    ['DELETE /apps/:id', async (r) => as(r).request('DELETE', '/apps/matrix-no-such-app'), 404],
    ['PUT /users/:id', async (r) => as(r).put('/users/someone', { name: 'Someone' }), 200],
    ['GET /users/:id (another user)', async (r) => as(r).get('/users/someone'), 200],
    ['GET /grants?userId= (another user)', async (r) => as(r).get('/grants?userId=someone-else'), 200],
    ['GET /apps?for= (another user)', async (r) => as(r).get('/apps?for=someone-else'), 200],
    [
      'GET /apps/:id/entitlements?for= (another user)',
      async (r) => as(r).get('/apps/missing-app/entitlements?for=someone-else'),
      404,
    ],
    ['GET /audit', async (r) => as(r).get('/audit'), 200],
    // A policy that does not parse: refused as such for an admin, so nothing is published.
    ['PUT /policies/:id', async (r) => as(r).put('/policies/matrix', { cedar: 'permit (principal, action' }), 422],
    [
      'POST /policies/simulate',
      async (r) => as(r).post('/policies/simulate', { userId: 'someone', appId: 'missing-app', entitlementId: 'x' }),
      404,
    ],
    [
      'GET /apps/:id/entitlements/:eid/requesters',
      async (r) => as(r).get('/apps/missing-app/entitlements/x/requesters'),
      404,
    ],
    ['POST /admin/scim-token', async (r) => as(r).post('/admin/scim-token'), 201],
    [
      'POST /tickets onBehalfOf',
      async (r) =>
        as(r).post('/tickets', {
          appId: 'missing-app',
          changes: [{ op: 'add', entitlementId: 'x' }],
          duration: { type: 'indefinite' },
          onBehalfOf: 'someone-else',
        }),
      404,
    ],
  ];
  const adminCells = adminRows.flatMap(([name, call, adminStatus]) =>
    ROLES.map((role) => [name, role, call, adminStatus] as const),
  );

  test.each(adminCells)('%s as %s', async (name, role, call, adminStatus) => {
    if (role === 'admin') {
      await stack.as(users.root).put('/users/someone', { name: 'Someone' });
    }
    const res = await call(role);
    tried++;
    const expected = role === 'admin' ? adminStatus : name === 'GET /users/:id (another user)' ? 404 : 403;
    expect(res.status).toBe(expected);
    expect(nonAdmins.includes(role) || role === 'admin').toBe(true);
  });

  test('non-admins see only tickets they requested, benefit from, or may approve', async () => {
    const appId = await createApp(stack);
    const t = (
      await stack.as(raiser).post('/tickets', {
        appId,
        changes: [{ op: 'add', entitlementId: 'engineering-team' }],
        duration: { type: 'indefinite' },
        reason: 'x',
        onBehalfOf: 'bob',
      })
    ).body;
    const seen = async (r: Role) =>
      (await as(r).get(`/tickets?appId=${appId}`)).body.items.map((i: { id: string }) => i.id);
    expect(await seen('beneficiary')).toEqual([t.id]);
    expect(await seen('approver')).toEqual([t.id]);
    expect(await seen('admin')).toEqual([t.id]);
    expect(await seen('requester')).toEqual([]);
    expect(await seen('outsider')).toEqual([]);
    tried += 5;
  });
});

afterAll(() => {
  // Printed for docs/security.md: how many endpoint × role cells were tried.
  console.log(`authorization matrix: ${tried} endpoint × role cells tried`);
});
