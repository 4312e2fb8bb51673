/**
 * SCIM 2.0 at /scim/v2, played as the identity provider plays it: the requests Microsoft Entra's SCIM
 * validator and Okta's SCIM 2.0 tests send (their capitalised ops, `"active": "False"`, members added and
 * removed with and without a path filter), then what the directory does to callers: a directory group
 * makes its members approvers at once and stops doing so at once, a deactivated user's unexpired token is
 * refused, and every SCIM write is in the audit log.
 */
import { randomUUID } from 'node:crypto';
import type { TokenClaims } from '@gatehouse/tools';
import { uniqueId } from '../support/harness';
import { createApp, inHours, startTestStack, users, type HttpResult, type TestStack } from '../support/stack';
import { OffboardingService } from '../../services/gateway/src/users/offboarding.service';

const SCIM_TOKEN = `scim-test-${randomUUID()}`;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let stack: TestStack;
let offboarded: string[];

beforeAll(async () => {
  stack = await startTestStack({ env: { SCIM_TOKEN, DIRECTORY_CACHE_SECONDS: '30' } });
  // What the leaver workflow does is leavers.spec.ts's; here, only that the directory's writers start it.
  offboarded = [];
  jest.spyOn(stack.gateway.app.get(OffboardingService), 'start').mockImplementation(async (id: string) => {
    offboarded.push(id);
  });
});
afterAll(async () => {
  await stack?.stop();
});

/** Every SCIM write this spec made that succeeded, as the audit log should hold it. */
const writes: { action: string; target: string }[] = [];

