/**
 * Traces end to end, with the gateway and a worker in this process and their spans in memory: one
 * ticket's trace runs from its HTTP request through its workflow to the activity that grants the access
 * and the connector's call to the target (a fake GitHub), every span of it names the ticket, and the
 * request's log line carries its trace id.
 */
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createGateway, createLogger, loadGatewayConfig, type Gateway } from '@gatehouse/gateway';
import type { Store } from '@gatehouse/store';
import { mintToken, type TokenClaims } from '@gatehouse/tools';
import {
  createGatehouseWorker,
  installTracing,
  TICKET_ID_ATTRIBUTE,
  type GatehouseWorker,
  type WorkerTracing,
} from '@gatehouse/worker';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import type { RunningFake } from '../fakes/fake-http';
import { ticketWorkflowStartOptions } from '@gatehouse/workflows';
import { eventually, openTestClient, openTestStore, testTemporalAddress, uniqueId } from '../support/harness';
import { testApp, workflowInput } from '../support/fixtures';
import { appBody, TEST_SECRET, users } from '../support/stack';

jest.setTimeout(120_000);

const GITHUB_TOKEN_ENV = 'GATEHOUSE_TRACING_GITHUB_TOKEN';
const exporter = new InMemorySpanExporter();
const logLines: Record<string, unknown>[] = [];
let tracing: WorkerTracing;
let github: RunningFake<GithubFakeState>;
let store: Store;
let gateway: Gateway;
let worker: { worker: GatehouseWorker; running: Promise<void>; connection: NativeConnection };
let url = '';
let taskQueue = '';

