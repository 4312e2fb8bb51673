import type { NextFunction, Request, Response } from 'express';
import type { TokenVerifier } from '../auth/token-verifier';
import { verifiedCaller } from '../auth/verified-caller';
import { toErrorBody } from './error.filter';
import { GatehouseError } from './errors';

const WINDOW_MS = 60_000;

export interface RateLimitOptions {
  perMinute: number;
  /** Most callers remembered at once (the memory bound); the oldest windows are forgotten first. */
  maxCallers: number;
  now?: () => number;
}

export interface RateVerdict {
  allowed: boolean;
  remaining: number;
  /** Seconds until the caller's window starts again. */
  resetSeconds: number;
}

/**
 * Fixed one-minute windows per caller, in memory (one budget per gateway replica), never more than
 * `maxCallers` of them: a flood of new callers (addresses) costs a bounded map, not a growing one.
 */
export class RateLimiter {
  /** Ordered by window start (a new window is re-inserted), so expired and oldest windows are at the front. */
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  get perMinute(): number {
    return this.options.perMinute;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Counts one request of `caller`. */
  take(caller: string): RateVerdict {
    const now = this.now();
    let w = this.windows.get(caller);
    if (!w || now - w.start >= WINDOW_MS) {
      this.windows.delete(caller);
      this.makeRoom(now);
      w = { start: now, count: 0 };
      this.windows.set(caller, w);
    }
    w.count++;
    return {
      allowed: w.count <= this.options.perMinute,
      remaining: Math.max(0, this.options.perMinute - w.count),
      resetSeconds: Math.ceil((w.start + WINDOW_MS - now) / 1000),
    };
  }

  private makeRoom(now: number): void {
    for (const [caller, w] of this.windows) {
      if (now - w.start < WINDOW_MS && this.windows.size < this.options.maxCallers) return;
      // Expired, or the oldest live window when full: that caller starts a fresh budget (only when more
      // than maxCallers callers were seen within a minute).
      this.windows.delete(caller);
    }
  }
}

/**
 * The per-caller limit, before the body is read. A caller is the verified subject of its bearer token
 * (all of one person's tokens share a budget); a request without a token that verifies is counted against
 * its client address, so made-up tokens buy no budget of their own. `/health` is exempt so that load
 * balancers never starve it.
 */
export function rateLimiter(limiter: RateLimiter, verifier: TokenVerifier) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/health') return next();
    verifiedCaller(req, verifier).then((caller) => {
      const key = 'actor' in caller ? `sub:${caller.actor.id}` : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
      const verdict = limiter.take(key);
      res.setHeader('RateLimit-Limit', String(limiter.perMinute));
      res.setHeader('RateLimit-Remaining', String(verdict.remaining));
      res.setHeader('RateLimit-Reset', String(verdict.resetSeconds));
      if (verdict.allowed) return next();
      res.setHeader('Retry-After', String(verdict.resetSeconds));
      const body = toErrorBody(
        new GatehouseError(
          'RATE_LIMITED',
          `More than ${limiter.perMinute} requests in a minute; retry in ${verdict.resetSeconds} s.`,
        ),
      );
      res.status(body.statusCode).json(body);
    }, next);
  };
}
