import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Actor } from '@gatehouse/domain';
import type { GatewayConfig } from '../config';
import { GatehouseError } from '../common/errors';

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

function stringList(value: unknown, claim: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length > 128) || value.length > 200) {
    throw new GatehouseError('UNAUTHENTICATED', `the "${claim}" claim must be a list of strings`);
  }
  return value as string[];
}

/**
 * Verifies bearer tokens: HS256 with a shared secret, or RS256/ES256 against a JWKS (keys are cached
 * by jose and refetched when a token names an unknown key id, so rotation needs no restart).
 * `alg: none` and any algorithm outside these lists are refused.
 */
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly auth: GatewayConfig['auth']) {
    if (auth.jwksUrl) {
      // A token naming an unknown key id refetches the JWKS (rotation), at most once a second (no refetch storms).
      this.key = createRemoteJWKSet(new URL(auth.jwksUrl), { cooldownDuration: 1000, cacheMaxAge: 10 * 60_000 });
      this.algorithms = ['RS256', 'ES256'];
    } else {
      this.key = new TextEncoder().encode(auth.jwtSecret!);
      this.algorithms = ['HS256'];
    }
  }

  async verify(token: string): Promise<Actor> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        requiredClaims: ['exp', 'sub'],
        ...(this.auth.issuer ? { issuer: this.auth.issuer } : {}),
        ...(this.auth.audience ? { audience: this.auth.audience } : {}),
      };
      payload = (
        typeof this.key === 'function'
          ? await jwtVerify(token, this.key, options)
          : await jwtVerify(token, this.key, options)
      ).payload;
    } catch (err) {
      const reason = err instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
      throw new GatehouseError('UNAUTHENTICATED', reason);
    }
    if (typeof payload.sub !== 'string' || !ID.test(payload.sub))
      throw new GatehouseError('UNAUTHENTICATED', 'the token has no valid "sub" claim');
    return {
      id: payload.sub,
      name: typeof payload.name === 'string' ? payload.name.slice(0, 200) : undefined,
      email: typeof payload.email === 'string' ? payload.email.slice(0, 320) : undefined,
      roles: stringList(payload.roles, 'roles'),
      groups: stringList(payload.groups, 'groups'),
    };
  }
}
