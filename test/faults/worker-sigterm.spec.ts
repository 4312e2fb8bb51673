/**
 * Fault 7: graceful shutdown of the worker (SIGTERM). In-flight activities finish within the grace time
 * (WORKER_SHUTDOWN_GRACE_SECONDS) or are handed back; the process exits within grace + a small margin,
 * and the ticket completes, granted exactly once, after a new worker starts.
 */
import type { Client } from '@temporalio/client';
import type { Store } from '@gatehouse/store';
import {
  accessFacts,
  api,
  diagnose,
  demoApp,
  putApp,
  requester,
  ticketBody,
  truth,
  who,
  workerPolling,
} from './support/api';
import { appEnv, eventually, FAULT_WORKER, report, Scope, within, type Proc, type Servers } from './support/processes';

jest.setTimeout(200_000);

const GRACE_S = 3;
const MARGIN_MS = 4000;
const scope = new Scope();
let servers: Servers;
let store: Store;
let client: Client;
let url = '';
let appId = '';
/** Workers of the running test: every test ends with none left polling the shared task queue. */
const running: Proc[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => (p.alive() ? terminate(p) : null)));
});
const as = api(() => url);
const numbers: Record<string, unknown> = {};

beforeAll(async () => {
  servers = await scope.servers();
  const env = appEnv(servers, scope);
  ({ store, client } = await truth(scope, servers, env.MONGODB_DB));
  url = (await scope.gateway(env)).url;
  appId = await putApp(url, demoApp());
});
afterAll(async () => {
  report('worker-sigterm', numbers);
  await scope.close();
});

async function approvedTicket(user: string): Promise<string> {
  const res = await as(requester(user)).post('/tickets', ticketBody(appId));
  expect(res.status).toBe(201);
  expect((await as(who.carol).post(`/tickets/${res.body.id}/approve`, {})).status).toBe(200);
  return res.body.id;
}

/** SIGTERM, and how long the process took to exit (bounded: SIGKILL after grace + 2 × margin). */
async function terminate(p: Proc): Promise<{ exitMs: number; code: number | null; signal: string | null }> {
  const at = Date.now();
  p.child.kill('SIGTERM');
  try {
    const exit = await within(GRACE_S * 1000 + 2 * MARGIN_MS, 'worker exit after SIGTERM', () => p.exited);
    return { exitMs: exit.at - at, code: exit.code, signal: exit.signal };
  } catch {
    p.child.kill('SIGKILL');
    await p.exited;
    return { exitMs: Number.POSITIVE_INFINITY, code: null, signal: 'SIGKILL (hung)' };
  }
}

async function completesOnce(user: string, ticketId: string, timeoutMs = 30_000) {
  const f = await eventually(
    async () => {
      const facts = await accessFacts(store, appId, user, ticketId);
      return facts.access === 'active' && facts;
    },
    timeoutMs,
    `${ticketId} active`,
    200,
  ).catch(async (err) => {
    throw new Error(`${String(err)}\nworkflow: ${await diagnose(client, ticketId)}`);
  });
  expect(f).toMatchObject({ memberships: 1, activeGrants: 1, grants: 1, granted: 1 });
  return f;
}

test('SIGTERM right after an approval (production worker): exits within the grace time, the ticket completes once after a restart', async () => {
  const env: Record<string, string> = { ...appEnv(servers, scope), WORKER_SHUTDOWN_GRACE_SECONDS: String(GRACE_S) };
  const w = scope.worker(env);
  running.push(w);
  // The approval is an Update the worker must take: wait for the worker's boot (5-20 s on the shared
  // machine), as the other tests wait for FAULT_WORKER_READY, so the approval's 15 s bound is its own.
  await workerPolling(client, env.TEMPORAL_TASK_QUEUE, w);
  const id = await approvedTicket('st1');
  const exit = await terminate(w);
  expect(exit.exitMs).toBeLessThan(GRACE_S * 1000 + MARGIN_MS);
  const next = scope.worker(env);
  running.push(next);
  const restartedAt = Date.now();
  // Bounded by the apply's start-to-close timeout (2 min): an attempt the stopping worker had taken but
  // never reported (finding F5 in docs/reliability.md) is only retried when it times out.
  await completesOnce('st1', id, 150_000);
  numbers.productionWorkerExitMs = exit.exitMs;
  numbers.productionCompleteAfterRestartMs = Date.now() - restartedAt;
  await terminate(next);
});