beforeAll(async () => {
  tracing = installTracing('gatehouse-test', new SimpleSpanProcessor(exporter));
  github = await startGithubServer({
    token: 'gh-secret',
    users: ['alice-gh'],
    orgMembers: ['alice-gh'],
    teams: { eng: [] },
  });
  store = await openTestStore();
  // The SDK's own lines (the worker starting and stopping) would only clutter the test's output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  taskQueue = uniqueId('tq-');
  const connection = await NativeConnection.connect({ address: testTemporalAddress() });
  const w = await createGatehouseWorker({
    connection,
    namespace: 'default',
    taskQueue,
    store,
    workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE!,
    shutdownGraceSeconds: 1,
    env: { ...process.env, [GITHUB_TOKEN_ENV]: 'gh-secret' },
    tracing,
  });
  worker = { worker: w, running: w.run(), connection };
  const config = loadGatewayConfig({
    AUTH_JWT_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    TICKET_NUMBER_START: String(1_000_000 + Math.floor(Math.random() * 1e12)),
    // Turns the gateway's tracing on; its spans go to the provider installed above (only main.ts installs
    // the OTLP exporter), so nothing is sent to this address.
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
  });
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  gateway = await createGateway(config, { store, logger: createLogger('info', lines) });
  await gateway.app.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${((gateway.app.getHttpServer() as Server).address() as { port: number }).port}`;
});

afterAll(async () => {
  await gateway?.app.close();
  if (worker) {
    worker.worker.shutdown();
    await worker.running;
    await worker.connection.close();
  }
  await store?.close();
  await github?.close();
  await tracing?.shutdown();
});

async function call(who: TokenClaims, method: string, path: string, body?: unknown) {
  const headers = { authorization: `Bearer ${await mintToken(TEST_SECRET, who)}`, 'content-type': 'application/json' };
  // The test's own calls are not Gatehouse's: untraced, as a caller without tracing would be.
  const res = await context.with(suppressTracing(context.active()), () =>
    fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const spanId = (s: ReadableSpan) => s.spanContext().spanId;
const traceId = (s: ReadableSpan) => s.spanContext().traceId;

test('a ticket’s trace: HTTP request → StartWorkflow → RunWorkflow → applyAccess → the connector’s HTTP call', async () => {
  const appId = uniqueId('app-');
  const app = appBody({
    connector: { type: 'github', config: { org: 'acme', baseUrl: github.url, tokenEnv: GITHUB_TOKEN_ENV } },
    entitlements: [{ id: 'eng', kind: 'group', name: 'Engineering' }],
  });
  expect((await call(users.root, 'PUT', `/apps/${appId}`, app)).status).toBe(201);
  expect(
    (await call(users.root, 'PUT', '/users/alice', { name: 'Alice', accounts: { github: 'alice-gh' } })).status,
  ).toBeLessThan(300);
  const created = await call(users.alice, 'POST', '/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId: 'eng' }],
    duration: { type: 'limited', end: new Date(Date.now() + 3600_000).toISOString() },
    reason: 'tracing',
  });
  expect(created.status).toBe(201);
  const ticketId = created.body.id as string;
  expect((await call(users.carol, 'POST', `/tickets/${ticketId}/approve`, {})).status).toBe(200);
  await eventually(async () => github.state.teams.get('eng')?.has('alice-gh'), 30_000, 'the grant in GitHub');
  // The revoke ends the workflow, and with it the workflow's own span.
  expect((await call(users.root, 'POST', `/tickets/${ticketId}/revoke`, {})).status).toBe(200);

  const ofTicket = () => exporter.getFinishedSpans().filter((s) => s.attributes[TICKET_ID_ATTRIBUTE] === ticketId);
  const named = (name: string, parent?: ReadableSpan) => {
    const span = ofTicket().find((s) => s.name === name && (!parent || s.parentSpanId === spanId(parent)));
    if (!span)
      throw new Error(
        `no span ${name}${parent ? ` under ${parent.name}` : ''} of ${ticketId}: ${ofTicket()
          .map((s) => s.name)
          .join(', ')}`,
      );
    return span;
  };
  await eventually(
    async () => ofTicket().some((s) => s.name === 'RunWorkflow:ticketWorkflow'),
    30_000,
    'the workflow span',
  );

  const request = named('POST /tickets');
  const start = named('StartWorkflow:ticketWorkflow', request);
  const run = named('RunWorkflow:ticketWorkflow', start);
  const schedule = named('StartActivity:applyAccess', run);
  const apply = named('RunActivity:applyAccess', schedule);
  const target = named('PUT', apply);
  for (const span of [start, run, schedule, apply, target]) expect(traceId(span)).toBe(traceId(request));
  expect(String(target.attributes['url.full'])).toContain('/teams/eng/memberships/alice-gh');

  // The approval is a trace of its own, into the same workflow; the revocation reaches the target too.
  const approval = named('POST /tickets/:id/approve');
  named('HandleUpdate:approve', named('StartWorkflowUpdate:approve', approval));
  named('DELETE', named('RunActivity:revokeAccess'));

  // Every span of the ticket's traces names it.
  const traces = new Set([traceId(request), traceId(approval)]);
  const unnamed = exporter
    .getFinishedSpans()
    .filter((s) => traces.has(traceId(s)) && s.attributes[TICKET_ID_ATTRIBUTE] !== ticketId)
    .map((s) => s.name);
  expect(unnamed).toEqual([]);

  // The request's log line carries its trace.
  const line = logLines.find(
    (l) => l.msg === 'request' && l.method === 'POST' && l.path === '/tickets' && l.status === 201,
  );
  expect(line).toMatchObject({ trace_id: traceId(request), span_id: spanId(request) });
});

test('a ticket workflow started without a trace makes no workflow spans (tracing costs nothing where nobody traces)', async () => {
  const { client, connection } = await openTestClient();
  try {
    const input = workflowInput(testApp(), { ticketId: `TCK-${Date.now()}${Math.floor(Math.random() * 1000)}` });
    // A client without Temporal's tracing interceptor: the start carries no trace.
    await client.workflow.start('ticketWorkflow', ticketWorkflowStartOptions(input, taskQueue));
    const ofTicket = () =>
      exporter.getFinishedSpans().filter((s) => s.attributes[TICKET_ID_ATTRIBUTE] === input.ticketId);
    // The worker traces the activities it runs (a root span each): the run has done work by then.
    await eventually(
      async () => ofTicket().some((s) => s.name === 'RunActivity:writeTicketLocal'),
      30_000,
      'the first write',
    );
    await client.workflow.getHandle(input.ticketId).terminate('test over');
    expect(ofTicket().filter((s) => /^(StartActivity|RunWorkflow|HandleUpdate):/.test(s.name))).toEqual([]);
  } finally {
    await connection.close();
  }
});
