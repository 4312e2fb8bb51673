/**
 * Two workers on one task queue, each with its own copy of the connector code (as two processes have),
 * grant and revoke members of one Slack user group at once through the API. Slack rewrites a group's
 * whole member list on every change, so changes from the two workers must not interleave.
 */
import { randomUUID } from 'node:crypto';
import type * as Connectors from '@gatehouse/connectors';
import type { RunningFake } from '../fakes/fake-http';
import { startSlackServer, type SlackFakeState } from '../fakes/slack-server';
import { eventually, startTestWorker, uniqueId, type RunningWorker } from '../support/harness';
import { appBody, startTestStack, users, type TestStack } from '../support/stack';

const TOKEN_ENV = 'GATEHOUSE_E2E_SLACK_TOKEN';
const token = `xoxb-fake-${randomUUID()}`;
const people = Array.from({ length: 8 }, (_, i) => ({ id: `UNEW${i}`, name: `new${i}` }));

let slack: RunningFake<SlackFakeState>;
let stack: TestStack;
let second: RunningWorker;

/** The connectors as a worker process of their own loads them (with their own in-process queues). */
function processOwnConnectors(): (typeof Connectors)['createConnector'] {
  let loaded!: typeof Connectors;
  jest.isolateModules(() => {
    loaded = jest.requireActual<typeof Connectors>('@gatehouse/connectors');
  });
  return loaded.createConnector;
}

beforeAll(async () => {
  slack = await startSlackServer({
    token,
    users: [{ id: 'UKEEP', name: 'keep' }, ...people],
    usergroups: [{ id: 'SENG', handle: 'engineering', users: ['UKEEP'] }],
  });
  // Reads answer slowly, so that read-modify-writes that are not serialized really overlap.
  slack.state.usersListDelayMs = 200;
  const env = { [TOKEN_ENV]: token };
  const first = processOwnConnectors();
  stack = await startTestStack({ worker: { env, connectorFor: (app, deps) => first(app.id, app.connector, deps) } });
  const other = processOwnConnectors();
  second = await startTestWorker(stack.store, {
    taskQueue: stack.worker.taskQueue,
    env,
    connectorFor: (app, deps) => other(app.id, app.connector, deps),
  });
});
afterAll(async () => {
  await second?.stop();
  await stack?.stop();
  await slack?.close();
});

test('people added and removed at once through either worker: every change sticks', async () => {
  const root = stack.as(users.root);
  const appId = uniqueId('slack-');
  const app = appBody({
    name: 'Slack',
    connector: { type: 'slack', config: { apiUrl: slack.url, tokenEnv: TOKEN_ENV } },
    entitlements: [{ id: 'engineering', kind: 'group', name: 'Engineering', externalId: 'SENG' }],
    policy: { requireReason: false, approval: { steps: [] } },
  });
  expect((await root.put(`/apps/${appId}`, app)).status).toBe(201);
  for (const p of people) expect((await root.put(`/users/${p.name}`, { accounts: { slack: p.id } })).status).toBe(200);

  // One scheduled start for all: every grant begins at the same moment, on whichever worker picks it up.
  const start = new Date(Date.now() + 5000).toISOString();
  const end = new Date(Date.now() + 600_000).toISOString();
  const tickets = await Promise.all(
    people.map(async (p) => {
      const res = await root.post('/tickets', {
        appId,
        changes: [{ op: 'add', entitlementId: 'engineering' }],
        duration: { type: 'limited', start, end },
        onBehalfOf: p.name,
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    }),
  );
  const accessIs = (state: string) =>
    Promise.all(
      tickets.map((id) =>
        eventually(
          async () => (await root.get(`/tickets/${id}`)).body.access?.state === state,
          // Eight grants queue for one user group's lease; on a loaded 2-core machine that takes a while.
          90_000,
          `${id} ${state}`,
        ),
      ),
    );
  await accessIs('active');
  expect([...slack.state.usergroups.get('SENG')!.users].sort()).toEqual(['UKEEP', ...people.map((p) => p.id)].sort());

  await Promise.all(tickets.slice(0, 5).map((id) => root.post(`/tickets/${id}/revoke`, { comment: 'rotation over' })));
  await Promise.all(
    tickets.slice(0, 5).map((id) =>
      eventually(
        async () => (await root.get(`/tickets/${id}`)).body.access?.state === 'revoked',
        // Eight grants queue for one user group's lease; on a loaded 2-core machine that takes a while.
        90_000,
        `${id} revoked`,
      ),
    ),
  );
  expect([...slack.state.usergroups.get('SENG')!.users].sort()).toEqual(
    ['UKEEP', ...people.slice(5).map((p) => p.id)].sort(),
  );
}, 240_000);
