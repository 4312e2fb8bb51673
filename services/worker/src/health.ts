/**
 * GET /health for an orchestrator's probes (docs/deployment.md, "Kubernetes"): 200 while every task queue
 * this process serves has its worker running, 503 while it starts, drains or has failed. It reports the
 * process's own state only: a dependency that is down (MongoDB, Temporal) is retried by the workers, and
 * restarting them would not bring it back.
 */
import { createServer, type Server } from 'node:http';
import type { State } from '@temporalio/worker';

/** The workers' states by task queue; null until they are created. */
export type WorkerStates = () => Record<string, State> | null;

export async function startHealthServer(port: number, states: WorkerStates): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    const queues = states();
    const ok = queues !== null && Object.values(queues).every((state) => state === 'RUNNING');
    res
      .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: ok ? 'ok' : queues ? 'unavailable' : 'starting', queues: queues ?? {} }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}
