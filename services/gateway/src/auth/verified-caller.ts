import type { Request } from 'express';
import type { Actor } from '@gatehouse/domain';
import { GatehouseError } from '../common/errors';
import type { TokenVerifier } from './token-verifier';

/** Who sent a request: the actor its bearer token proves, or why it proves no one. */
export type Caller = { actor: Actor } | { refused: GatehouseError };

const VERIFIED = Symbol('gatehouse:verified-caller');
const BEARER = /^Bearer ([A-Za-z0-9_\-.]+)$/i;

/**
 * The request's bearer token, verified once per request: the rate limiter needs the verified subject
 * before the body is read, and the auth guard needs the actor; both ask here and share one verification.
 */
export function verifiedCaller(req: Request, verifier: TokenVerifier): Promise<Caller> {
  const memo = req as Request & { [VERIFIED]?: Promise<Caller> };
  memo[VERIFIED] ??= verify(req.headers.authorization, verifier);
  return memo[VERIFIED];
}

async function verify(header: string | undefined, verifier: TokenVerifier): Promise<Caller> {
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match)
    return { refused: new GatehouseError('UNAUTHENTICATED', 'an "Authorization: Bearer <token>" header is required') };
  try {
    return { actor: await verifier.verify(match[1]) };
  } catch (err) {
    if (err instanceof GatehouseError) return { refused: err };
    throw err;
  }
}