async function scim<T = any>(
  method: string,
  path: string,
  body?: unknown,
  auth = `Bearer ${SCIM_TOKEN}`,
): Promise<HttpResult<T>> {
  const res = await fetch(`${stack.url}/scim/v2${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const result = { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  if (method !== 'GET' && res.status < 300) {
    const kind = path.startsWith('/Users') ? 'user' : 'group';
    const id = path.split('/')[2] ?? (result.body as { id: string }).id;
    const action = { POST: 'create', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' }[method]!;
    writes.push({ action: `${kind}.${action}`, target: id });
  }
  return result;
}

/** A user as Microsoft Entra's SCIM validator creates one (its attribute names and shapes). */
function entraUser(overrides: Record<string, unknown> = {}) {
  const nick = uniqueId('entra');
  return {
    schemas: [USER, ENTERPRISE],
    externalId: nick,
    userName: `${nick}@contoso.example`,
    active: true,
    displayName: `Test ${nick}`,
    emails: [{ primary: true, type: 'work', value: `${nick}@contoso.example` }],
    meta: { resourceType: 'User' },
    name: { formatted: `Test ${nick}`, familyName: nick, givenName: 'Test' },
    roles: [],
    [ENTERPRISE]: { department: 'Engineering', employeeNumber: '1001', costCenter: 'CC-42' },
    ...overrides,
  };
}

/** A user as Okta's SCIM 2.0 test suite creates one: no externalId, a random userName. */
function oktaUser(overrides: Record<string, unknown> = {}) {
  const login = `${uniqueId('okta')}@atko.example`;
  return {
    schemas: [USER],
    userName: login,
    name: { givenName: 'Okta', familyName: 'Tester' },
    emails: [{ primary: true, value: login, type: 'work' }],
    displayName: 'Okta Tester',
    locale: 'en-US',
    externalId: undefined,
    groups: [],
    password: 'not-stored-1A!',
    active: true,
    ...overrides,
  };
}

async function createUser(body: Record<string, unknown>): Promise<{ id: string; userName: string }> {
  const res = await scim('POST', '/Users', body);
  if (res.status !== 201) throw new Error(`POST /Users: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function createGroup(displayName: string, members: string[] = []): Promise<string> {
  const res = await scim('POST', '/Groups', {
    schemas: [GROUP],
    displayName,
    members: members.map((value) => ({ value })),
  });
  if (res.status !== 201) throw new Error(`POST /Groups: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const patch = (Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

describe('discovery and authentication', () => {
  test('ServiceProviderConfig, Schemas and ResourceTypes describe Users (with the enterprise extension) and Groups', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
    });

    const schemas = await scim('GET', '/Schemas');
    expect(schemas.status).toBe(200);
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining([USER, GROUP, ENTERPRISE]),
    );
    expect((await scim('GET', `/Schemas/${USER}`)).body.attributes).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'userName', uniqueness: 'server' })]),
    );

    const types = await scim('GET', '/ResourceTypes');
    expect(types.status).toBe(200);
    const user = types.body.Resources.find((t: { name: string }) => t.name === 'User');
    expect(user).toMatchObject({ endpoint: '/Users', schema: USER });
    expect(user.schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    expect(types.body.Resources.map((t: { name: string }) => t.name)).toContain('Group');
  });

  test('only the SCIM token opens /scim/v2 (401 in the SCIM error schema otherwise), and it opens nothing else', async () => {
    const none = await scim('GET', '/Users', undefined, '');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(none.body).toMatchObject({ schemas: [ERROR], status: '401' });
    expect((await scim('GET', '/Users', undefined, `Bearer ${SCIM_TOKEN}x`)).status).toBe(401);
    // An admin's own token is a user token: no SCIM with it.
    const jwt = await scim('GET', '/Users', undefined, `Bearer ${await stack.token(users.root)}`);
    expect(jwt.status).toBe(401);
    // And the SCIM token is not a user token.
    for (const path of ['/me', '/tickets', '/audit']) {
      expect((await stack.as(`Bearer ${SCIM_TOKEN}`).get(path)).status).toBe(401);
    }
  });

  test('POST /admin/scim-token issues a token once (admins only); the next one replaces it', async () => {
    expect((await stack.as(users.alice).post('/admin/scim-token')).status).toBe(403);
    const first = await stack.as(users.root).post('/admin/scim-token');
    expect(first.status).toBe(201);
    expect((await scim('GET', '/Users?count=1', undefined, `Bearer ${first.body.token}`)).status).toBe(200);
    const second = await stack.as(users.root).post('/admin/scim-token');
    expect(second.body.token).not.toBe(first.body.token);
    expect((await scim('GET', '/Users?count=1', undefined, `Bearer ${second.body.token}`)).status).toBe(200);
    expect((await scim('GET', '/Users?count=1', undefined, `Bearer ${first.body.token}`)).status).toBe(401);
    // Only its hash is kept.
    const stored = await stack.store.directory.scimTokens.find().lean().exec();
    expect(JSON.stringify(stored)).not.toContain(second.body.token);
  });
});

describe('users', () => {
  test('Entra: create with the enterprise extension, then find by userName and externalId; the user id is the externalId', async () => {
    const manager = await createUser(entraUser());
    const body = entraUser();
    (body[ENTERPRISE] as Record<string, unknown>).manager = { value: manager.id };
    const created = await scim('POST', '/Users', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(created.body).toMatchObject({
      id: body.externalId,
      userName: body.userName,
      externalId: body.externalId,
      active: true,
      displayName: body.displayName,
      emails: [{ value: body.userName, primary: true, type: 'work' }],
      name: { givenName: 'Test' },
      [ENTERPRISE]: {
        department: 'Engineering',
        costCenter: 'CC-42',
        employeeNumber: '1001',
        manager: { value: manager.id },
      },
      meta: { resourceType: 'User' },
    });
    const id = created.body.id as string;

    const byName = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${body.userName.toUpperCase()}"`)}`,
    );
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({ schemas: [LIST], totalResults: 1, Resources: [{ id }] });
    const byExternal = await scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${body.externalId}"`)}`);
    expect(byExternal.body).toMatchObject({ totalResults: 1, Resources: [{ id }] });
    const byEmail = await scim('GET', `/Users?filter=${encodeURIComponent(`emails.value eq "${body.userName}"`)}`);
    expect(byEmail.body).toMatchObject({ totalResults: 1, Resources: [{ id }] });
    // The validator's "user that does not exist" lookup: an empty list, not an error.
    const nobody = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@contoso.example"')}`);
    expect(nobody.body).toMatchObject({ totalResults: 0 });
    expect(nobody.body.Resources ?? []).toEqual([]);
    expect((await scim('GET', `/Users/${id}`)).body).toMatchObject({ id, userName: body.userName });

    // The directory's attributes are the stored user's.
    const stored = await stack.as(users.root).get(`/users/${id}`);
    expect(stored.body).toMatchObject({
      id,
      name: body.displayName,
      email: body.userName.toLowerCase(),
      externalId: body.externalId,
      userName: body.userName,
      active: true,
      manager: manager.id,
      department: 'Engineering',
      costCenter: 'CC-42',
      employeeNumber: '1001',
    });
  });

  test('Okta: a user without externalId gets a generated id; password is never returned', async () => {
    const created = await scim('POST', '/Users', oktaUser());
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.password).toBeUndefined();
    const stored = await stack.store.users.model.findById(created.body.id).lean().exec();
    expect(stored?.scim).toContain(created.body.userName);
    expect(stored?.scim).not.toContain('not-stored-1A!');
    const okta = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${created.body.userName}"`)}&startIndex=1&count=100`,
    );
    expect(okta.body).toMatchObject({ totalResults: 1, startIndex: 1, Resources: [{ id: created.body.id }] });
  });

  test('a taken userName (in any case) is 409 uniqueness; an unknown id is 404; an unsupported filter is 400 invalidFilter', async () => {
    const user = await createUser(oktaUser());
    const dup = await scim('POST', '/Users', oktaUser({ userName: user.userName.toUpperCase() }));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });

    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', oktaUser()],
      ['PATCH', patch([{ op: 'replace', path: 'active', value: false }])],
      ['DELETE', undefined],
    ] as const) {
      const res = await scim(method, `/Users/${randomUUID()}`, body);
      expect([method, res.status, res.body?.schemas]).toEqual([method, 404, [ERROR]]);
    }
    const filter = await scim('GET', `/Users?filter=${encodeURIComponent('title sw "x"')}`);
    expect(filter.status).toBe(400);
    expect(filter.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidFilter' });
  });

  test('Entra PATCH: "Replace" capitalised, a manager as a bare id, then active "False" deactivates and starts the leaver workflow', async () => {
    const manager = await createUser(entraUser());
    const user = await createUser(entraUser());
    const res = await scim(
      'PATCH',
      `/Users/${user.id}`,
      patch([
        { op: 'Replace', path: 'displayName', value: 'Renamed Person' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.id },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' },
        // Through a filter that matches no entry yet: Entra expects the entry to be added.
        { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555 0100' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: `moved-${user.userName}` },
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      phoneNumbers: [{ type: 'work', value: '+1 555 0100' }],
      emails: [{ type: 'work', primary: true, value: `moved-${user.userName}` }],
      displayName: 'Renamed Person',
      active: true,
      [ENTERPRISE]: { manager: { value: manager.id }, department: 'Sales' },
    });
    expect((await stack.as(users.root).get(`/users/${user.id}`)).body).toMatchObject({
      name: 'Renamed Person',
      email: `moved-${user.userName}`,
      manager: manager.id,
      department: 'Sales',
    });

    const off = await scim('PATCH', `/Users/${user.id}`, patch([{ op: 'Replace', path: 'active', value: 'False' }]));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(offboarded).toContain(user.id);
    expect((await stack.as(users.root).get(`/users/${user.id}`)).body.active).toBe(false);
  });

  test('Okta PATCH: replace with a value object {active:false}; PUT replaces the whole user', async () => {
    const user = await createUser(oktaUser());
    const put = await scim('PUT', `/Users/${user.id}`, {
      ...oktaUser({ userName: user.userName }),
      id: user.id,
      name: { givenName: 'Changed', familyName: 'Name' },
      displayName: undefined,
      emails: [{ primary: true, value: `changed-${user.userName}`, type: 'work' }],
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: user.id, name: { givenName: 'Changed', familyName: 'Name' } });
    expect(put.body.displayName).toBeUndefined();
    expect((await stack.as(users.root).get(`/users/${user.id}`)).body).toMatchObject({
      name: 'Changed Name',
      email: `changed-${user.userName}`.toLowerCase(),
    });

    const off = await scim('PATCH', `/Users/${user.id}`, patch([{ op: 'replace', value: { active: false } }]));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(offboarded).toContain(user.id);
    // Okta re-activates with a PUT.
    const back = await scim('PUT', `/Users/${user.id}`, { ...off.body, active: true });
    expect(back.body.active).toBe(true);
  });

  test('DELETE: 204, then 404 to SCIM, while the stored user stays, inactive, and the leaver workflow starts', async () => {
    const user = await createUser(entraUser());
    const del = await scim('DELETE', `/Users/${user.id}`);
    expect(del.status).toBe(204);
    expect(offboarded).toContain(user.id);
    expect((await scim('GET', `/Users/${user.id}`)).status).toBe(404);
    expect((await scim('DELETE', `/Users/${user.id}`)).status).toBe(404);
    expect((await stack.as(users.root).get(`/users/${user.id}`)).body).toMatchObject({ id: user.id, active: false });
    // Its userName is free again (a re-hire), and the same externalId brings back the same Gatehouse id.
    const again = await scim('POST', '/Users', entraUser({ userName: user.userName, externalId: user.id }));
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(user.id);
  });

  test('paging: startIndex and count walk the list without gaps or repeats', async () => {
    for (let i = 0; i < 5; i++) await createUser(oktaUser());
    const all = await scim('GET', '/Users?count=200');
    const total = all.body.totalResults as number;
    expect(total).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    for (let start = 1; start <= total; start += 2) {
      const page = await scim('GET', `/Users?startIndex=${start}&count=2`);
      expect(page.body).toMatchObject({ schemas: [LIST], totalResults: total, startIndex: start });
      expect(page.body.Resources.length).toBe(Math.min(2, total - start + 1));
      seen.push(...page.body.Resources.map((u: { id: string }) => u.id));
    }
    expect(seen).toEqual(all.body.Resources.map((u: { id: string }) => u.id));
    expect(new Set(seen).size).toBe(total);
  });
});

