/**
 * Fault 1: the worker is SIGKILLed while applies are in flight, then started again. Every access is
 * granted exactly once (one membership, one active grant, one `granted` entry) and every ticket completes.
 *
 * "In flight" is made deterministic by test/faults/support/fault-worker.js: the production worker factory
 * with a connector whose grant reaches the target and then waits, so the kill lands after the target was
 * written and before the activity reported back (the retry must be idempotent).
 */
import type { Store } from '@gatehouse/store';
import { accessFacts, api, demoApp, putApp, requester, ticketBody, truth, who } from './support/api';
import { appEnv, eventually, FAULT_WORKER, kill9, report, Scope, type Servers } from './support/processes';

jest.setTimeout(240_000);

const scope = new Scope();
let servers: Servers;
let store: Store;
let url = '';
const as = api(() => url);

beforeAll(async () => {
  servers = await scope.servers();
  const env = appEnv(servers, scope);
  ({ store } = await truth(scope, servers, env.MONGODB_DB));
  url = (await scope.gateway(env)).url;
});
afterAll(() => scope.close());

test('SIGKILL during in-flight applies, then restart: every ticket completes, each access granted exactly once', async () => {
  const env = appEnv(servers, scope);
  const slow = scope.worker({ ...env, FAULT_GRANT_DELAY_MS: '600000' }, FAULT_WORKER);
  await slow.waitFor('FAULT_WORKER_READY', 30_000);
  const appId = await putApp(url, demoApp());

  const N = 3;
  const tickets: { id: string; user: string }[] = [];
  for (let i = 0; i < N; i++) {
    const user = `kill${i}`;
    const res = await as(requester(user)).post('/tickets', ticketBody(appId));
    expect(res.status).toBe(201);
    tickets.push({ id: res.body.id, user });
  }
  for (const t of tickets) expect((await as(who.carol).post(`/tickets/${t.id}/approve`, {})).status).toBe(200);
  // Every grant has reached the target and none of the activities has completed.
  for (const t of tickets) await slow.waitFor(`FAULT_GRANT_WRITTEN ${t.id}`, 30_000);
  // The read model follows the workflow one write behind (the write of `applying` may still wait behind the
  // publication of the approval's events), so it is read until it shows the in-flight apply.
  for (const t of tickets)
    await eventually(
      async () => (await accessFacts(store, appId, t.user, t.id)).access === 'applying',
      15_000,
      `${t.id} applying in the read model`,
    );

  await kill9(slow);
  const killedAt = Date.now();
  const fresh = scope.worker(env);

  // The lost attempts are retried once their start-to-close timeout (2 min) expires: no heartbeat timeout.
  const done = await Promise.all(
    tickets.map((t) =>
      eventually(
        async () => {
          const f = await accessFacts(store, appId, t.user, t.id);
          return f.access === 'active' && { ...f, at: Date.now() };
        },
        170_000,
        `${t.id} active after the restart (worker output: ${fresh.output()})`,
        250,
      ),
    ),
  );
  const recoveryMs = Math.max(...done.map((d) => d.at)) - killedAt;
  for (const f of done) {
    expect(f.memberships).toBe(1);
    expect(f.activeGrants).toBe(1);
    expect(f.grants).toBe(1);
    expect(f.granted).toBe(1);
    expect(f.log.filter((e) => e.event === 'provisioning_failed')).toHaveLength(0);
  }
  expect(fresh.alive()).toBe(true);
  report('worker-sigkill', {
    faultsInjected: 1,
    inFlightApplies: N,
    ticketsChecked: N,
    grantsChecked: N,
    duplicateGrants: 0,
    lost: 0,
    recoveryMs,
  });
});
