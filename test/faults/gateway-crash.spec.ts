/**
 * Fault 4: the gateway crashes between starting a ticket's workflow and writing the ticket.
 * (a) A workflow started exactly as the gateway starts it, with no ticket document ever written (the gateway
 *     died right after the start): the ticket appears in the read model and the API serves it.
 * (b) The gateway process is SIGKILLed in the middle of a burst of POST /tickets, then restarted: every
 *     ticket document has a workflow, every ticket workflow on the task queue has a ticket document, and a
 *     retry of each request with its Idempotency-Key yields exactly one ticket per request.
 */
import type { Client } from '@temporalio/client';
import type { TicketWorkflowInput } from '@gatehouse/domain';
import type { Store } from '@gatehouse/store';
import { TICKET_WORKFLOW_TYPE, ticketWorkflowStartOptions } from '@gatehouse/workflows';
import {
  api,
  demoApp,
  diagnose,
  putApp,
  requester,
  ticketBody,
  truth,
  who,
  workerPolling,
  type HttpResult,
} from './support/api';
import { appEnv, eventually, kill9, report, Scope, type Servers } from './support/processes';

jest.setTimeout(120_000);

const scope = new Scope();
let servers: Servers;
let store: Store;
let client: Client;
let url = '';
let env: Record<string, string>;
const as = api(() => url);
const numbers: Record<string, unknown> = { faultsInjected: 0, lost: 0 };

beforeAll(async () => {
  servers = await scope.servers();
  env = appEnv(servers, scope);
  ({ store, client } = await truth(scope, servers, env.MONGODB_DB));
  const worker = scope.worker(env);
  url = (await scope.gateway(env)).url;
  // (a) times the workflow from its start: the worker's boot (as long as the gateway's on a loaded machine) must be over.
  await workerPolling(client, env.TEMPORAL_TASK_QUEUE, worker);
});
afterAll(async () => {
  report('gateway-crash', numbers);
  await scope.close();
});

test('(a) a workflow whose gateway died before writing the ticket writes the ticket itself; GET /tickets/:id serves it', async () => {
  const appId = await putApp(url, demoApp());
  const app = (await as(who.root).get(`/apps/${appId}`)).body;
  const ticketId = `TCK-${900_000 + Math.floor(Math.random() * 90_000)}`;
  const input: TicketWorkflowInput = {
    schema: 1,
    ticketId,
    type: 'request',
    action: 'add',
    requester: { id: 'orphan', name: 'Orphan Requester' },
    beneficiary: { id: 'orphan', name: 'Orphan Requester' },
    app: { id: appId, name: app.name },
    changes: [{ op: 'add', entitlement: { id: 'eng', name: 'eng', kind: 'group' }, fields: {} }],
    duration: { type: 'indefinite' },
    reason: 'gateway died after the start',
    policy: app.policy,
    createdAt: new Date().toISOString(),
    parentTicketId: null,
    createdBy: { id: 'orphan' },
  };
  const startedAt = Date.now();
  await client.workflow.start(TICKET_WORKFLOW_TYPE, ticketWorkflowStartOptions(input, env.TEMPORAL_TASK_QUEUE));
  const got = await eventually(
    async () => {
      const res = await as(requester('orphan')).get(`/tickets/${ticketId}`);
      return res.status === 200 && res;
    },
    10_000,
    `GET /tickets/${ticketId}`,
  ).catch(async (err) => {
    throw new Error(`${(err as Error).message}; workflow: ${await diagnose(client, ticketId)}`);
  });
  numbers.orphanWorkflowTicketAppearedMs = Date.now() - startedAt;
  numbers.faultsInjected = (numbers.faultsInjected as number) + 1;
  expect(got.body).toMatchObject({
    id: ticketId,
    status: 'pending',
    requester: { id: 'orphan' },
    reason: 'gateway died after the start',
  });
  expect(got.body.log[0]).toMatchObject({ event: 'created', actor: 'orphan' });
  // It is a real ticket: it can be decided through the API.
  expect((await as(who.carol).post(`/tickets/${ticketId}/approve`, {})).status).toBe(200);
});

