/**
 * Fault 3: MongoDB (FerretDB) stops. The API answers 503 DEPENDENCY_UNAVAILABLE quickly (no hang, no 500)
 * for reads and writes, and /health says mongo is down. Temporal keeps deciding meanwhile: an expiry falls
 * inside the outage, and an approval sent straight to the workflow (the gateway itself cannot approve
 * while it cannot read the ticket) is accepted. After FerretDB restarts on the same data dir, every
 * accepted ticket is in the read model and both decisions have caught up.
 */
import type { Client } from '@temporalio/client';
import type { Store } from '@gatehouse/store';
import { approveTicketUpdate } from '@gatehouse/workflows';
import { accessFacts, api, demoApp, putApp, requester, ticketBody, truth, who, type HttpResult } from './support/api';
import { appEnv, eventually, report, Scope, sleep, within, type Proc, type Servers } from './support/processes';

jest.setTimeout(150_000);

const scope = new Scope();
let servers: Servers;
let store: Store;
let client: Client;
let worker: Proc;
let url = '';
const as = api(() => url);
const during: Record<string, HttpResult> = {};

beforeAll(async () => {
  servers = await scope.servers();
  const env = appEnv(servers, scope);
  ({ store, client } = await truth(scope, servers, env.MONGODB_DB));
  worker = scope.worker(env);
  url = (await scope.gateway(env)).url;
});
afterAll(() => scope.close());

test('FerretDB down: 503 for reads and writes, health says mongo down; after the restart nothing accepted is lost and decisions caught up', async () => {
  const appId = await putApp(url, demoApp());
  const endT1 = Date.now() + 12_000;
  const t1 = (
    await as(requester('m1')).post(
      '/tickets',
      ticketBody(appId, { type: 'limited', end: new Date(endT1).toISOString() }),
    )
  ).body.id as string;
  expect((await as(who.carol).post(`/tickets/${t1}/approve`, {})).status).toBe(200);
  await eventually(async () => (await accessFacts(store, appId, 'm1', t1)).access === 'active', 20_000, `${t1} active`);
  const t2 = (await as(requester('m2')).post('/tickets', ticketBody(appId))).body.id as string;
  const t3 = (await as(requester('m3')).post('/tickets', ticketBody(appId))).body.id as string;
  const accepted = [t1, t2, t3];
  for (const t of accepted) expect(t).toMatch(/^TCK-/);

  await servers.stopMongo();
  const stoppedAt = Date.now();
  const calls = {
    getTicket: () => as(requester('m1')).get(`/tickets/${t1}`),
    listTickets: () => as(who.root).get('/tickets'),
    createTicket: () => as(requester('m4')).post('/tickets', ticketBody(appId)),
    approve: () => as(who.carol).post(`/tickets/${t2}/approve`, {}),
    health: () => as(null).get('/health'),
  };
  // First calls right after the stop, then again once the driver has noticed (its pool is empty).
  for (const round of [1, 2]) {
    const results = await Promise.all(Object.entries(calls).map(async ([name, fn]) => [name, await fn()] as const));
    for (const [name, res] of results) during[`${name}#${round}`] = res;
    if (round === 1) await sleep(4000);
  }
  // The workflow is the authority: a decision sent straight to it is accepted while the read model is down.
  const decided = await within(20_000, 'direct approve Update', () =>
    client.workflow.getHandle(t3).executeUpdate(approveTicketUpdate, {
      args: [
        { actor: { id: 'carol', name: 'Carol Lead', roles: [], groups: ['leads'] }, comment: 'while mongo is down' },
      ],
    }),
  );
  expect(decided.status).toBe('approved');

  await sleep(Math.max(0, endT1 + 2000 - Date.now())); // T1's end passes inside the outage
  await servers.startMongo();
  const restartedAt = Date.now();

  const caughtUp = await eventually(
    async () => {
      const [f1, f2, f3] = await Promise.all([
        accessFacts(store, appId, 'm1', t1),
        accessFacts(store, appId, 'm2', t2),
        accessFacts(store, appId, 'm3', t3),
      ]);
      return f1.access === 'expired' && f3.access === 'active' && { f1, f2, f3, at: Date.now() };
    },
    90_000,
    'the read model to catch up',
    250,
  );
  const { f1, f2, f3 } = caughtUp;
  expect(f1).toMatchObject({ status: 'approved', memberships: 0, activeGrants: 0, granted: 1 });
  expect(f1.log.filter((e) => e.event === 'expired')).toHaveLength(1);
  expect(f2).toMatchObject({ status: 'pending', memberships: 0 });
  expect(f3).toMatchObject({ status: 'approved', memberships: 1, activeGrants: 1, granted: 1 });
  expect(f3.log.filter((e) => e.event === 'approved' && e.actor === 'carol')).toHaveLength(1);

  // Every accepted ticket is readable through the API again.
  const health = await eventually(
    async () => {
      const h = await as(null).get('/health');
      return h.status === 200 && h;
    },
    30_000,
    '/health 200 after the restart',
  );
  expect(health.body.checks).toEqual({ mongo: 'up', temporal: 'up' });
  const list = await as(who.root).get('/tickets?limit=100');
  expect(list.status).toBe(200);
  expect(list.body.items.map((i: { id: string }) => i.id).sort()).toEqual([...accepted].sort());
  for (const t of accepted) expect((await as(who.root).get(`/tickets/${t}`)).status).toBe(200);
  expect(worker.alive()).toBe(true);

  report('mongo-outage', {
    faultsInjected: 1,
    outageMs: restartedAt - stoppedAt,
    ticketsChecked: accepted.length,
    grantsChecked: 2,
    catchUpAfterRestartMs: caughtUp.at - restartedAt,
    lost: 0,
    answersDuringOutage: Object.fromEntries(
      Object.entries(during).map(([k, r]) => [k, `${r.status} ${(r.body as { code?: string })?.code ?? ''} ${r.ms}ms`]),
    ),
  });
});

test('during the outage every API call answered 503 DEPENDENCY_UNAVAILABLE within 10 s (no 500, no hang)', () => {
  expect(Object.keys(during)).toHaveLength(10);
  const bad = Object.entries(during)
    .filter(
      ([, r]) => r.status !== 503 || (r.body as { code?: string })?.code !== 'DEPENDENCY_UNAVAILABLE' || r.ms >= 10_000,
    )
    .map(([k, r]) => `${k}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)} after ${r.ms} ms`);
  expect(bad).toEqual([]);
  expect(during['health#2'].body.checks.mongo).toBe('down');
});
