/**
 * The stack a benchmark run measures: the servers (started here, or the ones the user points at), a
 * Gatehouse gateway and worker in this process (as test/support/stack.ts boots them), and a baseline
 * worker running the baseline workflows on its own task queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
import { createGateway, loadGatewayConfig, type Gateway } from '@gatehouse/gateway';
import { createGatehouseWorker } from '@gatehouse/worker';
import { Store } from '@gatehouse/store';
import type { App } from '@gatehouse/domain';
import { mintToken, type TokenClaims } from '../tokens';
import { sleep } from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const servers = require('../../scripts/stack.js') as typeof import('../../scripts/stack');

export const ROOT = path.resolve(__dirname, '../../..');
export const BENCH_SECRET = 'gatehouse-bench-secret-0123456789abcdef';

export const ADMIN: TokenClaims = { sub: 'bench-admin', name: 'Bench Admin', roles: ['admin'], groups: [] };
export const APPROVER: TokenClaims = { sub: 'carol', name: 'Carol Lead', roles: [], groups: ['leads'] };

export interface HttpResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface GatewayHandle {
  gateway: Gateway;
  url: string;
  close(): Promise<void>;
}

export interface BenchStack {
  temporalAddress: string;
  mongoUri: string;
  /** Whether the servers were started by this run (else: the user's). */
  ownServers: boolean;
  /** Process ids of the servers this run started, for CPU accounting. */
  serverPids: Record<string, number | undefined>;
  dbName: string;
  store: Store;
  client: Client;
  gatehouseQueue: string;
  baselineQueue: string;
  gateway: GatewayHandle;
  /** Unique per run: workflow ids and ticket numbers derive from it, so runs against one server never collide. */
  runId: string;
  ticketBase: number;
  token(claims: TokenClaims): Promise<string>;
  http(method: string, url: string, path: string, token: string, body?: unknown): Promise<HttpResult>;
  /** A second gateway on the same servers, with its own store and/or task queue. */
  startGateway(store: Store, taskQueue: string): Promise<GatewayHandle>;
  putApp(app: App): Promise<void>;
  stop(): Promise<void>;
}

function installQuietRuntime(): void {
  try {
    Runtime.install({
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
      logger: quietLogger,
    });
  } catch {
    // already installed in this process (a test helper did it)
  }
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export function defaultWorkflowBundle(explicit: string | null): string | null {
  const candidates = [
    explicit,
    process.env.TEST_WORKFLOW_BUNDLE,
    path.join(ROOT, 'services/worker/dist/workflow-bundle.js'),
  ];
  return candidates.find((p): p is string => !!p && fs.existsSync(p)) ?? null;
}

/** The dev server on free ports; a port taken between choosing and binding it makes it exit, so try again. */
async function startDevServerWithRetry(dbFile: string): ReturnType<typeof servers.startTemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await servers.startTemporalDevServer({
        dbFile,
        port: await servers.freePort(),
        uiPort: await servers.freePort(),
      });
    } catch (err) {
      if (attempt >= 3) throw err;
      fs.rmSync(dbFile, { force: true });
    }
  }
}

