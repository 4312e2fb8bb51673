// The worker process: connects to Temporal and MongoDB, runs one Temporal worker per task queue it serves
// (WORKER_QUEUES) until SIGINT/SIGTERM, then drains their in-flight activities for the configured grace time.
import path from 'node:path';
import fs from 'node:fs';
import { NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { installOutboundGuard, loadNotifierSettings, NotifierSettingsError } from '@gatehouse/notifiers';
import { Store } from '@gatehouse/store';
import { ConfigError, loadWorkerConfig } from './config';
import { runtimeOptions, startWorkerTracing, traceFields } from './telemetry';
import { startHealthServer } from './health';
import { createGatehouseWorker, type GatehouseWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const notifier = loadNotifierSettings();
  // jsforce (Salesforce) makes its requests with Node's default agents: in production those are guarded too.
  installOutboundGuard(notifier.outbound);
  const logger = pino({ name: 'worker', level: config.logLevel, mixin: traceFields });
  let worker: GatehouseWorker | null = null;
  // Up first, so a startup probe sees the process while it connects, migrates and loads the bundle.
  const health = config.healthPort ? await startHealthServer(config.healthPort, () => worker?.states() ?? null) : null;
  Runtime.install(runtimeOptions(config.metricsAddress, logger));
  const tracing = config.tracing ? startWorkerTracing(config.tracing) : null;
  const store = await Store.connect(config.mongoUri, config.mongoDb);
  await store.ensureIndexes();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const prebuilt = config.workflowBundlePath ?? path.join(__dirname, 'workflow-bundle.js');
  worker = await createGatehouseWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    queues: config.queues,
    queueSettings: config.queueSettings,
    store,
    workflowBundlePath: fs.existsSync(prebuilt) ? prebuilt : null,
    shutdownGraceSeconds: config.shutdownGraceSeconds,
    notifier,
    tracing,
  });
  logger.info(
    {
      taskQueues: [...worker.workers.keys()],
      temporal: config.temporalAddress,
      namespace: config.temporalNamespace,
      health: config.healthPort,
    },
    'worker started',
  );
  // Worker.run() installs SIGINT/SIGTERM handlers that begin a graceful shutdown of every queue's worker.
  try {
    await worker.run();
  } finally {
    health?.close();
    await connection.close();
    await store.close();
    await tracing?.shutdown();
    logger.info('worker stopped');
  }
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof NotifierSettingsError) {
    console.error(`configuration error: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
