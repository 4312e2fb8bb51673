/** Worker configuration, from the environment, validated once at boot. */
export interface WorkerConfig {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  mongoUri: string;
  mongoDb: string;
  /** A prebuilt workflow bundle; absent, the worker bundles the workflow code at start. */
  workflowBundlePath: string | null;
  shutdownGraceSeconds: number;
  maxConcurrentActivities: number;
  /** Workflow runs kept in memory between tasks; null: the SDK's default (sized from the heap limit). */
  maxCachedWorkflows: number | null;
  logLevel: string;
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

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'gatehouse-tickets',
    mongoUri: env.MONGODB_URI || 'mongodb://127.0.0.1:27017/',
    mongoDb: env.MONGODB_DB || 'gatehouse',
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH || null,
    shutdownGraceSeconds: int(env, 'WORKER_SHUTDOWN_GRACE_SECONDS', 30),
    maxConcurrentActivities: int(env, 'WORKER_MAX_CONCURRENT_ACTIVITIES', 100, 1),
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS ? int(env, 'WORKER_MAX_CACHED_WORKFLOWS', 0, 2) : null,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