describe('groups', () => {
  test('create, filter by displayName, PATCH add/remove members with and without a path filter, PUT, DELETE', async () => {
    const [a, b, c] = [await createUser(entraUser()), await createUser(oktaUser()), await createUser(oktaUser())];
    const name = uniqueId('team-');
    const id = await createGroup(name, [a.id]);
    const found = await scim(
      'GET',
      `/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}&excludedAttributes=members`,
    );
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, displayName: name }] });
    expect(found.body.Resources[0].members).toBeUndefined();
    const groupsOf = async (userId: string) =>
      (await stack.as(users.root).get(`/users/${userId}`)).body.groups as string[];
    expect(await groupsOf(a.id)).toContain(name);

    // Entra adds with "Add" and a members path.
    const add = await scim(
      'PATCH',
      `/Groups/${id}`,
      patch([{ op: 'Add', path: 'members', value: [{ value: b.id }, { value: c.id }] }]),
    );
    expect(add.status).toBe(200);
    expect(add.body.members.map((m: { value: string }) => m.value).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(await groupsOf(b.id)).toContain(name);

    // Okta removes with a path filter.
    const okta = await scim('PATCH', `/Groups/${id}`, patch([{ op: 'remove', path: `members[value eq "${a.id}"]` }]));
    expect(okta.status).toBe(200);
    expect(await groupsOf(a.id)).not.toContain(name);
    // Entra removes with a members path and the values.
    const entra = await scim(
      'PATCH',
      `/Groups/${id}`,
      patch([{ op: 'Remove', path: 'members', value: [{ value: b.id }] }]),
    );
    expect(entra.body.members).toEqual([expect.objectContaining({ value: c.id })]);
    expect(await groupsOf(b.id)).not.toContain(name);

    // Unknown members and a taken displayName are refused.
    expect(
      (await scim('PATCH', `/Groups/${id}`, patch([{ op: 'add', path: 'members', value: [{ value: 'nobody-here' }] }])))
        .status,
    ).toBe(400);
    const other = await createGroup(uniqueId('other-'));
    const taken = await scim('PUT', `/Groups/${other}`, { schemas: [GROUP], displayName: name.toUpperCase() });
    expect([taken.status, taken.body.scimType]).toEqual([409, 'uniqueness']);

    // Okta renames with PUT: the member's group name follows.
    const renamed = `${name}-renamed`;
    const put = await scim('PUT', `/Groups/${id}`, {
      schemas: [GROUP],
      id,
      displayName: renamed,
      members: [{ value: c.id }],
    });
    expect(put.status).toBe(200);
    const cGroups = await groupsOf(c.id);
    expect(cGroups).toContain(renamed);
    expect(cGroups).not.toContain(name);

    // Okta also renames with a PATCH whose value carries the id.
    const again = `${name}-again`;
    const rename = await scim('PATCH', `/Groups/${id}`, patch([{ op: 'replace', value: { id, displayName: again } }]));
    expect([rename.status, rename.body.displayName]).toEqual([200, again]);
    expect(await groupsOf(c.id)).toEqual(expect.arrayContaining([again]));
    expect(await groupsOf(c.id)).not.toContain(renamed);

    expect((await scim('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${id}`)).status).toBe(404);
    expect(await groupsOf(c.id)).not.toContain(again);
  });
});

