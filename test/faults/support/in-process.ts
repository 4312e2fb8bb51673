/**
 * The gateway and a worker in this Jest process (built from source, no `dist/` needed), for faults of the
 * gateway itself: its answers while Temporal cannot be reached, and its shutdown. Temporal is the shared
 * test server, or a dev server of the test's own that it may stop, freeze (SIGSTOP: the port still
 * accepts connections, nothing answers) and start again. MongoDB is the shared test FerretDB.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createGateway, loadGatewayConfig, type Gateway, type GatewayConfig } from '@gatehouse/gateway';
import type { Store } from '@gatehouse/store';
import { mintToken, type TokenClaims } from '@gatehouse/tools';
import { createGatehouseWorker, type GatehouseWorker, type GatehouseWorkerOptions } from '@gatehouse/worker';
import { freePort, startTemporalDevServer, stopChild } from '../../../tools/scripts/stack';
import { openTestStore, testTemporalAddress, uniqueId } from '../../support/harness';

const SECRET = 'in-process-fault-secret-0123456789-abcdef';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
  ms: number;
}

export interface PrivateTemporal {
  address: string;
  /** Stops the server (its port refuses connections); `start` brings it back on the same SQLite file. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel, but nothing ever answers (a hung server). */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function privateTemporal(): Promise<PrivateTemporal> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-temporal-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  let server: Awaited<ReturnType<typeof startTemporalDevServer>> | null = null;
  const start = async () => {
    server = await startTemporalDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), port, uiPort });
  };
  const stop = async () => {
    server?.child.kill('SIGCONT');
    await stopChild(server?.child, 5000);
    server = null;
  };
  await start();
  return {
    address: `127.0.0.1:${port}`,
    start,
    stop,
    freeze: () => void server?.child.kill('SIGSTOP'),
    thaw: () => void server?.child.kill('SIGCONT'),
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface InProcessStack {
  url: string;
  store: Store;
  gateway: Gateway;
  config: GatewayConfig;
  /** The worker polls the gateway's task queue only between `startWorker` and `stopWorker`. */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** `as`: whose token to send (signed with the stack's secret), or the raw Authorization header. */
  call<T = any>(
    as: TokenClaims | string | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function inProcessStack(
  options: {
    temporalAddress?: string;
    config?: Partial<GatewayConfig>;
    /** The worker's targets (a wrapped connector that fails on demand, say). */
    connectorFor?: GatehouseWorkerOptions['connectorFor'];
  } = {},
): Promise<InProcessStack> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    const quiet = () => undefined;
    try {
      // A worker whose server is stopped logs every failed poll: keep the test output readable.
      Runtime.install({ logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet } });
    } catch {
      // installed already in this process
    }
  }
  const temporalAddress = options.temporalAddress ?? testTemporalAddress();
  const store = await openTestStore();
  const taskQueue = uniqueId('tq-');
  const config: GatewayConfig = {
    ...loadGatewayConfig({
      AUTH_JWT_SECRET: SECRET,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_MINUTE: '100000',
      TICKET_NUMBER_START: String(1_000_000 + Math.floor(Math.random() * 1e12)),
    }),
    ...options.config,
  };
  const gateway = await createGateway(config, { store });
  await gateway.app.listen(0, '127.0.0.1');
  const { port } = (gateway.app.getHttpServer() as Server).address() as { port: number };
  const url = `http://127.0.0.1:${port}`;

  let worker: { worker: GatehouseWorker; running: Promise<void>; connection: NativeConnection } | null = null;
  const startWorker = async () => {
    if (worker) return;
    const connection = await NativeConnection.connect({ address: temporalAddress });
    const w = await createGatehouseWorker({
      connection,
      namespace: 'default',
      taskQueue,
      store,
      workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE!,
      shutdownGraceSeconds: 1,
      connectorFor: options.connectorFor,
    });
    worker = { worker: w, running: w.run(), connection };
  };
  const stopWorker = async () => {
    if (!worker) return;
    const { worker: w, running, connection } = worker;
    worker = null;
    if (w.getState() === 'RUNNING') w.shutdown();
    await running;
    await connection.close();
  };
  await startWorker();

  const tokens = new Map<string, string>();
  async function call<T>(
    as: TokenClaims | string | null,
    method: string,
    urlPath: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const started = Date.now();
    let auth = typeof as === 'string' ? as : undefined;
    if (as && typeof as !== 'string') {
      const key = JSON.stringify(as);
      if (!tokens.has(key)) tokens.set(key, await mintToken(SECRET, as));
      auth = `Bearer ${tokens.get(key)}`;
    }
    const res = await fetch(url + urlPath, {
      method,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers, ms: Date.now() - started };
  }

  let closed = false;
  return {
    url,
    store,
    gateway,
    config,
    startWorker,
    stopWorker,
    call,
    async close() {
      if (closed) return;
      closed = true;
      await stopWorker();
      // A shutdown test closes the gateway itself; closing it again is harmless.
      await gateway.app.close().catch(() => undefined);
      await store.close();
    },
  };
}

/** A demo-connector app: one group entitlement, one approval step (carol or the it-admins). */
export function demoAppBody() {
  return {
    name: 'Gateway fault target',
    connector: { type: 'demo', config: {} },
    entitlements: [{ id: 'eng', kind: 'group', name: 'eng' }],
    licenses: [],
    policy: {
      requireReason: false,
      maxDurationSeconds: 30 * 86400,
      approval: { steps: [{ name: 'Lead', approvers: ['user:carol', 'group:it-admins'], minApprovals: 1 }] },
    },
  };
}

export const people = {
  carol: { sub: 'carol', name: 'Carol Lead', roles: [], groups: ['leads'] },
  root: { sub: 'root', name: 'Root Admin', roles: ['admin'], groups: [] },
  requester: (id: string): TokenClaims => ({ sub: id, name: `Requester ${id}`, roles: [], groups: [] }),
};
