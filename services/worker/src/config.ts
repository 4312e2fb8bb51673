import { isIP } from 'node:net';
import { TASK_QUEUE_GROUPS, type TaskQueueGroup } from '@gatehouse/workflows';
import type { TracingSettings } from './telemetry';

/** One queue's worker options (docs/deployment.md, "Worker settings"). Null: the SDK's default. */
export interface QueueWorkerSettings {
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number | null;
  /** Workflow runs kept in memory between tasks; null: the SDK's default (sized from the heap limit). */
  maxCachedWorkflows: number | null;
  /** Activities this worker starts per second (a limit of each process). */
  maxActivitiesPerSecond: number | null;
  /** Activities the whole queue starts per second, over every worker (Temporal's matching service enforces it). */
  maxTaskQueueActivitiesPerSecond: number | null;
}

/** Worker configuration, from the environment, validated once at boot. */
export interface WorkerConfig {
  temporalAddress: string;
  temporalNamespace: string;
  /** The base task queue: ticket workflows run on it, the other groups on queues named from it. */
  taskQueue: string;
  /** The groups of work this process serves (WORKER_QUEUES), one Temporal worker each. */
  queues: TaskQueueGroup[];
  queueSettings: Record<TaskQueueGroup, QueueWorkerSettings>;
  mongoUri: string;
  mongoDb: string;
  /** A prebuilt workflow bundle; absent, the worker bundles the workflow code at start. */
  workflowBundlePath: string | null;
  shutdownGraceSeconds: number;
  /** Where GET /health answers for probes; null: no health endpoint. */
  healthPort: number | null;
  logLevel: string;
  /** Where the SDK serves Prometheus metrics (WORKER_METRICS_ADDRESS, `ip:port`); null: no metrics endpoint. */
  metricsAddress: string | null;
  /** Traces, when an OTLP endpoint is set (the standard `OTEL_*` variables); null: tracing off. */
  tracing: TracingSettings | null;
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function optionalInt(env: NodeJS.ProcessEnv, name: string, min: number): number | null {
  return env[name] ? int(env, name, 0, min) : null;
}

function optionalRate(env: NodeJS.ProcessEnv, name: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a number > 0, got "${raw}"`);
  return value;
}

/** WORKER_QUEUES: comma-separated groups; unset or empty, all of them (one process serves everything). */
export function parseWorkerQueues(raw: string | undefined): TaskQueueGroup[] {
  if (raw === undefined || raw.trim() === '') return [...TASK_QUEUE_GROUPS];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const known = TASK_QUEUE_GROUPS.join(', ');
  if (!names.length) throw new ConfigError(`WORKER_QUEUES must name at least one of ${known}, got "${raw}"`);
  for (const name of names)
    if (!(TASK_QUEUE_GROUPS as readonly string[]).includes(name))
      throw new ConfigError(`WORKER_QUEUES names an unknown queue "${name}" (known: ${known})`);
  return TASK_QUEUE_GROUPS.filter((group) => names.includes(group));
}

/**
 * The SDK sizes each worker's cache from the whole heap, as if it were alone in the process. Tickets keep
 * that; notification and maintenance runs are short, and replaying an evicted one reads a short history.
 */
const DEFAULT_CACHED_WORKFLOWS: Record<TaskQueueGroup, number | null> = {
  tickets: null,
  notifications: 200,
  maintenance: 50,
};

/**
 * A queue's worker options: `WORKER_<QUEUE>_<SETTING>` for that queue, else `WORKER_<SETTING>` (which the
 * single-queue worker read before, and now applies to every queue), else the default.
 */
function queueSettings(env: NodeJS.ProcessEnv, group: TaskQueueGroup): QueueWorkerSettings {
  const name = (setting: string) => {
    const own = `WORKER_${group.toUpperCase()}_${setting}`;
    return env[own] !== undefined && env[own] !== '' ? own : `WORKER_${setting}`;
  };
  return {
    maxConcurrentActivities: int(env, name('MAX_CONCURRENT_ACTIVITIES'), 100, 1),
    // The SDK runs at least 2 at once, and a cache needs at least 2 runs: a typo must stop the worker.
    maxConcurrentWorkflowTasks: optionalInt(env, name('MAX_CONCURRENT_WORKFLOW_TASKS'), 2),
    maxCachedWorkflows: optionalInt(env, name('MAX_CACHED_WORKFLOWS'), 2) ?? DEFAULT_CACHED_WORKFLOWS[group],
    maxActivitiesPerSecond: optionalRate(env, name('MAX_ACTIVITIES_PER_SECOND')),
    maxTaskQueueActivitiesPerSecond: optionalRate(env, name('MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND')),
  };
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'gatehouse-tickets',
    queues: parseWorkerQueues(env.WORKER_QUEUES),
    queueSettings: {
      tickets: queueSettings(env, 'tickets'),
      notifications: queueSettings(env, 'notifications'),
      maintenance: queueSettings(env, 'maintenance'),
    },
    mongoUri: env.MONGODB_URI || 'mongodb://127.0.0.1:27017/',
    mongoDb: env.MONGODB_DB || 'gatehouse',
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH || null,
    shutdownGraceSeconds: int(env, 'WORKER_SHUTDOWN_GRACE_SECONDS', 30),
    healthPort: optionalInt(env, 'WORKER_HEALTH_PORT', 1),
    logLevel: env.LOG_LEVEL || 'info',
    metricsAddress: listenAddress(env, 'WORKER_METRICS_ADDRESS'),
    tracing: tracingSettings(env),
  };
}

/** `ip:port` (the SDK's exporter binds an address, not a host name): `0.0.0.0:9464`, `[::]:9464`. */
function listenAddress(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  if (!raw) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(raw);
  const port = Number(m?.[3]);
  if (!m || isIP(m[1] ?? m[2]) === 0 || port < 1 || port > 65535)
    throw new ConfigError(`${name} must be ip:port (e.g. 127.0.0.1:9464 or 0.0.0.0:9464), got "${raw}"`);
  return raw;
}

/** Tracing is on once an OTLP endpoint is set, unless the standard variables turn it off. */
function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | null {
  const exporter = env.OTEL_TRACES_EXPORTER || 'otlp';
  if (env.OTEL_SDK_DISABLED === 'true' || exporter === 'none') return null;
  if (exporter !== 'otlp') throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp or none, got "${exporter}"`);
  const name = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = env[name];
  if (!endpoint) return null;
  // OTLP over HTTP: the exporter speaks nothing else.
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol))
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${endpoint}"`);
  return { serviceName: env.OTEL_SERVICE_NAME || 'gatehouse-worker' };
}