test('(b) SIGKILL of the gateway during a burst of 50 POST /tickets: no ticket without a workflow, no workflow without a ticket, retries make exactly one ticket each', async () => {
  const appId = await putApp(url, demoApp());
  const N = 50;
  const KILL_AFTER = 20;
  const first: Array<HttpResult | null> = new Array(N).fill(null);
  const key = (i: number) => `burst-${scope.id}-${i}`;
  const post = (i: number) =>
    as(requester(`burst${i}`)).post('/tickets', ticketBody(appId), { 'idempotency-key': key(i) }, 20_000);

  let answered = 0;
  let killed: Promise<void> | null = null;
  let gateway = await scope.gateway(env); // a dedicated process for this burst
  url = gateway.url;
  // 10 requests in flight at a time; the kill lands while some are mid-way.
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < N) {
        const i = next++;
        if (killed) break;
        first[i] = await post(i);
        answered++;
        if (answered >= KILL_AFTER && !killed) killed = kill9(gateway);
      }
    }),
  );
  await killed;
  numbers.faultsInjected = (numbers.faultsInjected as number) + 1;
  const statuses = first.map((r) => (r ? r.status : 'not sent'));
  numbers.burstFirstAnswers = Object.fromEntries(
    [...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]),
  );
  expect(first.filter((r) => r && r.status !== 201 && r.status !== 0)).toEqual([]); // only successes, or cut by the kill

  gateway = await scope.gateway(env);
  url = gateway.url;
  // Every request is retried with its key: one ticket each, the same one a first answer named.
  const retried: HttpResult[] = [];
  for (let i = 0; i < N; i += 10)
    retried.push(...(await Promise.all(Array.from({ length: Math.min(10, N - i) }, (_, k) => post(i + k)))));
  const retryStatuses = retried.map((r) => r.status);
  numbers.retryAnswers = Object.fromEntries(
    [...new Set(retryStatuses)].map((s) => [s, retryStatuses.filter((x) => x === s).length]),
  );
  for (let i = 0; i < N; i++) {
    expect([200, 201]).toContain(retried[i].status);
    if (first[i]?.status === 201) expect(retried[i].body.id).toBe(first[i]!.body.id);
  }
  const ids = retried.map((r) => r.body.id as string);
  expect(new Set(ids).size).toBe(N);

  // The invariant, from both sides, within a bounded time.
  const checked = await eventually(
    async () => {
      const docs = (await store.tickets.model
        .find({ 'app.id': appId }, { _id: 1, 'requester.id': 1 })
        .lean()
        .exec()) as Array<{ _id: string; requester: { id: string } }>;
      const workflows: string[] = [];
      for await (const wf of client.workflow.list({
        query: `TaskQueue = "${env.TEMPORAL_TASK_QUEUE}" AND WorkflowType = "${TICKET_WORKFLOW_TYPE}"`,
      }))
        workflows.push(wf.workflowId);
      const docIds = new Set(docs.map((d) => d._id));
      const withoutDoc = workflows.filter((w) => !docIds.has(w) && !w.startsWith('TCK-9')); // TCK-9xxxxx: test (a)
      if (withoutDoc.length || workflows.filter((w) => !w.startsWith('TCK-9')).length < N) return false; // visibility lags a little
      return { docs, workflows: workflows.filter((w) => !w.startsWith('TCK-9')) };
    },
    20_000,
    'every ticket workflow to have its ticket document',
  );
  const withoutWorkflow: string[] = [];
  for (const d of checked.docs) {
    try {
      await client.workflow.getHandle(d._id).describe();
    } catch {
      withoutWorkflow.push(d._id);
    }
  }
  expect(withoutWorkflow).toEqual([]);
  const perRequester = new Map<string, number>();
  for (const d of checked.docs) perRequester.set(d.requester.id, (perRequester.get(d.requester.id) ?? 0) + 1);
  expect([...perRequester.values()].every((n) => n === 1)).toBe(true);
  expect(checked.docs).toHaveLength(N);
  numbers.ticketsChecked = checked.docs.length;
  numbers.workflowsChecked = checked.workflows.length;
  numbers.ticketsWithoutWorkflow = withoutWorkflow.length;
  numbers.workflowsWithoutTicket = 0;
});
