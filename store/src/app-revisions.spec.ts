/**
 * App revisions on FerretDB: the unique claim decides between racing writers, also across processes,
 * and a writer that died between its claim and its write does not wedge the app.
 */
import type { App } from '@gatehouse/domain';
import { openTestStore, sameDatabase, uniqueId } from '../../test/support/harness';
import { RevisionConflictError } from './app-revisions';
import type { Store } from './store';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => store?.close());

const app = (id: string, name: string): App => ({
  id,
  name,
  connector: { type: 'demo', config: {} },
  entitlements: [],
  licenses: [],
  policy: { approval: { steps: [] } },
});

test('two processes writing the same revision: exactly one wins, the other gets RevisionConflictError', async () => {
  const id = uniqueId('app-');
  await store.apps.put(app(id, 'v1'));
  const other = sameDatabase(store);
  const results = await Promise.allSettled([
    ...Array.from({ length: 5 }, (_, i) => store.apps.put(app(id, `a${i}`), 1)),
    ...Array.from({ length: 5 }, (_, i) => other.apps.put(app(id, `b${i}`), 1)),
  ]);
  const won = results.filter((r) => r.status === 'fulfilled');
  expect(won).toHaveLength(1);
  for (const r of results.filter((r) => r.status === 'rejected'))
    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(RevisionConflictError);
  expect((await store.apps.getRevisioned(id))?.revision).toBe(2);
});

test('a claim whose writer died is completed by the next writer once it is 30 s old', async () => {
  const id = uniqueId('app-');
  await store.apps.put(app(id, 'v1'));
  // A writer claimed revision 2 and stopped before writing it.
  const { id: _, ...claimed } = app(id, 'claimed');
  await store.apps.revisions.create({
    _id: `${id}:2`,
    appId: id,
    revision: 2,
    app: claimed,
    at: new Date().toISOString(),
  });
  // Still young: its writer may be about to write, so a guarded write of revision 1 is a conflict.
  await expect(store.apps.put(app(id, 'mine'), 1)).rejects.toBeInstanceOf(RevisionConflictError);

  await store.apps.revisions.updateOne({ _id: `${id}:2` }, { at: new Date(Date.now() - 60_000).toISOString() });
  // Old: rolled forward to revision 2, so revision 1 is stale now and revision 2 is what a writer names.
  await expect(store.apps.put(app(id, 'mine'), 1)).rejects.toBeInstanceOf(RevisionConflictError);
  expect(await store.apps.getRevisioned(id)).toMatchObject({ revision: 2, app: { name: 'claimed' } });
  expect(await store.apps.put(app(id, 'mine'), 2)).toEqual({ created: false, revision: 3 });
  expect((await store.apps.get(id))?.name).toBe('mine');
});
