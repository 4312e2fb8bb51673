import path from 'node:path';
import fs from 'node:fs';
import { NativeConnection, Worker, bundleWorkflowCode, type State, type WorkerOptions } from '@temporalio/worker';
import {
  createConnectorActivities,
  createNotificationActivities,
  createOffboardingActivities,
  createReindexActivities,
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
import { TASK_QUEUE_GROUPS, taskQueueNames, type TaskQueueGroup } from '@gatehouse/workflows';
import { loadWorkerConfig, type QueueWorkerSettings } from './config';
import { ConnectorTypes } from './activity-metrics';
import { telemetryWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES, type WorkerTracing } from './telemetry';

export interface GatehouseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The base task queue (TEMPORAL_TASK_QUEUE): tickets run on it, the other groups on queues named from it. */
  taskQueue: string;
  /** The groups of work this process serves, one Temporal worker each (WORKER_QUEUES); absent: all of them. */
  queues?: TaskQueueGroup[];
  /** Each group's worker options; absent, a group gets the defaults of docs/deployment.md. */
  queueSettings?: Partial<Record<TaskQueueGroup, Partial<QueueWorkerSettings>>>;
  store: Store;
  env?: NodeJS.ProcessEnv;
  /** A prebuilt bundle (production, tests); absent, the compiled workflow code is bundled now. */
  workflowBundlePath?: string | null;
  shutdownGraceSeconds?: number;
  connectorFor?: ActivityDeps['connectorFor'];
  /** Where the workers' spans go (docs/operations.md, "Metrics and traces"); absent: tracing off. */
  tracing?: WorkerTracing | null;
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
  const { code } = await bundleWorkflowCode({
    workflowsPath: compiledWorkflowsPath(),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
  });
  return code;
}

/**
 * One process's Temporal workers: one per group of work it serves, on that group's task queue, sharing
 * the connection, the store and the workflow bundle. They run, drain and stop together.
 */
export class GatehouseWorker {
  constructor(
    /** Each served task queue's worker, by queue name. */
    readonly workers: ReadonlyMap<string, Worker>,
  ) {}

  /**
   * Runs every worker until all have stopped. SIGINT/SIGTERM reach each of them (the SDK's runtime shuts
   * down every running worker), as does shutdown(). A worker that fails shuts the others down, and run()
   * then rejects with its error, so a process never goes on serving some of its queues only.
   */
  async run(): Promise<void> {
    const results = await Promise.allSettled(
      [...this.workers.values()].map((worker) =>
        worker.run().catch((err: unknown) => {
          this.shutdown();
          throw err;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Begins a graceful shutdown of every worker still running: each stops polling and drains its tasks. */
  shutdown(): void {
    for (const worker of this.workers.values()) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** `RUNNING` while every worker runs; otherwise the state of the first one that does not. */
  getState(): State {
    const states = Object.values(this.states());
    return states.find((state) => state !== 'RUNNING') ?? 'RUNNING';
  }

  /** Each served task queue's worker state, for logs and the health endpoint. */
  states(): Record<string, State> {
    return Object.fromEntries([...this.workers].map(([queue, worker]) => [queue, worker.getState()]));
  }
}

export async function createGatehouseWorker(options: GatehouseWorkerOptions): Promise<GatehouseWorker> {
  const groups = options.queues ?? [...TASK_QUEUE_GROUPS];
  const queueNames = taskQueueNames(options.taskQueue);
  // Grants written before they had holders are rewritten with one holder each (idempotent, under each grant's lease).
  if (groups.includes('tickets')) await options.store.grants.migrateToHolders();
  const settings = options.notifier ?? loadNotifierSettings(options.env ?? process.env);
  // Connectors reach their targets through the same outbound guard as webhooks and Slack messages.
  const http = settings.outbound ?? createOutboundHttp(loadOutboundPolicy(options.env ?? process.env));
  const connectors: ConnectorDeps = {
    demoMemberships: options.store.demoMemberships,
    env: options.env ?? process.env,
    http,
  };
  // Provisioning metrics are labelled with each app's connector type, as the activities build its connector.
  const connectorTypes = new ConnectorTypes();
  const activityDeps: ActivityDeps = {
    store: options.store,
    connectors,
    connectorFor: connectorTypes.recording(options.connectorFor),
  };
  const ticketActivities = createTicketActivities(activityDeps);
  const connectorActivities = createConnectorActivities(activityDeps);
  const notificationActivities = createNotificationActivities({
    store: options.store,
    settings,
    channels: options.channels,
    notificationQueue: queueNames.notifications,
  });
  const activities: Record<TaskQueueGroup, object> = {
    // The ticket workflow publishes its own events (publishTicketEvents) and an admin's re-apply of a lost
    // grant is an access change. Work started on the base queue before there were groups (deliveries still
    // retrying, drift schedules not saved since) finishes there too: the ticket queue runs every activity.
    tickets: { ...ticketActivities, ...connectorActivities, ...notificationActivities },
    notifications: notificationActivities,
    // The read-model rebuild runs beside the drift reports: long maintenance that must not take a grant's slots.
    // Leavers' offboarding too: it waits on ticket workflows, whose own activities run on the ticket queue.
    maintenance: {
      ...connectorActivities,
      ...createReindexActivities({ store: options.store }),
      ...createOffboardingActivities({ store: options.store }),
    },
  };
  const bundlePath = options.workflowBundlePath;
  const workflowSource: Pick<WorkerOptions, 'workflowBundle'> =
    bundlePath && fs.existsSync(bundlePath)
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowBundle: { code: await bundleWorkflows() } };
  const defaults = loadWorkerConfig({}).queueSettings;
  const workers = new Map<string, Worker>();
  for (const group of groups) {
    const queue: QueueWorkerSettings = { ...defaults[group], ...options.queueSettings?.[group] };
    workers.set(
      queueNames[group],
      await Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: queueNames[group],
        activities: activities[group],
        ...workflowSource,
        ...telemetryWorkerOptions(options.tracing ?? null, connectorTypes),
        // In-flight activities get this long to finish on SIGTERM before they are handed back to Temporal…
        shutdownGraceTime: `${options.shutdownGraceSeconds ?? 30} seconds`,
        // …and an activity that ignores its cancellation (a target call still waiting on the network) cannot
        // hold the process beyond this: run() then rejects and the process exits; Temporal retries the attempt.
        shutdownForceTime: `${(options.shutdownGraceSeconds ?? 30) + 2} seconds`,
        maxConcurrentActivityTaskExecutions: queue.maxConcurrentActivities,
        ...(queue.maxConcurrentWorkflowTasks
          ? { maxConcurrentWorkflowTaskExecutions: queue.maxConcurrentWorkflowTasks }
          : {}),
        // Runs kept in memory between their tasks (an evicted run replays its history on its next task):
        // bounds the memory with many open tickets (docs/performance.md, "Open tickets").
        ...(queue.maxCachedWorkflows ? { maxCachedWorkflows: queue.maxCachedWorkflows } : {}),
        ...(queue.maxActivitiesPerSecond ? { maxActivitiesPerSecond: queue.maxActivitiesPerSecond } : {}),
        ...(queue.maxTaskQueueActivitiesPerSecond
          ? { maxTaskQueueActivitiesPerSecond: queue.maxTaskQueueActivitiesPerSecond }
          : {}),
      }),
    );
  }
  return new GatehouseWorker(workers);
}
