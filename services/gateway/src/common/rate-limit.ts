import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { toErrorBody } from './error.filter';
import { GatehouseError } from './errors';

/**
 * Per-caller fixed-window rate limit, in memory (one budget per gateway replica). The caller is its
 * bearer token (hashed; never kept in clear) or, without one, its address. `/health` is exempt so that
 * load balancers never starve it.
 */
export function rateLimiter(perMinute: number) {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = Date.now();
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/health') return next();
    const now = Date.now();
    if (now - lastSweep > 60_000) {
      for (const [k, w] of windows) if (now - w.start >= 60_000) windows.delete(k);
      lastSweep = now;
    }
    const auth = req.headers.authorization;
    const key = auth ? createHash('sha256').update(auth).digest('base64url') : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    let w = windows.get(key);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    const reset = Math.ceil((w.start + 60_000 - now) / 1000);
    res.setHeader('RateLimit-Limit', String(perMinute));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, perMinute - w.count)));
    res.setHeader('RateLimit-Reset', String(reset));
    if (w.count > perMinute) {
      res.setHeader('Retry-After', String(reset));
      const body = toErrorBody(new GatehouseError('RATE_LIMITED', `More than ${perMinute} requests in a minute; retry in ${reset} s.`));
      res.status(body.statusCode).json(body);
      return;
    }
    next();
  };
}
