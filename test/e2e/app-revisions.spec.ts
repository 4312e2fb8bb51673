/**
 * Apps carry a revision: a write naming a stale one is refused (409 REVISION_CONFLICT), also when many
 * writers race, and a write naming none keeps the old last-writer-wins behaviour. DELETE /apps/:id is
 * refused while anyone holds access in the app.
 */
import { eventually, uniqueId } from '../support/harness';
import { appBody, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const root = () => stack.as(users.root);

describe('app revisions', () => {
  it('counts every write, answers it, and refuses a write naming a stale revision', async () => {
    const id = uniqueId('app-');
    const created = await root().put(`/apps/${id}`, appBody({ name: 'One' }));
    expect(created.status).toBe(201);
    expect(created.body.revision).toBe(1);
    expect((await root().get(`/apps/${id}`)).body.revision).toBe(1);
    expect((await root().get('/apps')).body.find((a: { id: string }) => a.id === id).revision).toBe(1);

    const second = await root().put(`/apps/${id}`, { ...appBody({ name: 'Two' }), revision: 1 });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ name: 'Two', revision: 2 });

    const stale = await root().put(`/apps/${id}`, { ...appBody({ name: 'Stale' }), revision: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('REVISION_CONFLICT');
    expect((await root().get(`/apps/${id}`)).body).toMatchObject({ name: 'Two', revision: 2 });

    // A revision from the future is as wrong as an old one.
    expect((await root().put(`/apps/${id}`, { ...appBody(), revision: 7 })).body.code).toBe('REVISION_CONFLICT');

    // Without a revision: replaces whatever is there, as before revisions existed.
    const unguarded = await root().put(`/apps/${id}`, appBody({ name: 'Three' }));
    expect(unguarded.status).toBe(200);
    expect(unguarded.body).toMatchObject({ name: 'Three', revision: 3 });
  });

  it('revision 0 creates only', async () => {
    const id = uniqueId('app-');
    expect((await root().put(`/apps/${id}`, { ...appBody(), revision: 0 })).status).toBe(201);
    const again = await root().put(`/apps/${id}`, { ...appBody(), revision: 0 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('REVISION_CONFLICT');
  });

  it('lets exactly one of many racing writers of the same revision win', async () => {
    const id = uniqueId('app-');
    await root().put(`/apps/${id}`, appBody());
    const names = Array.from({ length: 8 }, (_, i) => `Racer ${i}`);
    const results = await Promise.all(
      names.map((name) => root().put(`/apps/${id}`, { ...appBody({ name }), revision: 1 })),
    );
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'REVISION_CONFLICT')).toBe(true);
    expect(results.filter((r) => r.status === 409)).toHaveLength(names.length - 1);
    expect((await root().get(`/apps/${id}`)).body).toMatchObject({ name: won[0].body.name, revision: 2 });
  });

  it('applies every one of many racing writes that name no revision, one revision each', async () => {
    const id = uniqueId('app-');
    await root().put(`/apps/${id}`, appBody());
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => root().put(`/apps/${id}`, appBody({ name: `Writer ${i}` }))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect((await root().get(`/apps/${id}`)).body.revision).toBe(7);
  });
});

describe('DELETE /apps/:id', () => {
  it('is refused while a grant is active, and deletes once it was revoked', async () => {
    const id = uniqueId('app-');
    await root().put(`/apps/${id}`, appBody());
    const alice = stack.as(users.alice);
    const ticket = (
      await alice.post('/tickets', {
        appId: id,
        changes: [{ op: 'add', entitlementId: 'engineering-team' }],
        duration: { type: 'limited', end: inHours(2) },
        reason: 'work',
      })
    ).body;
    await stack.as(users.carol).post(`/tickets/${ticket.id}/approve`, {});
    await eventually(
      async () => (await alice.get(`/tickets/${ticket.id}`)).body.access.state === 'active',
      20_000,
      'access active',
    );

    expect((await stack.as(users.alice).request('DELETE', `/apps/${id}`)).status).toBe(403);
    const refused = await root().request('DELETE', `/apps/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('APP_HAS_ACCESS');
    expect(refused.body.message).toContain(ticket.id);
    expect((await root().get(`/apps/${id}`)).status).toBe(200);

    await root().post(`/tickets/${ticket.id}/revoke`, {});
    await eventually(
      async () => (await root().get(`/grants?appId=${id}&userId=alice`)).body.length === 0,
      20_000,
      'grant revoked',
    );
    expect((await root().request('DELETE', `/apps/${id}?revision=0`)).body.code).toBe('REVISION_CONFLICT');
    expect((await root().request('DELETE', `/apps/${id}?revision=1`)).status).toBe(204);
    expect((await root().get(`/apps/${id}`)).body.code).toBe('APP_NOT_FOUND');
    const audit = (await root().get('/audit?action=app.delete')).body.items;
    expect(audit.filter((e: { target: string }) => e.target === id)).toEqual([
      expect.objectContaining({ actor: 'root', status: 204 }),
    ]);
    expect((await root().get('/apps')).body.some((a: { id: string }) => a.id === id)).toBe(false);
    expect((await root().request('DELETE', `/apps/${id}`)).body.code).toBe('APP_NOT_FOUND');

    // Created again, it counts on from the deletion, so a revision read before it is still stale.
    const again = await root().put(`/apps/${id}`, { ...appBody(), revision: 0 });
    expect(again.status).toBe(201);
    expect(again.body.revision).toBe(3);
    expect((await root().put(`/apps/${id}`, { ...appBody(), revision: 1 })).body.code).toBe('REVISION_CONFLICT');
  });
});
