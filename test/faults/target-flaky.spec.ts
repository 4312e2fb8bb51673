/**
 * Fault 5: the target application answers 500 and then 429 (Retry-After) for a while. The apply is retried
 * with backoff, honours Retry-After, and succeeds once the target heals, with exactly one membership in the
 * target and one `granted` entry. Target: the GitHub fake (test/fakes/github-server.ts) with queued faults,
 * reached by a worker process that holds the token.
 */
import type { Store } from '@gatehouse/store';
import { startGithubServer } from '../fakes/github-server';
import { accessFacts, api, demoApp, putApp, requester, ticketBody, truth, who } from './support/api';
import { appEnv, eventually, report, Scope, type Servers } from './support/processes';

jest.setTimeout(90_000);

const TOKEN = 'ghp_faulttests0123456789';
const scope = new Scope();
let servers: Servers;
let store: Store;
let url = '';
const as = api(() => url);

beforeAll(async () => {
  servers = await scope.servers();
  const env = appEnv(servers, scope);
  ({ store } = await truth(scope, servers, env.MONGODB_DB));
  scope.worker({ ...env, GITHUB_TOKEN: TOKEN });
  url = (await scope.gateway(env)).url;
});
afterAll(() => scope.close());

test('GitHub answers 500 ×2 then 429 ×2 (Retry-After: 2): the grant is retried with backoff and lands exactly once', async () => {
  const github = await startGithubServer({
    token: TOKEN,
    org: 'acme',
    users: ['octo-flaky'],
    orgMembers: ['octo-flaky'],
    teams: { eng: [] },
  });
  scope.onClose(() => github.close());
  const appId = await putApp(
    url,
    demoApp(
      {},
      { type: 'github', config: { org: 'acme', tokenEnv: 'GITHUB_TOKEN', baseUrl: github.url } },
      { externalId: 'eng' },
    ),
  );
  expect((await as(who.root).put('/users/flaky', { name: 'Flaky', accounts: { github: 'octo-flaky' } })).status).toBe(
    200,
  );

  const grantPath = /\/teams\/eng\/memberships\//;
  github.state.faults.add({ method: 'PUT', path: grantPath, status: 500, body: { message: 'Server Error' }, times: 2 });
  github.state.faults.add({
    method: 'PUT',
    path: grantPath,
    status: 429,
    headers: { 'retry-after': '2' },
    body: { message: 'You have exceeded a secondary rate limit' },
    times: 2,
  });

  const created = await as(requester('flaky')).post('/tickets', ticketBody(appId));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // Timestamps of the grant attempts, as the fake receives them.
  const seen: number[] = [];
  const grants = () => github.state.requests.filter((r) => r.method === 'PUT' && grantPath.test(r.path));
  const watch = setInterval(() => {
    while (seen.length < grants().length) seen.push(Date.now());
  }, 20);
  try {
    expect((await as(who.carol).post(`/tickets/${id}/approve`, {})).status).toBe(200);
    const facts = await eventually(
      async () => {
        const f = await accessFacts(store, appId, 'flaky', id);
        return (f.access === 'active' || f.access === 'failed') && f;
      },
      45_000,
      `${id} active`,
      100,
    );
    expect(facts.access).toBe('active');
    expect(facts).toMatchObject({ activeGrants: 1, granted: 1 });
    expect(facts.log.filter((e) => e.event === 'provisioning_failed')).toHaveLength(0);
  } finally {
    clearInterval(watch);
  }
  expect(grants()).toHaveLength(5); // 4 refused + 1 accepted: no extra write once it succeeded
  expect([...github.state.teams.get('eng')!]).toEqual(['octo-flaky']);
  const gaps = seen.slice(1).map((t, i) => t - seen[i]);
  // Backoff after the 500s (1 s, then 2 s), Retry-After (2 s) after each 429: never a hot loop.
  expect(gaps[0]).toBeGreaterThanOrEqual(800);
  expect(gaps[1]).toBeGreaterThanOrEqual(1600);
  expect(gaps[2]).toBeGreaterThanOrEqual(1800);
  expect(gaps[3]).toBeGreaterThanOrEqual(1800);
  report('target-500-429', {
    faultsInjected: 4,
    grantAttempts: seen.length,
    gapsMs: gaps,
    ticketsChecked: 1,
    grantsChecked: 1,
    membershipsInTarget: 1,
    lost: 0,
  });
});
