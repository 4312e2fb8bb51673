import { parseDocument } from 'yaml';
import type { Api } from './api';
import { parseConfig, recordRevisions, type AppConfig } from './config-file';
import { CliError } from './errors';
import { appChanges, canonical, makePlan } from './plan';

const app = (overrides: Partial<AppConfig> = {}): AppConfig => ({
  id: 'github',
  revision: 3,
  name: 'GitHub',
  connector: { type: 'demo', config: {} },
  entitlements: [
    { id: 'team', kind: 'group', name: 'Team' },
    { id: 'admin', kind: 'role', name: 'Admin' },
  ],
  policy: { requireReason: true, approval: { steps: [{ name: 'Lead', approvers: ['user:carol'], minApprovals: 1 }] } },
  ...overrides,
});

describe('plan: app differences', () => {
  it('sees no change where only key order, the revision or an absent licenses list differ', () => {
    const server = app({ licenses: [], revision: 4 });
    const file = app({ policy: { approval: server.policy.approval, requireReason: true } });
    expect(appChanges(server, file)).toEqual([]);
    expect(canonical({ b: 1, a: [{ d: 2, c: undefined }] })).toBe(canonical({ a: [{ d: 2 }], b: 1 }));
  });

  it('names changed fields and each entitlement added, changed or removed', () => {
    const changes = appChanges(
      app(),
      app({
        name: 'GitHub Enterprise',
        entitlements: [
          { id: 'team', kind: 'group', name: 'Engineering' },
          { id: 'oncall', kind: 'group', name: 'On-call' },
        ],
      }),
    );
    expect(changes).toEqual([
      { kind: 'app', id: 'github', action: 'change', fields: ['name', 'entitlements'] },
      { kind: 'entitlement', id: 'team', app: 'github', action: 'change', fields: ['name'] },
      { kind: 'entitlement', id: 'oncall', app: 'github', action: 'add' },
      { kind: 'entitlement', id: 'admin', app: 'github', action: 'remove' },
    ]);
  });

  it('counts a reordered catalog as a change of the app', () => {
    const reordered = app({ entitlements: [...app().entitlements].reverse() });
    expect(appChanges(app(), reordered)).toEqual([
      { kind: 'app', id: 'github', action: 'change', fields: ['entitlements'] },
    ]);
  });
});

describe('the configuration file', () => {
  it('lists every schema violation with its path', () => {
    const text = 'version: 1\napps:\n  - id: x\n    name: X\n    connector: { type: ftp, config: {} }\n    extra: 1\n';
    expect(() => parseConfig(text, 'f.yaml')).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(/\/apps\/0\/connector\/type must be equal to one of the allowed values/),
      }),
    );
    try {
      parseConfig(text, 'f.yaml');
    } catch (err) {
      expect((err as Error).message).toContain("/apps/0 must have required property 'entitlements'");
      expect((err as Error).message).toContain('/apps/0 must NOT have additional properties');
    }
  });

  it('refuses an app listed twice, and a webhook secret given as a value', () => {
    const one =
      '{ id: a, name: A, connector: { type: demo, config: {} }, entitlements: [], policy: { approval: { steps: [] } } }';
    expect(() => parseConfig(`version: 1\napps: [${one}, ${one}]\n`, 'f')).toThrow(/app "a" appears twice/);
    expect(() =>
      parseConfig('version: 1\nwebhooks: [{ url: "https://x.example", events: ["*"], secret: "whsec_x" }]\n', 'f'),
    ).toThrow(/must NOT have additional properties/);
  });

  it('records new revisions and webhook ids in the file, keeping its comments', () => {
    const text = [
      'version: 1',
      'apps:',
      '  # the engineering org',
      '  - id: github # ours',
      '    revision: 3',
      '    name: GitHub',
      '    connector: { type: demo, config: {} }',
      '    entitlements: []',
      '    policy: { approval: { steps: [] } }',
      'webhooks:',
      '  - url: https://hooks.example.com/x # SIEM',
      '    events: ["*"]',
      '',
    ].join('\n');
    const { doc } = parseConfig(text, 'f');
    recordRevisions(doc, {
      apps: new Map([['github', 4]]),
      policies: new Map(),
      webhookIds: new Map([[0, 'wh_0123456789abcdef']]),
    });
    const out = doc.toString();
    expect(out).toContain('# the engineering org');
    expect(out).toContain('# SIEM');
    expect(parseDocument(out).toJS()).toMatchObject({
      apps: [{ id: 'github', revision: 4 }],
      webhooks: [{ id: 'wh_0123456789abcdef', url: 'https://hooks.example.com/x' }],
    });
  });
});

describe('plan: the server’s impact preview', () => {
  /** A server holding `current`, answering impact previews through `impact` (which may throw). */
  function server(current: AppConfig, impact: (path: string, body: unknown) => unknown) {
    const posts: string[] = [];
    const api = {
      url: 'http://gatehouse.test',
      post: async (path: string, body: unknown) => {
        posts.push(path);
        return impact(path, body);
      },
    } as unknown as Api;
    return { api, posts, state: { apps: [current], policies: null, webhooks: [] } };
  }
  const preview = (summary: string[]) => ({ exists: true, summary, steps: [], openTickets: { count: 0, ids: [] } });

  it('asks for each app added or changed (with the body apply would PUT), none for an unchanged one', async () => {
    const { api, posts, state } = server(app(), (_path, body) => {
      expect(body).not.toHaveProperty('revision');
      return preview(['makes 2 people approvers of GitHub step 1 (Lead)']);
    });
    const changed = app({
      policy: { approval: { steps: [{ name: 'Lead', approvers: ['group:leads'], minApprovals: 1 }] } },
    });
    const plan = await makePlan(
      api,
      { version: 1, apps: [changed, app({ id: 'payroll', name: 'Payroll' })] },
      state,
      false,
    );
    expect(posts).toEqual(['/apps/github/impact', '/apps/payroll/impact']);
    expect(plan.impact.github.summary).toEqual(['makes 2 people approvers of GitHub step 1 (Lead)']);

    const same = server(app(), () => preview([]));
    expect((await makePlan(same.api, { version: 1, apps: [app()] }, same.state, false)).impact).toEqual({});
    expect(same.posts).toEqual([]);
  });

  it('reports an app the server would refuse, and plans as before on a server without the preview', async () => {
    const refusing = server(app(), () => {
      throw new CliError('VALIDATION_FAILED', 'policy.approval.steps[0].approvers must be user:<id>', undefined, 400);
    });
    const plan = await makePlan(refusing.api, { version: 1, apps: [app({ name: 'Renamed' })] }, refusing.state, false);
    expect(plan.impact.github).toEqual({
      refused: 'policy.approval.steps[0].approvers must be user:<id>',
      summary: ['the server would refuse it: policy.approval.steps[0].approvers must be user:<id>'],
    });

    const old = server(app(), () => {
      throw new CliError('NOT_FOUND', 'Cannot POST /apps/github/impact', undefined, 404);
    });
    const before = await makePlan(old.api, { version: 1, apps: [app({ name: 'Renamed' })] }, old.state, false);
    expect(before.impact).toEqual({});
    expect(before.changes).toEqual([{ kind: 'app', id: 'github', action: 'change', fields: ['name'] }]);
  });
});
