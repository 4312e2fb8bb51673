/**
 * The admin console's paged lists: `GET /users` and `GET /admin/grants`, end to end through the API.
 * Pages are keyset pages (`nextCursor` = the last id), so walking them gives every match exactly once.
 */
import { grantKey, type GrantRecord } from '@gatehouse/store';
import { eventually } from '../support/harness';
import { createApp, inHours, startTestStack, users, type HttpResult, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const root = () => stack.as(users.root);

/** Every page of a list, following nextCursor. */
async function walk<T>(path: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: HttpResult<{ items: T[]; nextCursor: string | null }> = await root().get(
      `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

/** An active grant written straight to the read model (no target call): the lists only read it. */
async function seedGrant(appId: string, userId: string, entitlementId: string, end: string | null, state = 'active') {
  const record: GrantRecord = {
    userId,
    appId,
    entitlementId,
    state: 'active',
    start: inHours(-1),
    end,
    ticketId: `TCK-${userId}`,
    holders: state === 'active' ? [{ ticketId: `TCK-${userId}`, start: inHours(-1), end }] : [],
    preexisting: false,
    granting: [],
    released: [],
  };
  await stack.store.grants.save(record, state === 'active' ? undefined : 'expired');
}

describe('GET /users', () => {
  const prefix = `pg${Date.now().toString(36)}`;
  beforeAll(async () => {
    for (let i = 0; i < 7; i++)
      await stack.store.users.put(`${prefix}-${i}`, {
        name: i === 3 ? 'Zoë Searchable' : `Person ${i}`,
        email: `${prefix}-${i}@example.com`,
      });
  });

  it('pages through every user once, by id, and answers the directory fields', async () => {
    const { items, pages } = await walk<{ id: string; name: string }>(`/users?q=${prefix}&limit=3`);
    expect(items.map((u) => u.id)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `${prefix}-${i}`));
    expect(pages).toBe(3);
    expect(items[0]).toMatchObject({ email: `${prefix}-0@example.com`, roles: [], groups: [], active: true });
    expect(items[0]).not.toHaveProperty('scim');
  });

  it('finds people by part of their name, in any case', async () => {
    const res = await root().get('/users?q=zoË%20SEARCH');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [expect.objectContaining({ id: `${prefix}-3` })], nextCursor: null });
  });

  it('treats the search as text, not a pattern', async () => {
    const res = await root().get(`/users?q=${encodeURIComponent('.*')}`);
    expect(res.body.items).toEqual([]);
  });

  it('is for admins only, and GET /users/:id and /me answer as before', async () => {
    expect((await stack.as(users.alice).get('/users')).status).toBe(403);
    expect((await stack.as(users.alice).get('/me')).body).toMatchObject({ id: 'alice' });
    expect((await root().get(`/users/${prefix}-1`)).body).toMatchObject({ id: `${prefix}-1`, name: 'Person 1' });
  });

  it('refuses a limit out of range and a cursor that is no id', async () => {
    expect((await root().get('/users?limit=0')).status).toBe(400);
    expect((await root().get('/users?limit=201')).status).toBe(400);
    expect((await root().get('/users?cursor=%24where')).status).toBe(400);
  });
});

describe('GET /admin/grants', () => {
  const app = `ga${Date.now().toString(36)}`;
  const other = `${app}-other`;
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) await seedGrant(app, `u${i}`, 'engineering-team', inHours(i * 24 + 1));
    await seedGrant(app, 'u0', 'maintainer', null);
    await seedGrant(app, 'u9', 'maintainer', inHours(2), 'expired');
    await seedGrant(other, 'u0', 'engineering-team', inHours(1));
  });

  it('pages through every active grant of an app once, by user then entitlement', async () => {
    const { items, pages } = await walk<{ userId: string; entitlementId: string }>(
      `/admin/grants?appId=${app}&limit=2`,
    );
    expect(items.map((g) => `${g.userId}/${g.entitlementId}`)).toEqual([
      'u0/engineering-team',
      'u0/maintainer',
      'u1/engineering-team',
      'u2/engineering-team',
      'u3/engineering-team',
      'u4/engineering-team',
    ]);
    expect(pages).toBe(3);
  });

  it('filters by entitlement, user and access ending within a time', async () => {
    const byEntitlement = await root().get(`/admin/grants?appId=${app}&entitlementId=maintainer`);
    expect(byEntitlement.body.items.map((g: { userId: string }) => g.userId)).toEqual(['u0']);
    expect(byEntitlement.body.items[0]).toMatchObject({ end: null, state: 'active', holders: [expect.anything()] });

    const byUser = await root().get(`/admin/grants?userId=u0`);
    const apps = byUser.body.items.map((g: { appId: string }) => g.appId);
    expect(apps).toEqual(expect.arrayContaining([app, other]));

    // Within 30 h: u0 (1 h) and u1 (25 h); the indefinite one never ends, u2 is at 49 h.
    const ending = await root().get(`/admin/grants?appId=${app}&endingWithinSeconds=${30 * 3600}`);
    expect(
      ending.body.items.map((g: { userId: string; entitlementId: string }) => `${g.userId}/${g.entitlementId}`),
    ).toEqual(['u0/engineering-team', 'u1/engineering-team']);

    const one = await root().get(`/admin/grants?appId=${app}&userId=u1&entitlementId=engineering-team`);
    expect(one.body).toEqual({ items: [expect.objectContaining({ userId: 'u1' })], nextCursor: null });
    const expired = await root().get(`/admin/grants?appId=${app}&state=expired`);
    expect(expired.body.items.map((g: { userId: string }) => g.userId)).toEqual(['u9']);
  });

  it('lists a grant a ticket made, with the ticket that holds it', async () => {
    const appId = await createApp(stack);
    const created = await stack.as(users.alice).post('/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId: 'engineering-team' }],
      duration: { type: 'limited', end: inHours(5) },
      reason: 'work',
    });
    expect(created.status).toBe(201);
    expect((await stack.as(users.carol).post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
    const listed = await eventually(
      async () => {
        const res = await root().get(`/admin/grants?appId=${appId}`);
        return res.body.items.length === 1 && res.body.items[0];
      },
      30_000,
      'the grant listed',
    );
    expect(listed).toMatchObject({ userId: 'alice', ticketId: created.body.id, entitlementId: 'engineering-team' });
    // GET /grants keeps its array shape.
    const plain = await root().get(`/grants?appId=${appId}`);
    expect(plain.body).toEqual([expect.objectContaining({ userId: 'alice', ticketId: created.body.id })]);
  }, 60_000);

  it('is for admins only, and refuses a cursor that is no grant id', async () => {
    expect((await stack.as(users.alice).get('/admin/grants')).status).toBe(403);
    expect((await root().get('/admin/grants?cursor=nope')).status).toBe(400);
    expect((await root().get('/admin/grants?endingWithinSeconds=0')).status).toBe(400);
    const key = grantKey(app, 'u2', 'engineering-team');
    const after = await root().get(`/admin/grants?appId=${app}&cursor=${encodeURIComponent(key)}`);
    expect(after.body.items.map((g: { userId: string }) => g.userId)).toEqual(['u3', 'u4']);
  });
});
