/**
 * A connector secret and bearer tokens pass through a whole ticket (a GitHub app whose token comes from
 * the worker's environment): none of them may appear in gateway logs, audit entries, workflow
 * history or any response. The audit log records every decision and administrative change.
 */
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startGithubServer } from '../fakes/github-server';
import { eventually, testTemporalAddress, uniqueId } from '../support/harness';
import { startTestStack, users, type TestStack } from '../support/stack';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { binaries } = require('../../tools/scripts/stack') as typeof import('../../tools/scripts/stack');

const SECRET = `ghp_${uniqueId('secret')}${uniqueId('')}`;
let logText = '';
const sink = new Writable({
  write(chunk, _enc, done) {
    logText += chunk.toString();
    done();
  },
});

let stack: TestStack;
let github: Awaited<ReturnType<typeof startGithubServer>>;
const responses: string[] = [];

beforeAll(async () => {
  github = await startGithubServer({
    token: SECRET,
    org: 'acme',
    users: ['alice-gh'],
    orgMembers: ['alice-gh'],
    teams: { platform: [] },
  });
  stack = await startTestStack({
    worker: { env: { GH_TOKEN_FOR_TEST: SECRET } },
    logger: pino({ level: 'debug' }, sink),
  });
});
afterAll(async () => {
  await stack?.stop();
  await github?.close();
});

async function call(who: Parameters<TestStack['as']>[0], method: string, path: string, body?: unknown) {
  const res = await stack.as(who).request(method, path, body);
  responses.push(JSON.stringify(res.body), JSON.stringify([...res.headers.entries()]));
  return res;
}

test('a secret-bearing ticket leaves no secret or token anywhere, and every decision is audited', async () => {
  const appId = uniqueId('gh-');
  const put = await call(users.root, 'PUT', `/apps/${appId}`, {
    name: 'GitHub',
    connector: { type: 'github', config: { org: 'acme', tokenEnv: 'GH_TOKEN_FOR_TEST', baseUrl: github.url } },
    entitlements: [{ id: 'platform', kind: 'group', name: 'platform' }],
    policy: { approval: { steps: [{ name: 'Lead', approvers: ['user:carol'], minApprovals: 1 }] } },
  });
  expect(put.status).toBe(201);
  expect(JSON.stringify(put.body)).toContain('GH_TOKEN_FOR_TEST');
  await call(users.root, 'PUT', '/users/alice', { accounts: { github: 'alice-gh' } });
  const created = await call(users.alice, 'POST', '/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId: 'platform' }],
    duration: { type: 'indefinite' },
    reason: 'deploys',
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const approved = await call(users.carol, 'POST', `/tickets/${id}/approve`, { comment: 'ok' });
  expect(approved.status).toBe(200);
  await eventually(
    async () => (await call(users.alice, 'GET', `/tickets/${id}`)).body.access.state === 'active',
    15_000,
    'active',
  );
  expect([...github.state.teams.get('platform')!]).toEqual(['alice-gh']);
  const revoked = await call(users.root, 'POST', `/tickets/${id}/revoke`, { comment: 'done' });
  expect(revoked.body.access.state).toBe('revoked');
  expect(github.state.teams.get('platform')!.size).toBe(0);
  // A bad token and a failed call: error bodies must not echo what was sent.
  await call(`Bearer ${await stack.token(users.alice)}x`, 'GET', '/me');
  await call(users.alice, 'POST', '/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId: 'platform' }],
    duration: { type: 'indefinite' },
    reason: SECRET.slice(0, 3),
  });

  // The audit log: who, what, when, from which request.
  const audit = await call(users.root, 'GET', '/audit?limit=50');
  const mine = audit.body.items.filter(
    (e: { target: string }) => e.target === id || e.target === appId || e.target === 'alice',
  );
  expect(mine.map((e: { action: string }) => e.action)).toEqual([
    'ticket.revoke',
    'ticket.approve',
    'ticket.create',
    'user.put',
    'app.put',
  ]);
  const approval = mine.find((e: { action: string }) => e.action === 'ticket.approve');
  expect(approval).toMatchObject({ actor: 'carol', target: id, status: 200, details: { comment: 'ok', resultId: id } });
  expect(approval.requestId).toBe(approved.headers.get('x-request-id'));
  expect(Date.parse(approval.at)).toBeGreaterThan(Date.now() - 60_000);
  const byCarol = await call(users.root, 'GET', '/audit?actor=carol');
  expect(byCarol.body.items.every((e: { actor: string }) => e.actor === 'carol')).toBe(true);

  // The grep: no secret, no bearer token, in any place a human or a log pipeline can read.
  const history = execFileSync(binaries().temporal, [
    'workflow',
    'show',
    '--workflow-id',
    id,
    '--address',
    testTemporalAddress(),
    '--output',
    'json',
  ]).toString();
  const tokens = await Promise.all([users.alice, users.carol, users.root].map((u) => stack.token(u)));
  const places = { logs: logText, audit: JSON.stringify(audit.body), history, responses: responses.join('\n') };
  expect(logText.length).toBeGreaterThan(1000);
  expect(history).toContain(id); // the history really was fetched
  for (const [place, text] of Object.entries(places)) {
    expect({ place, secret: text.includes(SECRET) }).toEqual({ place, secret: false });
    for (const token of tokens) {
      expect({ place, token: text.includes(token) || text.includes(token.split('.')[2]) }).toEqual({
        place,
        token: false,
      });
    }
  }
});
