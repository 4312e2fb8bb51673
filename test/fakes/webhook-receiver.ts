/**
 * A webhook consumer on 127.0.0.1: records every request with its raw body (signatures are over the raw
 * bytes), and answers what the test says: a status for the n-th request, or nothing at all (a slow endpoint).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** Unix seconds when it arrived. */
  receivedAt: number;
  /** What it was answered: a status, or `hang` when it was left without an answer. */
  answer: number | 'hang';
}

/** The answer to the `n`-th request (from 1). */
export type WebhookBehaviour = (n: number) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  behave(behaviour: WebhookBehaviour): void;
  close(): Promise<void>;
}

/** Fails the first `times` requests with `status`, then accepts. */
export const failThenHeal =
  (times: number, status = 500): WebhookBehaviour =>
  (n) =>
    n <= times ? status : 200;

export async function startWebhookReceiver(behaviour: WebhookBehaviour = () => 200): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();
  let behave = behaviour;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = behave(received.length + 1);
      received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Math.floor(Date.now() / 1000),
        answer,
      });
      if (answer === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : `refused with ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/gatehouse`,
    received,
    behave: (b) => {
      behave = b;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const res of hanging) res.destroy();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
