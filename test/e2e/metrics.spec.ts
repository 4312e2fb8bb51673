/**
 * Metrics end to end, from the processes operators run: the gateway and the worker built in dist/ (as
 * `npm test` builds them), on the test servers. Through the API: a ticket's life against a GitHub (created,
 * reminded and escalated, approved, active, revoked while GitHub fails the first revocation attempts), a
 * grant the target cannot take, a webhook endpoint that fails once, a drift report; and a workflow task
 * that fails. Then every series docs/operations.md documents is served by the endpoint it names, with the
 * labels it names, and no label names a person or a ticket. Both processes also send their spans to an
 * OTLP endpoint (a local receiver), as OTEL_EXPORTER_OTLP_ENDPOINT asks.
 */
import { createServer, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import type { RunningFake } from '../fakes/fake-http';
import { failThenHeal, startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver';
import { api, demoApp, putApp, requester, ticketBody, who } from '../faults/support/api';
import { eventually, Scope, uid } from '../faults/support/processes';
import { documentedMetrics, parseExposition, samplesOf, seriesOf, type Sample } from '../support/metrics';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort, waitForPort } = require('../../tools/scripts/stack') as typeof import('../../tools/scripts/stack');

jest.setTimeout(240_000);

const GITHUB_TOKEN_ENV = 'GATEHOUSE_METRICS_GITHUB_TOKEN';
const METRICS_TOKEN = 'metrics-e2e-token-0123456789';
const alice = { sub: 'alice', name: 'Alice Requester', roles: [], groups: [] };
const stranger = requester('nobody-on-github');

const scope = new Scope();
let url = '';
let workerMetrics = '';
let github: RunningFake<GithubFakeState>;
let receiver: WebhookReceiver;
let temporal: { client: Client; connection: Connection };
let collector: Server;
/** What the processes sent to the OTLP endpoint: each span's service, name and attributes. */
const exported: { service: string; name: string; attributes: Record<string, unknown> }[] = [];
const as = api(() => url);

beforeAll(async () => {
  github = await startGithubServer({
    token: 'gh-secret',
    users: ['alice-gh'],
    orgMembers: ['alice-gh'],
    teams: { eng: [] },
  });
  receiver = await startWebhookReceiver(failThenHeal(1));
  collector = await startCollector();
  const metricsPort = await freePort();
  const env = {
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    MONGODB_URI: process.env.TEST_MONGODB_URI!,
    MONGODB_DB: `gh_${scope.id}`,
    TEMPORAL_TASK_QUEUE: `tq-${scope.id}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as { port: number }).port}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  scope.worker({
    ...env,
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE!,
    [GITHUB_TOKEN_ENV]: 'gh-secret',
  });
  const gateway = await scope.gateway({
    ...env,
    METRICS_TOKEN,
    // Workflow id = ticket id in the namespace every test file shares: a range of its own.
    TICKET_NUMBER_START: String(1_000_000 + Math.floor(Math.random() * 1e12)),
  });
  url = gateway.url;
  workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
  await waitForPort(metricsPort, { timeoutMs: 30_000, name: 'worker metrics' });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  temporal = { connection, client: new Client({ connection, namespace: 'default' }) };
});

afterAll(async () => {
  await scope.close();
  await temporal?.connection.close();
  await github?.close();
  await receiver?.close();
  collector?.close();
});

/** An OTLP/HTTP endpoint (JSON, the exporter's default) that keeps what it is sent. */
async function startCollector(): Promise<Server> {
  type Attribute = { key: string; value: Record<string, unknown> };
  const value = (attrs: Attribute[] = []) => Object.fromEntries(attrs.map((a) => [a.key, Object.values(a.value)[0]]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: Attribute[] };
          scopeSpans: { spans: { name: string; attributes: Attribute[] }[] }[];
        }[];
      };
      for (const r of body.resourceSpans) {
        const service = String(value(r.resource.attributes)['service.name']);
        for (const scope of r.scopeSpans)
          for (const span of scope.spans)
            exported.push({ service, name: span.name, attributes: value(span.attributes) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function scrape(
  target: string,
  token: string | null = METRICS_TOKEN,
): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(target, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

const accessOf = async (id: string) => (await as(who.root).get(`/tickets/${id}`)).body?.access?.state as string;

test('GET /metrics answers only the bearer of METRICS_TOKEN when it is set', async () => {
  expect((await scrape(`${url}/metrics`, null)).status).toBe(401);
  expect((await scrape(`${url}/metrics`, 'not-the-metrics-token-at-all')).status).toBe(401);
  const ok = await scrape(`${url}/metrics`);
  expect(ok.status).toBe(200);
  expect(ok.type).toMatch(/^text\/plain/);
  expect(ok.text).toContain('# TYPE gatehouse_http_request_duration_seconds histogram');
});

test('after a ticket’s life, each endpoint serves every documented series, labelled without people or tickets', async () => {
  const step = {
    name: 'Lead',
    approvers: ['user:carol'],
    minApprovals: 1,
    remindAfterSeconds: 1,
    escalateAfterSeconds: 2,
    escalateTo: ['group:it-admins'],
  };
  const appId = await putApp(
    url,
    demoApp(
      { approval: { steps: [step] } },
      { type: 'github', config: { org: 'acme', baseUrl: github.url, tokenEnv: GITHUB_TOKEN_ENV } },
    ),
  );
  expect(
    (await as(who.root).put(`/users/${alice.sub}`, { name: alice.name, accounts: { github: 'alice-gh' } })).status,
  ).toBeLessThan(300);
  const hook = await as(who.root).post('/webhooks', { url: receiver.url, events: ['*'] });
  expect(hook.status).toBe(201);

  // Created, reminded and escalated while pending, approved, granted in GitHub.
  const created = await as(alice).post('/tickets', ticketBody(appId));
  expect(created.status).toBe(201);
  const ticketId: string = created.body.id;
  await eventually(
    async () =>
      ((await as(who.root).get(`/tickets/${ticketId}`)).body?.log ?? []).some(
        (e: { event: string }) => e.event === 'escalated',
      ),
    20_000,
    'the escalation',
  );
  expect((await as(who.carol).post(`/tickets/${ticketId}/approve`, {})).status).toBe(200);
  await eventually(async () => (await accessOf(ticketId)) === 'active', 30_000, 'access active');
  expect(github.state.teams.get('eng')?.has('alice-gh')).toBe(true);

  // Revoked: GitHub fails the first two attempts (retried), then takes it.
  github.state.faults.add({
    method: 'DELETE',
    path: '/memberships/',
    status: 502,
    times: 2,
    body: { message: 'Server Error' },
  });
  expect((await as(who.root).post(`/tickets/${ticketId}/revoke`, {}, {}, 60_000)).status).toBe(200);
  expect(await accessOf(ticketId)).toBe('revoked');

  // A grant GitHub cannot take (no account on record, and GitHub cannot look one up by email): parked.
  const parked = await as(stranger).post('/tickets', ticketBody(appId));
  expect((await as(who.carol).post(`/tickets/${parked.body.id}/approve`, {})).status).toBe(200);
  await eventually(async () => (await accessOf(parked.body.id)) === 'failed', 30_000, 'access failed');

  expect((await as(who.root).post(`/apps/${appId}/drift/run`, {})).status).toBe(200);

  // A workflow task the worker cannot run (no such workflow type): what the task failure alert watches.
  const broken = await temporal.client.workflow.start('noSuchWorkflow', {
    taskQueue: `tq-${scope.id}`,
    workflowId: uid('no-such-'),
  });

  const labels = { app_id: appId };
  let gateway: Sample[] = [];
  let worker: Sample[] = [];
  let texts = '';
  await eventually(
    async () => {
      const [g, w] = await Promise.all([scrape(`${url}/metrics`), scrape(workerMetrics, null)]);
      [gateway, worker, texts] = [parseExposition(g.text), parseExposition(w.text), g.text + w.text];
      return (
        samplesOf(gateway, 'gatehouse_tickets', { state: 'failed' }).some((s) => s.value >= 1) &&
        samplesOf(worker, 'gatehouse_webhook_deliveries_total', { result: 'delivered' }).length > 0 &&
        samplesOf(worker, 'temporal_workflow_task_execution_failed').length > 0 &&
        samplesOf(worker, 'gatehouse_access_changes_total', { ...labels, change: 'grant_failed' }).length > 0
      );
    },
    90_000,
    'the failed ticket, a delivered webhook and the failed workflow task in the metrics',
    1000,
  );
  await broken.terminate('metrics test').catch(() => undefined);

  // Every documented series, at the endpoint the docs name.
  const served = { gateway: new Set(gateway.map((s) => s.name)), worker: new Set(worker.map((s) => s.name)) };
  const missing = [...documentedMetrics().values()].flatMap((metric) =>
    seriesOf(metric)
      .filter((series) => !served[metric.from].has(series))
      .map((series) => `${series} (${metric.from})`),
  );
  expect(missing).toEqual([]);

  // The labels the docs name, with the values this run must have produced.
  const has = (samples: Sample[], name: string, l: Record<string, string>, min = 1) => {
    const matching = samplesOf(samples, name, l);
    const total = matching.reduce((n, s) => n + s.value, 0);
    expect({ name, l, served: matching.length > 0 && total >= min }).toEqual({ name, l, served: true });
  };
  has(
    gateway,
    'gatehouse_http_request_duration_seconds_count',
    { method: 'POST', route: '/tickets', status: '201' },
    2,
  );
  has(gateway, 'gatehouse_http_request_duration_seconds_count', { route: '/tickets/:id/approve', status: '200' }, 2);
  has(gateway, 'gatehouse_http_request_duration_seconds_count', { route: '/tickets/:id/revoke', status: '200' });
  has(
    gateway,
    'gatehouse_temporal_request_duration_seconds_count',
    { operation: 'start', name: 'ticketWorkflow', outcome: 'ok' },
    2,
  );
  has(
    gateway,
    'gatehouse_temporal_request_duration_seconds_count',
    { operation: 'update', name: 'approve', outcome: 'ok' },
    2,
  );
  has(gateway, 'gatehouse_temporal_request_duration_seconds_count', {
    operation: 'update',
    name: 'revoke',
    outcome: 'ok',
  });

  has(worker, 'gatehouse_tickets_created_total', { ...labels, type: 'request' }, 2);
  has(worker, 'gatehouse_tickets_decided_total', { ...labels, outcome: 'approved' }, 2);
  has(worker, 'gatehouse_approval_wait_seconds_count', { ...labels, outcome: 'approved' }, 2);
  has(worker, 'gatehouse_approval_reminders_total', labels);
  has(worker, 'gatehouse_approval_escalations_total', labels);
  has(worker, 'gatehouse_access_changes_total', { ...labels, change: 'granted' });
  has(worker, 'gatehouse_access_changes_total', { ...labels, change: 'revoked' });
  const github_ = { ...labels, connector: 'github' };
  has(worker, 'gatehouse_provisioning_duration_seconds_count', { ...github_, operation: 'grant', outcome: 'success' });
  has(worker, 'gatehouse_provisioning_duration_seconds_count', { ...github_, operation: 'revoke', outcome: 'success' });
  has(
    worker,
    'gatehouse_provisioning_failures_total',
    { ...github_, operation: 'revoke', error_code: 'CONNECTOR_RETRYABLE', retryable: 'true' },
    2,
  );
  has(worker, 'gatehouse_provisioning_failures_total', {
    ...github_,
    operation: 'grant',
    error_code: 'ACCOUNT_NOT_FOUND',
    retryable: 'false',
  });
  has(worker, 'gatehouse_revocation_retry_age_seconds_count', github_, 2);
  const endpoint = { endpoint_id: hook.body.id as string };
  has(worker, 'gatehouse_webhook_attempts_total', { ...endpoint, result: 'failed' });
  has(worker, 'gatehouse_webhook_attempts_total', { ...endpoint, result: 'delivered' });
  has(worker, 'gatehouse_drift_findings_total', { ...labels, kind: 'unmanaged' }, 0);
  has(worker, 'temporal_workflow_task_execution_failed', { workflow_type: 'noSuchWorkflow' });

  // No person and no ticket in any label: not the people, their accounts, nor the tickets' numbers.
  for (const personal of ['alice', 'carol', 'nobody-on-github', ticketId, parked.body.id, 'TCK-'])
    expect({ personal, served: texts.includes(personal) }).toEqual({ personal, served: false });

  // Both processes sent the ticket's spans to the OTLP endpoint, each under its service name.
  const sent = (service: string, name: string) =>
    exported.some((s) => s.service === service && s.name === name && s.attributes['gatehouse.ticket_id'] === ticketId);
  await eventually(
    async () =>
      sent('gatehouse-gateway', 'POST /tickets') &&
      sent('gatehouse-gateway', 'StartWorkflow:ticketWorkflow') &&
      sent('gatehouse-worker', 'RunWorkflow:ticketWorkflow') &&
      sent('gatehouse-worker', 'RunActivity:applyAccess') &&
      sent('gatehouse-worker', 'PUT'),
    30_000,
    `the ticket's spans at the OTLP endpoint (got ${exported.length} spans)`,
  );
});