export async function startBenchStack(opts: {
  temporalAddress: string | null;
  mongoUri: string | null;
  workflowBundlePath: string | null;
  log: (line: string) => void;
}): Promise<BenchStack> {
  installQuietRuntime();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    let temporalAddress = opts.temporalAddress;
    let mongoUri = opts.mongoUri;
    const ownServers = !temporalAddress || !mongoUri;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
    stops.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
    const started = await Promise.all([
      temporalAddress ? null : startDevServerWithRetry(path.join(tmp, 'temporal.db')),
      mongoUri ? null : servers.startFerretDb({ dataDir: path.join(tmp, 'ferretdb') }),
    ]);
    if (started[0]) {
      stops.push(started[0].stop);
      temporalAddress = started[0].address;
      opts.log(`Temporal dev server at ${temporalAddress} (SQLite in ${tmp})`);
    }
    if (started[1]) {
      stops.push(started[1].stop);
      mongoUri = started[1].uri;
      opts.log(
        `FerretDB at ${mongoUri}${process.env.FERRETDB_BIN ? ` (FERRETDB_BIN=${path.basename(process.env.FERRETDB_BIN)})` : ''}`,
      );
    }

    const runId = `b${Date.now().toString(36)}`;
    const dbName = `gatehouse_bench_${runId}`;
    const store = await Store.connect(mongoUri!, dbName);
    stops.push(() => store.close());
    await store.ensureIndexes();
    // Ticket numbers of this run start high and unique, so workflow ids never meet an earlier run's.
    const ticketBase = Date.now() * 100;
    await store.ticketNumbers.model.collection.insertOne({
      _id: ticketBase - 1000,
      at: new Date().toISOString(),
    } as never);

    const connection = await Connection.connect({ address: temporalAddress! });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    // Gatehouse worker, in process.
    const gatehouseQueue = `bench-gatehouse-${runId}`;
    const ghConnection = await NativeConnection.connect({ address: temporalAddress! });
    const ghWorker = await createGatehouseWorker({
      connection: ghConnection,
      namespace: 'default',
      taskQueue: gatehouseQueue,
      store,
      workflowBundlePath: defaultWorkflowBundle(opts.workflowBundlePath),
      shutdownGraceSeconds: 1,
    });
    const ghRunning = ghWorker.run();
    stops.push(async () => {
      if (ghWorker.getState() === 'RUNNING') ghWorker.shutdown();
      await ghRunning.catch(() => undefined);
      await ghConnection.close();
    });

    // Baseline worker, in process, on its own queue with its own bundle.
    const baselineQueue = `bench-baseline-${runId}`;
    const blConnection = await NativeConnection.connect({ address: temporalAddress! });
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./baseline-workflows'),
      logger: quietLogger,
    });
    const blWorker = await Worker.create({
      connection: blConnection,
      namespace: 'default',
      taskQueue: baselineQueue,
      workflowBundle: { code },
      shutdownGraceTime: '1 second',
    });
    const blRunning = blWorker.run();
    stops.push(async () => {
      if (blWorker.getState() === 'RUNNING') blWorker.shutdown();
      await blRunning.catch(() => undefined);
      await blConnection.close();
    });

    const tokens = new Map<string, string>();
    const token = async (claims: TokenClaims) => {
      const key = JSON.stringify(claims);
      if (!tokens.has(key)) tokens.set(key, await mintToken(BENCH_SECRET, claims));
      return tokens.get(key)!;
    };

    const startGateway = async (gwStore: Store, taskQueue: string): Promise<GatewayHandle> => {
      const config = loadGatewayConfig({
        AUTH_JWT_SECRET: BENCH_SECRET,
        TEMPORAL_ADDRESS: temporalAddress!,
        TEMPORAL_TASK_QUEUE: taskQueue,
        MONGODB_URI: mongoUri!,
        MONGODB_DB: dbName,
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'error',
        RATE_LIMIT_PER_MINUTE: '1000000',
      });
      const gateway = await createGateway(config, { store: gwStore });
      await gateway.app.listen(0, '127.0.0.1');
      const { port } = (gateway.app.getHttpServer() as Server).address() as { port: number };
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await gateway.close();
      };
      stops.push(close);
      return { gateway, url: `http://127.0.0.1:${port}`, close };
    };
    const gateway = await startGateway(store, gatehouseQueue);

    const http = async (method: string, url: string, p: string, tok: string, body?: unknown): Promise<HttpResult> => {
      const res = await fetch(url + p, {
        method,
        headers: {
          authorization: `Bearer ${tok}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
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
      return { status: res.status, body: parsed };
    };

    const putApp = async (app: App) => {
      const { id, ...body } = app;
      let res = await http('PUT', gateway.url, `/apps/${id}`, await token(ADMIN), body);
      // One retry: on an overloaded machine FerretDB answers late and the gateway says 500.
      if (res.status >= 500) res = await http('PUT', gateway.url, `/apps/${id}`, await token(ADMIN), body);
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`PUT /apps/${id} → ${res.status} ${JSON.stringify(res.body)}`);
    };

    return {
      temporalAddress: temporalAddress!,
      mongoUri: mongoUri!,
      ownServers,
      serverPids: { 'temporal dev server': started[0]?.child.pid, ferretdb: started[1]?.child.pid },
      dbName,
      store,
      client,
      gatehouseQueue,
      baselineQueue,
      gateway,
      runId,
      ticketBase,
      token,
      http,
      startGateway,
      putApp,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The benchmark's application: the demo connector, one entitlement, one approval step (carol). */
export function benchApp(id: string): App {
  return {
    id,
    name: `Bench ${id}`,
    connector: { type: 'demo', config: {} },
    entitlements: [{ id: 'bench-group', kind: 'group', name: 'bench-group' }],
    licenses: [],
    policy: {
      requireReason: false,
      maxDurationSeconds: 30 * 86400,
      approval: { steps: [{ name: 'Team lead', approvers: ['user:carol', 'group:leads'], minApprovals: 1 }] },
    },
  };
}

// ── The worker as a child process (scenario 5), so its memory is its own ────────────────────────

export interface ChildWorker {
  child: ChildProcess;
  pid: number;
  memory(): { rssMiB: number; hwmMiB: number };
  stop(): Promise<void>;
}

export function procMemory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

export async function startChildWorker(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildWorker> {
  const script = path.join(ROOT, 'services/worker/dist/main.js');
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), script],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code}) before starting:\n${output.slice(-2000)}`));
    });
  });
  try {
    await started;
  } catch (err) {
    await servers.stopChild(child, 5000);
    throw err;
  }
  return {
    child,
    pid: child.pid!,
    memory: () => procMemory(child.pid!),
    stop: () => servers.stopChild(child, 15_000),
  };
}

export async function waitUntil(deadlineMs: number): Promise<void> {
  const ms = deadlineMs - Date.now();
  if (ms > 0) await sleep(ms);
}
