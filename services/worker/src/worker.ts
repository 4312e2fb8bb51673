import path from 'node:path';
import fs from 'node:fs';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import {
  createConnectorActivities,
  createNotificationActivities,
  createTicketActivities,
  type ActivityDeps,
  type NotificationChannel,
} from '@gatehouse/activities';
import {
  createOutboundHttp,
  loadNotifierSettings,
  loadOutboundPolicy,
  type NotifierSettings,
} from '@gatehouse/notifiers';
import type { ConnectorDeps } from '@gatehouse/connectors';
import type { Store } from '@gatehouse/store';

export interface GatehouseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  env?: NodeJS.ProcessEnv;
  /** A prebuilt bundle (production, tests); absent, the compiled workflow code is bundled now. */
  workflowBundlePath?: string | null;
  shutdownGraceSeconds?: number;
  maxConcurrentActivities?: number;
  /**
   * Workflow runs kept in memory between their tasks (a run evicted from the cache is replayed from its
   * history on its next task). Bounds the worker's memory with many open tickets; absent, the SDK sizes
   * it from the heap limit (docs/performance.md, "Open tickets").
   */
  maxCachedWorkflows?: number | null;
  connectorFor?: ActivityDeps['connectorFor'];
  /** Where notifications go; absent, read from `env` (docs/notifications.md). */
  notifier?: NotifierSettings;
  /** Overrides the notification channels built from the settings (tests). */
  channels?: NotificationChannel[];
}

/** Where the compiled workflow entry point lives (workflows/dist/workflows.js). */
export function compiledWorkflowsPath(): string {
  return path.join(path.dirname(require.resolve('@gatehouse/workflows/package.json')), 'dist', 'workflows.js');
}

export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: compiledWorkflowsPath() });
  return code;
}

export async function createGatehouseWorker(options: GatehouseWorkerOptions): Promise<Worker> {
  // Grants written before they had holders are rewritten with one holder each (idempotent, under each grant's lease).
  await options.store.grants.migrateToHolders();
  const settings = options.notifier ?? loadNotifierSettings(options.env ?? process.env);
  // Connectors reach their targets through the same outbound guard as webhooks and Slack messages.
  const http = settings.outbound ?? createOutboundHttp(loadOutboundPolicy(options.env ?? process.env));
  const connectors: ConnectorDeps = {
    demoMemberships: options.store.demoMemberships,
    env: options.env ?? process.env,
    http,
  };
  const activityDeps: ActivityDeps = { store: options.store, connectors, connectorFor: options.connectorFor };
  const activities = {
    ...createTicketActivities(activityDeps),
    ...createConnectorActivities(activityDeps),
    ...createNotificationActivities({ store: options.store, settings, channels: options.channels }),
  };
  const bundlePath = options.workflowBundlePath;
  const workflowSource: Pick<WorkerOptions, 'workflowBundle'> =
    bundlePath && fs.existsSync(bundlePath)
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowBundle: { code: await bundleWorkflows() } };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    ...workflowSource,
    // In-flight activities get this long to finish on SIGTERM before they are handed back to Temporal…
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? 30} seconds`,
    // …and an activity that ignores its cancellation (a target call still waiting on the network) cannot
    // hold the process beyond this: run() then rejects and the process exits; Temporal retries the attempt.
    shutdownForceTime: `${(options.shutdownGraceSeconds ?? 30) + 2} seconds`,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 100,
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
}
