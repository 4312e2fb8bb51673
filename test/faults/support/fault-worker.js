// A test-only entry point for the worker process: the same boot as services/worker/src/main.ts (config
// from the environment, the compiled createGatehouseWorker, Worker.run() with its SIGINT/SIGTERM handling,
// the prebuilt workflow bundle), plus one thing production must never have: a slow grant, so a fault
// test can kill or stop the worker while an apply is deterministically in flight.
//
//   FAULT_GRANT_DELAY_MS   after the connector's grant has reached the target, wait this long before the
//                          activity returns (the grant is done, the activity is not).
//   FAULT_GRANT_CANCELLABLE=1  the wait ends early when the activity is cancelled (worker shutdown);
//                          otherwise it ignores cancellation, like the real connectors' HTTP calls.
//
// It prints `FAULT_GRANT_WRITTEN <ticketId>` on stdout when the grant has reached the target.
// Production code has no such hook: see docs/reliability.md ("hooks needed").
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '../../..');
const { NativeConnection, Runtime, makeTelemetryFilterString } = require('@temporalio/worker');
const { Context } = require('@temporalio/activity');
const { Store } = require('@gatehouse/store');
const { createConnector } = require('@gatehouse/connectors');
const { loadWorkerConfig } = require(path.join(root, 'services/worker/dist/config.js'));
const { createGatehouseWorker } = require(path.join(root, 'services/worker/dist/worker.js'));

const delayMs = Number(process.env.FAULT_GRANT_DELAY_MS || 0);
const cancellable = process.env.FAULT_GRANT_CANCELLABLE === '1';

function slowAfterGrant(connector) {
  return new Proxy(connector, {
    get(target, prop, receiver) {
      if (prop !== 'grant') return Reflect.get(target, prop, receiver);
      return async (change) => {
        await target.grant(change);
        let ticketId = '?';
        try {
          ticketId = Context.current().info.workflowExecution.workflowId;
        } catch {
          // not inside an activity
        }
        process.stdout.write(`FAULT_GRANT_WRITTEN ${ticketId}\n`);
        if (delayMs <= 0) return;
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, delayMs);
          if (cancellable) {
            Context.current().cancelled.catch((err) => {
              clearTimeout(timer);
              reject(err);
            });
          }
        });
      };
    },
  });
}

async function main() {
  const config = loadWorkerConfig();
  Runtime.install({
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const store = await Store.connect(config.mongoUri, config.mongoDb);
  await store.ensureIndexes();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const prebuilt = config.workflowBundlePath ?? path.join(root, 'services/worker/dist/workflow-bundle.js');
  const worker = await createGatehouseWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    store,
    workflowBundlePath: fs.existsSync(prebuilt) ? prebuilt : null,
    shutdownGraceSeconds: config.shutdownGraceSeconds,
    queueSettings: config.queueSettings,
    connectorFor: (app, deps) => slowAfterGrant(createConnector(app.id, app.connector, deps)),
  });
  process.stdout.write('FAULT_WORKER_READY\n');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await store.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
