/**
 * Real processes for fault tests: dedicated Temporal dev server and FerretDB (so a test can stop and
 * restart them), and the worker and gateway as child processes built from `dist/`. Everything started
 * here is registered with a `Scope`; `scope.close()` (in afterAll) stops it all, also after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  freePort,
  root,
  startFerretDb,
  startTemporalDevServer,
  stopChild,
  waitForPort,
} from '../../../tools/scripts/stack';

export const FAULT_SECRET = 'fault-tests-secret-0123456789-abcdefghij';
export const WORKER_MAIN = path.join(root, 'services/worker/dist/main.js');
export const GATEWAY_MAIN = path.join(root, 'services/gateway/dist/main.js');
/** The worker entry whose grant is slow (test-only; wraps the production worker factory). */
export const FAULT_WORKER = path.join(__dirname, 'fault-worker.js');

export function uid(prefix = 'f'): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined/false/null), at most `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 100_000; i++) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) break;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Runs `fn` with a hard upper bound. */
export async function within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Last lines of stdout+stderr, for failure messages. */
  output(): string;
  /** Resolves when a line containing `text` has been printed (bounded). */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  alive(): boolean;
}

function spawnNode(name: string, script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffer = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString()).slice(-20_000);
    for (const w of [...waiters]) {
      if (buffer.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    name,
    child,
    exited,
    output: () => buffer.slice(-4000),
    alive: () => child.exitCode === null && child.signalCode === null,
    waitFor(text, timeoutMs) {
      if (buffer.includes(text)) return Promise.resolve();
      return within(
        timeoutMs,
        `${name} printing "${text}" (output: ${buffer.slice(-1500)})`,
        () => new Promise<void>((resolve) => waiters.push({ text, resolve })),
      );
    },
  };
}

export interface Servers {
  temporalAddress: string;
  mongoUri: string;
  dir: string;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  stopMongo(): Promise<void>;
  startMongo(): Promise<void>;
}

/** Every process, server and hook a test file starts; `close()` undoes all of it. */
export class Scope {
  private readonly procs: Proc[] = [];
  private readonly closers: Array<() => Promise<unknown>> = [];
  private readonly dirs: string[] = [];
  readonly id = uid('q');

  onClose(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }

  tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-fault-'));
    this.dirs.push(dir);
    return dir;
  }

  /** A dedicated Temporal dev server (SQLite file) and FerretDB (data dir), on free ports. */
  async servers(options: { temporal?: boolean; mongo?: boolean } = {}): Promise<Servers> {
    const dir = this.tempDir();
    const dbFile = path.join(dir, 'temporal.sqlite');
    const [port, uiPort, mongoPort] = [await freePort(), await freePort(), await freePort()];
    let temporal: Awaited<ReturnType<typeof startTemporalDevServer>> | null = null;
    let ferret: Awaited<ReturnType<typeof startFerretDb>> | null = null;
    const startTemporal = async () => {
      temporal = await startTemporalDevServer({ dbFile, port, uiPort });
    };
    const startMongo = async () => {
      ferret = await startFerretDb({ dataDir: path.join(dir, 'ferretdb'), port: mongoPort });
    };
    this.onClose(async () => {
      await Promise.allSettled([stopChild(temporal?.child, 5000), stopChild(ferret?.child, 5000)]);
    });
    await Promise.all([
      options.temporal !== false ? startTemporal() : null,
      options.mongo !== false ? startMongo() : null,
    ]);
    return {
      temporalAddress: `127.0.0.1:${port}`,
      mongoUri: `mongodb://127.0.0.1:${mongoPort}/`,
      dir,
      startTemporal,
      startMongo,
      stopTemporal: async () => {
        await stopChild(temporal?.child, 5000);
        temporal = null;
      },
      stopMongo: async () => {
        await stopChild(ferret?.child, 5000);
        ferret = null;
      },
    };
  }

  worker(env: Record<string, string>, script = WORKER_MAIN): Proc {
    const p = spawnNode(script === WORKER_MAIN ? 'worker' : 'fault-worker', script, {
      LOG_LEVEL: 'warn',
      WORKER_SHUTDOWN_GRACE_SECONDS: '2',
      ...env,
    });
    this.procs.push(p);
    return p;
  }

  async gateway(env: Record<string, string>): Promise<Proc & { url: string; port: number }> {
    const port = Number(env.PORT ?? (await freePort()));
    const p = spawnNode('gateway', GATEWAY_MAIN, {
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: FAULT_SECRET,
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
      PORT: String(port),
    });
    this.procs.push(p);
    try {
      await waitForPort(port, { child: p.child, name: 'gateway', timeoutMs: 30_000 });
    } catch (err) {
      throw new Error(`${String(err)}\n${p.output()}`);
    }
    return Object.assign(p, { url: `http://127.0.0.1:${port}`, port });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.procs.map((p) => (p.alive() ? stopChild(p.child, 3000) : null)));
    for (const fn of [...this.closers].reverse()) await Promise.allSettled([fn()]);
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** SIGKILL, and wait for the exit. */
export async function kill9(p: Proc): Promise<void> {
  if (!p.alive()) return;
  p.child.kill('SIGKILL');
  await within(5000, `${p.name} exiting after SIGKILL`, () => p.exited);
}

/** The env a worker and a gateway of one test share: its own task queue and database. */
export function appEnv(servers: Servers, scope: Scope): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_TASK_QUEUE: `tq-${scope.id}`,
    MONGODB_URI: servers.mongoUri,
    MONGODB_DB: `gh_${scope.id}`,
  };
}

/** One line per number, greppable in CI output. */
export function report(fault: string, numbers: Record<string, unknown>): void {
  console.log(`[fault-report] ${fault} ${JSON.stringify(numbers)}`);
}
