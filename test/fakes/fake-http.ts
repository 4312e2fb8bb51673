/**
 * What the vendor fakes share: listening on 127.0.0.1 at a random port, failures a test queues for the
 * next matching requests (rate limits, outages), and a log of what the fake was asked.
 */
import type { AddressInfo } from 'node:net';
import type { Express, NextFunction, Request, Response } from 'express';

export interface RunningFake<S> {
  /** Base URL of the fake, without a trailing slash. */
  url: string;
  /** The fake's data; tests seed it before and read it after the calls they make. */
  state: S;
  close(): Promise<void>;
}

export async function listenOnLoopback(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (err?: Error) => {
      if (err) return reject(err);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Clients keep connections alive; a test run must not wait for them to time out.
            server.closeAllConnections();
          }),
      });
    });
  });
}

export interface InjectedFault {
  /** Only requests with this method (any when absent). */
  method?: string;
  /** Only requests whose path contains this string or matches this expression (any when absent). */
  path?: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail (1 when absent). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

/** Failures queued by a test, answered in place of the next matching requests. */
export class FaultQueue {
  private readonly queued: Array<InjectedFault & { times: number }> = [];

  add(fault: InjectedFault): void {
    this.queued.push({ ...fault, times: fault.times ?? 1 });
  }

  clear(): void {
    this.queued.length = 0;
  }

  /** Express middleware answering the first queued fault the request matches. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const index = this.queued.findIndex(
        (f) =>
          (!f.method || f.method.toUpperCase() === req.method) &&
          (!f.path || (typeof f.path === 'string' ? req.path.includes(f.path) : f.path.test(req.path))),
      );
      if (index === -1) return next();
      const fault = this.queued[index];
      fault.times -= 1;
      if (fault.times <= 0) this.queued.splice(index, 1);
      res.status(fault.status).set(fault.headers ?? {});
      if (fault.body === undefined) res.end();
      else res.json(fault.body);
    };
  }
}

/** Express middleware appending every request to `log`. */
export function recordRequests(log: RecordedRequest[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    log.push({ method: req.method, path: req.path, query: { ...req.query }, body: req.body });
    next();
  };
}

/** The token of an `Authorization: <scheme> <token>` header, for one of `schemes` (case-insensitive). */
export function presentedToken(req: Request, schemes: string[]): string | undefined {
  const match = /^(\S+)\s+(.+)$/.exec(req.header('authorization') ?? '');
  if (!match || !schemes.includes(match[1].toLowerCase())) return undefined;
  return match[2].trim();
}
