// The worker process: connects to Temporal and MongoDB, runs ticket workflows and activities until
// SIGINT/SIGTERM, then drains in-flight activities for the configured grace time.
import path from 'node:path';
import fs from 'node:fs';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import pino from 'pino';
import { installOutboundGuard, loadNotifierSettings, NotifierSettingsError } from '@gatehouse/notifiers';
import { Store } from '@gatehouse/store';
import { ConfigError, loadWorkerConfig } from './config';
import { createGatehouseWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const notifier = loadNotifierSettings();
  // jsforce (Salesforce) makes its requests with Node's default agents: in production those are guarded too.
  installOutboundGuard(notifier.outbound);
  const logger = pino({ name: 'worker', level: config.logLevel });
  Runtime.install({
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const store = await Store.connect(config.mongoUri, config.mongoDb);
  await store.ensureIndexes();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const prebuilt = config.workflowBundlePath ?? path.join(__dirname, 'workflow-bundle.js');
  const worker = await createGatehouseWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    store,
    workflowBundlePath: fs.existsSync(prebuilt) ? prebuilt : null,
    shutdownGraceSeconds: config.shutdownGraceSeconds,
    maxConcurrentActivities: config.maxConcurrentActivities,
    maxCachedWorkflows: config.maxCachedWorkflows,
    notifier,
  });
  logger.info(
    { taskQueue: config.taskQueue, temporal: config.temporalAddress, namespace: config.temporalNamespace },
    'worker started',
  );
  // Worker.run() installs SIGINT/SIGTERM handlers that begin a graceful shutdown.
  try {
    await worker.run();
  } finally {
    await connection.close();
    await store.close();
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
