/**
 * Helpers for tests that run against the real servers started by global-setup.js. Each test file gets
 * its own MongoDB database and task queue, so files run in parallel without seeing each other's data.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { Store } from '@gatehouse/store';
import { createGatehouseWorker, type GatehouseWorker, type GatehouseWorkerOptions } from '@gatehouse/worker';

export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest with test/support/global-setup.js`);
  return value;
}

export const testTemporalAddress = () => requireEnv('TEST_TEMPORAL_ADDRESS');
export const testMongoUri = () => requireEnv('TEST_MONGODB_URI');

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
  } catch {
    // already installed by another helper in this process
  }
}

export async function openTestStore(): Promise<Store> {
  const store = await Store.connect(testMongoUri(), uniqueId('gh_'));
  await store.ensureIndexes();
  return store;
}

/** A second store on `store`'s database, with its own models and collection objects: what another process has. */
export function sameDatabase(store: Store): Store {
  return new Store(store.connection.useDb(store.connection.name, { useCache: false }));
}

export async function openTestClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  return { client: new Client({ connection, namespace: 'default' }), connection };
}

export interface RunningWorker {
  worker: GatehouseWorker;
  /** The base task queue: ticket workflows run on it (the gateway's TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startTestWorker(
  store: Store,
  options: Partial<
    Pick<
      GatehouseWorkerOptions,
      | 'connectorFor'
      | 'env'
      | 'taskQueue'
      | 'shutdownGraceSeconds'
      | 'notifier'
      | 'channels'
      | 'queues'
      | 'queueSettings'
    >
  > = {},
): Promise<RunningWorker> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: testTemporalAddress() });
  const taskQueue = options.taskQueue ?? uniqueId('tq-');
  const worker = await createGatehouseWorker({
    connection,
    namespace: 'default',
    taskQueue,
    store,
    workflowBundlePath: requireEnv('TEST_WORKFLOW_BUNDLE'),
    shutdownGraceSeconds: options.shutdownGraceSeconds ?? 1,
    connectorFor: options.connectorFor,
    env: options.env,
    notifier: options.notifier,
    channels: options.channels,
    queues: options.queues,
    queueSettings: options.queueSettings,
  });
  const running = worker.run();
  let stopped: Promise<void> | null = null;
  return {
    worker,
    taskQueue,
    // Once: a test that stopped its stack's worker (to start another) still closes the stack as usual.
    stop: () =>
      (stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
      })()),
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The error type an Update was refused with (its validator's or handler's ApplicationFailure). */
export async function updateError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
      return err.cause.type ?? 'untyped';
    throw err;
  }
  throw new Error('expected the update to be refused');
}