test('member changes to one group sent at the same moment all land (a membership is a document of its own)', async () => {
  const people: { id: string }[] = [];
  for (let i = 0; i < 6; i++) people.push(await createUser(oktaUser()));
  const name = uniqueId('race-');
  const id = await createGroup(name, [people[0].id, people[1].id]);
  const results = await Promise.all([
    scim('PATCH', `/Groups/${id}`, patch([{ op: 'remove', path: `members[value eq "${people[0].id}"]` }])),
    ...people
      .slice(2)
      .map((p) => scim('PATCH', `/Groups/${id}`, patch([{ op: 'add', path: 'members', value: [{ value: p.id }] }]))),
  ]);
  expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  const members = (await scim('GET', `/Groups/${id}`)).body.members.map((m: { value: string }) => m.value);
  expect(members.sort()).toEqual(
    people
      .slice(1)
      .map((p) => p.id)
      .sort(),
  );
  for (const p of people) {
    const groups = (await stack.as(users.root).get(`/users/${p.id}`)).body.groups as string[];
    expect([p.id, groups.includes(name)]).toEqual([p.id, p !== people[0]]);
  }
});

describe('the directory completes callers', () => {
  function request(appId: string) {
    return {
      appId,
      changes: [{ op: 'add', entitlementId: 'engineering-team' }],
      duration: { type: 'limited', end: inHours(24) },
      reason: 'On-call rotation',
    };
  }

  async function provisioned(groups: string[]): Promise<TokenClaims> {
    const user = await createUser(entraUser());
    for (const g of groups) {
      const found = await scim('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${g}"`)}`);
      const groupId = found.body.Resources[0]?.id ?? (await createGroup(g));
      await scim('PATCH', `/Groups/${groupId}`, patch([{ op: 'add', path: 'members', value: [{ value: user.id }] }]));
    }
    // An IdP token: subject = the externalId, no groups claim.
    return { sub: user.id, name: 'Directory Person', email: user.userName, roles: [], groups: [] };
  }

  test('a directory group makes its members approvers of group:<name>; out of the group, NOT_AN_APPROVER at once (a mover)', async () => {
    const teamA = uniqueId('scim-a-');
    const teamB = uniqueId('scim-b-');
    const mover = await provisioned([teamA, teamB]);
    const me = await stack.as(mover).get('/me');
    expect(me.body.groups).toEqual(expect.arrayContaining([teamA, teamB]));

    const oneStep = await createApp(stack, {
      policy: { approval: { steps: [{ name: 'Team', approvers: [`group:${teamA}`], minApprovals: 1 }] } },
    });
    const first = await stack.as(users.alice).post('/tickets', request(oneStep));
    expect(first.status).toBe(201);
    const approved = await stack.as(mover).post(`/tickets/${first.body.id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');

    // Two steps, team A then team B: the mover still sees the ticket through team B.
    const twoSteps = await createApp(stack, {
      policy: {
        approval: {
          steps: [
            { name: 'Team A', approvers: [`group:${teamA}`], minApprovals: 1 },
            { name: 'Team B', approvers: [`group:${teamB}`], minApprovals: 1 },
          ],
        },
      },
    });
    const second = await stack.as(users.alice).post('/tickets', request(twoSteps));
    expect(second.status).toBe(201);
    const found = await scim('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${teamA}"`)}`);
    const removed = await scim(
      'PATCH',
      `/Groups/${found.body.Resources[0].id}`,
      patch([{ op: 'Remove', path: `members[value eq "${mover.sub}"]` }]),
    );
    expect(removed.status).toBe(200);
    const refused = await stack.as(mover).post(`/tickets/${second.body.id}/approve`, {});
    expect([refused.status, refused.body.code]).toEqual([403, 'NOT_AN_APPROVER']);
  });

  test('a token naming the user by email only (no externalId match) acts as the directory user', async () => {
    const user = await createUser(oktaUser());
    const token = {
      sub: `okta-${randomUUID().slice(0, 8)}`,
      email: user.userName.toUpperCase(),
      roles: [],
      groups: [],
    };
    const me = await stack.as(token).get('/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
  });

  test('a deactivated user’s unexpired token gets 403 USER_INACTIVE on create and on decide', async () => {
    const team = uniqueId('scim-deact-');
    const person = await provisioned([team]);
    const appId = await createApp(stack, {
      policy: { approval: { steps: [{ name: 'Team', approvers: [`group:${team}`], minApprovals: 1 }] } },
    });
    expect((await stack.as(person).post('/tickets', request(appId))).status).toBe(201);
    const pending = await stack.as(users.alice).post('/tickets', request(appId));
    expect(pending.status).toBe(201);

    const off = await scim('PATCH', `/Users/${person.sub}`, patch([{ op: 'Replace', path: 'active', value: 'False' }]));
    expect(off.status).toBe(200);
    const create = await stack.as(person).post('/tickets', request(appId));
    expect([create.status, create.body.code]).toEqual([403, 'USER_INACTIVE']);
    const decide = await stack.as(person).post(`/tickets/${pending.body.id}/approve`, {});
    expect([decide.status, decide.body.code]).toEqual([403, 'USER_INACTIVE']);
  });

  test('PUT /users/:id {active:false} refuses the user’s token too and starts the leaver workflow; manager is stored', async () => {
    const id = uniqueId('plain-');
    const who = { sub: id, name: 'Plain User', roles: [], groups: [] };
    expect((await stack.as(who).get('/me')).status).toBe(200);
    const put = await stack.as(users.root).put(`/users/${id}`, { name: 'Plain User', manager: 'carol' });
    expect(put.body).toMatchObject({ id, manager: 'carol', active: true });
    expect(offboarded).not.toContain(id);
    const off = await stack.as(users.root).put(`/users/${id}`, { active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ active: false, manager: 'carol' });
    expect(offboarded).toContain(id);
    const refused = await stack.as(who).get('/me');
    expect([refused.status, refused.body.code]).toEqual([403, 'USER_INACTIVE']);
    expect((await stack.as(users.root).put(`/users/${id}`, { manager: 'not a valid id' })).status).toBe(400);
  });
});

describe('audit', () => {
  test('every SCIM write is in the audit log, with the SCIM client as actor', async () => {
    expect(writes.length).toBeGreaterThan(20);
    const logged: { action: string; target: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: HttpResult = await stack
        .as(users.root)
        .get(`/audit?actor=scim&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      logged.push(
        ...page.body.items.map((e: { action: string; target: string }) => ({ action: e.action, target: e.target })),
      );
      cursor = page.body.nextCursor;
    } while (cursor);
    const key = (w: { action: string; target: string }) => `${w.action} ${w.target}`;
    const missing = writes.map(key).filter((k) => !logged.map(key).includes(k));
    expect(missing).toEqual([]);
    expect(logged.length).toBe(writes.length);
  });
});
