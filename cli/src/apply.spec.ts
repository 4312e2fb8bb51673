import type { Api } from './api';
import { applyPlan } from './apply';
import type { AppConfig } from './config-file';
import { CliError } from './errors';
import type { Plan } from './plan';

const app = (overrides: Partial<AppConfig> = {}): AppConfig => ({
  id: 'github',
  revision: 3,
  name: 'GitHub',
  connector: { type: 'demo', config: {} },
  entitlements: [{ id: 'team', kind: 'group', name: 'Team' }],
  policy: { approval: { steps: [] } },
  ...overrides,
});

const plan = (overrides: Partial<Plan> = {}): Plan => ({
  changes: [{ kind: 'app', id: 'github', action: 'change', fields: ['name'] }],
  impact: {},
  stale: [],
  unmanaged: [],
  activeGrants: {},
  policiesSupported: false,
  ...overrides,
});

/** An API whose writes are recorded; `put` answers what `onPut` returns or throws. */
function fakeApi(onPut: () => unknown, current: AppConfig) {
  const calls: string[] = [];
  const api = {
    url: 'http://gatehouse.test',
    put: async (path: string) => {
      calls.push(`PUT ${path}`);
      return onPut();
    },
    get: async () => current,
    post: async (path: string) => calls.push(`POST ${path}`),
    delete: async (path: string) => calls.push(`DELETE ${path}`),
    request: async (method: string, path: string) => calls.push(`${method} ${path}`),
  };
  return { api: api as unknown as Api, calls };
}

describe('apply', () => {
  it('writes nothing when the plan found the server changed since the file', async () => {
    const { api, calls } = fakeApi(() => ({ revision: 4 }), app());
    const stale = [{ kind: 'app' as const, id: 'github', recorded: 3, current: 4, differs: [] }];
    await expect(
      applyPlan(api, { version: 1, apps: [app()] }, plan({ stale }), { log: () => {} }),
    ).rejects.toMatchObject({
      code: 'REVISION_CONFLICT',
      message: expect.stringContaining('github: the server is at revision 4, the file records 3'),
    });
    expect(calls).toEqual([]);
  });

  it('says what the server has when the API refuses a write that raced the plan', async () => {
    const { api } = fakeApi(
      () => {
        throw new CliError('REVISION_CONFLICT', 'Application github changed since revision 3 was read', 1, 409);
      },
      app({ revision: 4, name: 'Renamed on the server' }),
    );
    await expect(applyPlan(api, { version: 1, apps: [app()] }, plan(), { log: () => {} })).rejects.toMatchObject({
      code: 'REVISION_CONFLICT',
      message: expect.stringMatching(
        /github: the server is at revision 4, the file records 3[\s\S]*change app github \(name\)/,
      ),
    });
  });

  it('refuses --prune of an app with active grants before writing anything, unless told to revoke', async () => {
    const { api, calls } = fakeApi(() => ({ revision: 4 }), app());
    const pruning = plan({
      changes: [
        { kind: 'app', id: 'github', action: 'change', fields: ['name'] },
        { kind: 'app', id: 'legacy', action: 'remove', revision: 7 },
      ],
      activeGrants: { legacy: 2 },
    });
    await expect(applyPlan(api, { version: 1, apps: [app()] }, pruning, { log: () => {} })).rejects.toMatchObject({
      code: 'APP_HAS_ACCESS',
      message: expect.stringContaining('legacy: 2 active grant(s)'),
    });
    expect(calls).toEqual([]);
  });
});