test('SIGTERM while a grant shorter than the grace time is in flight: the activity finishes, then the process exits in time', async () => {
  const env: Record<string, string> = { ...appEnv(servers, scope), WORKER_SHUTDOWN_GRACE_SECONDS: String(GRACE_S) };
  const w = scope.worker({ ...env, FAULT_GRANT_DELAY_MS: '1500' }, FAULT_WORKER);
  running.push(w);
  await w.waitFor('FAULT_WORKER_READY', 30_000);
  const id = await approvedTicket('st2');
  await w.waitFor(`FAULT_GRANT_WRITTEN ${id}`, 20_000);
  const exit = await terminate(w);
  expect(exit.exitMs).toBeLessThan(GRACE_S * 1000 + MARGIN_MS);
  expect(exit.code).toBe(0);
  const next = scope.worker(env);
  running.push(next);
  const restartedAt = Date.now();
  await completesOnce('st2', id, 20_000);
  numbers.drainedExitMs = exit.exitMs;
  numbers.drainedCompleteAfterRestartMs = Date.now() - restartedAt;
  await terminate(next);
});

test('SIGTERM while a grant longer than the grace time is in flight (it honours cancellation): handed back, completed once by the next worker', async () => {
  const env: Record<string, string> = { ...appEnv(servers, scope), WORKER_SHUTDOWN_GRACE_SECONDS: String(GRACE_S) };
  const w = scope.worker({ ...env, FAULT_GRANT_DELAY_MS: '60000', FAULT_GRANT_CANCELLABLE: '1' }, FAULT_WORKER);
  running.push(w);
  await w.waitFor('FAULT_WORKER_READY', 30_000);
  const id = await approvedTicket('st3');
  await w.waitFor(`FAULT_GRANT_WRITTEN ${id}`, 20_000);
  const exit = await terminate(w);
  expect(exit.exitMs).toBeLessThan(GRACE_S * 1000 + MARGIN_MS);
  const next = scope.worker(env);
  running.push(next);
  const restartedAt = Date.now();
  const f = await completesOnce('st3', id, 30_000);
  expect(f.log.filter((e) => e.event === 'provisioning_failed')).toHaveLength(0);
  numbers.handedBackExitMs = exit.exitMs;
  numbers.handedBackCompleteAfterRestartMs = Date.now() - restartedAt;
  await terminate(next);
});

// Was F3: a target call that ignores cancellation held the process past its grace time. The worker now
// sets shutdownForceTime (grace + 2 s): run() rejects and the process exits; Temporal retries the attempt.
test('SIGTERM while a grant that ignores cancellation (like the real connectors\u2019 HTTP calls) is in flight: the process still exits within grace + margin', async () => {
  const env: Record<string, string> = { ...appEnv(servers, scope), WORKER_SHUTDOWN_GRACE_SECONDS: String(GRACE_S) };
  const w = scope.worker({ ...env, FAULT_GRANT_DELAY_MS: '30000' }, FAULT_WORKER);
  running.push(w);
  await w.waitFor('FAULT_WORKER_READY', 30_000);
  const id = await approvedTicket('st4');
  await w.waitFor(`FAULT_GRANT_WRITTEN ${id}`, 20_000);
  const exit = await terminate(w);
  numbers.uncancellableExitMs = Number.isFinite(exit.exitMs)
    ? exit.exitMs
    : `> ${GRACE_S * 1000 + 2 * MARGIN_MS} (SIGKILLed)`;
  expect(exit.exitMs).toBeLessThan(GRACE_S * 1000 + MARGIN_MS);
});
