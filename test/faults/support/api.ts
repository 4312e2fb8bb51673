/** HTTP calls to a gateway child process, and the Temporal client / store a fault test reads truth from. */
import { Client, Connection } from '@temporalio/client';
import { Store } from '@gatehouse/store';
import { mintToken, type TokenClaims } from '@gatehouse/tools';
import { eventually, FAULT_SECRET, uid, type Proc, type Scope, type Servers } from './processes';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  ms: number;
}

export const who = {
  alice: { sub: 'alice', name: 'Alice Requester', roles: [], groups: ['engineering'] },
  carol: { sub: 'carol', name: 'Carol Lead', roles: [], groups: ['leads'] },
  root: { sub: 'root', name: 'Root Admin', roles: ['admin'], groups: [] },
} satisfies Record<string, TokenClaims>;

export function approver(n: number): TokenClaims {
  return { sub: `approver${n}`, name: `Approver ${n}`, roles: [], groups: ['it-admins'] };
}

export function requester(id: string): TokenClaims {
  return { sub: id, name: `Requester ${id}`, roles: [], groups: [] };
}

const tokens = new Map<string, string>();
async function tokenFor(claims: TokenClaims): Promise<string> {
  const key = JSON.stringify(claims);
  if (!tokens.has(key)) tokens.set(key, await mintToken(FAULT_SECRET, claims));
  return tokens.get(key)!;
}

/** One HTTP call, never longer than `timeoutMs` (a hang becomes status 0 with body `timeout`). */
export async function call<T = any>(
  baseUrl: string,
  as: TokenClaims | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpResult<T>> {
  const started = Date.now();
  try {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(as ? { authorization: `Bearer ${await tokenFor(as)}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, ms: Date.now() - started };
  } catch (err) {
    const name = (err as Error)?.name;
    return {
      status: 0,
      body: (name === 'TimeoutError' ? 'timeout' : `network: ${String(err)}`) as T,
      ms: Date.now() - started,
    };
  }
}

export function api(baseUrl: () => string) {
  return (as: TokenClaims | null) => ({
    get: <T = any>(path: string, timeoutMs?: number) => call<T>(baseUrl(), as, 'GET', path, undefined, {}, timeoutMs),
    post: <T = any>(path: string, body: unknown = {}, headers: Record<string, string> = {}, timeoutMs?: number) =>
      call<T>(baseUrl(), as, 'POST', path, body, headers, timeoutMs),
    put: <T = any>(path: string, body: unknown) => call<T>(baseUrl(), as, 'PUT', path, body),
  });
}

/** A demo-connector app with one group entitlement; `policy` overrides parts of its policy. */
export function demoApp(
  policy: Record<string, unknown> = {},
  connector: Record<string, unknown> = { type: 'demo', config: {} },
  entitlement: Record<string, unknown> = {},
) {
  return {
    name: 'Fault target',
    connector,
    entitlements: [{ id: 'eng', kind: 'group', name: 'eng', ...entitlement }],
    licenses: [],
    policy: {
      requireReason: false,
      maxDurationSeconds: 30 * 86400,
      approval: { steps: [{ name: 'Lead', approvers: ['user:carol', 'group:it-admins'], minApprovals: 1 }] },
      ...policy,
    },
  };
}

export async function putApp(baseUrl: string, body: unknown): Promise<string> {
  const id = uid('app-');
  const res = await call(baseUrl, who.root, 'PUT', `/apps/${id}`, body);
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`PUT /apps failed: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}

export function ticketBody(
  appId: string,
  duration: Record<string, unknown> = { type: 'indefinite' },
  extra: Record<string, unknown> = {},
) {
  return { appId, changes: [{ op: 'add', entitlementId: 'eng' }], duration, reason: 'fault test', ...extra };
}

/** The test's own view of the database and of Temporal (for describe/list, and direct Updates). */
export async function truth(scope: Scope, servers: Servers, db: string): Promise<{ store: Store; client: Client }> {
  const store = await Store.connect(servers.mongoUri, db);
  // The spec's own dev server has just started, on a machine other suites keep busy: its first answer can
  // take longer than the client's default 10 s (seen once in CI: "Failed to connect before the deadline").
  const connection = await Connection.connect({ address: servers.temporalAddress, connectTimeout: '60s' });
  const client = new Client({ connection, namespace: 'default' });
  scope.onClose(async () => {
    await Promise.allSettled([store.close(), connection.close()]);
  });
  return { store, client };
}

/** Counts of what a ticket's access did, straight from the collections. */
export async function accessFacts(store: Store, appId: string, account: string, ticketId: string) {
  const memberships = await store.demoMemberships.model.countDocuments({ appId, account }).exec();
  const grants = await store.grants.list({ userId: account, appId });
  const doc = await store.tickets.get(ticketId);
  const log = (doc?.log ?? []) as Array<{ event: string; actor: string }>;
  return {
    memberships,
    activeGrants: grants.filter((g) => g.state === 'active').length,
    grants: grants.length,
    granted: log.filter((e) => e.event === 'granted').length,
    status: doc?.status,
    access: (doc?.access as { state?: string } | undefined)?.state,
    log,
  };
}

/** What Temporal says a ticket's workflow is doing (for failure messages and reports). */
export async function diagnose(client: Client, ticketId: string): Promise<string> {
  try {
    const d = await client.workflow.getHandle(ticketId).describe();
    const pending = (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name,
      state: a.state,
      attempt: a.attempt,
      lastStarted: a.lastStartedTime?.seconds ? new Date(Number(a.lastStartedTime.seconds) * 1000).toISOString() : null,
      lastFailure: a.lastFailure?.message,
      worker: a.lastWorkerIdentity,
    }));
    return JSON.stringify({
      status: d.status.name,
      historyLength: d.historyLength,
      pendingActivities: pending,
      pendingWorkflowTask: d.raw.pendingWorkflowTask ?? null,
    });
  } catch (err) {
    return `describe failed: ${String(err)}`;
  }
}

/**
 * Waits until a worker polls `taskQueue` for both workflow and activity tasks. A worker process boots in
 * seconds (5-20 s measured on the shared 2-core machine, about as long as a gateway), so a test that times
 * what a workflow does must start its clock after this, or it measures the boot.
 */
export async function workerPolling(
  client: Client,
  taskQueue: string,
  worker?: Proc,
  timeoutMs = 60_000,
): Promise<void> {
  // 1 = TASK_QUEUE_TYPE_WORKFLOW, 2 = TASK_QUEUE_TYPE_ACTIVITY (temporal.api.enums.v1.TaskQueueType)
  const polled = async (taskQueueType: 1 | 2) =>
    (
      (
        await client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        })
      ).pollers ?? []
    ).length > 0;
  try {
    await eventually(
      async () => (await polled(1)) && (await polled(2)),
      timeoutMs,
      `a worker polling task queue ${taskQueue}`,
      200,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}${worker ? `\n${worker.name} output:\n${worker.output()}` : ''}`);
  }
}
