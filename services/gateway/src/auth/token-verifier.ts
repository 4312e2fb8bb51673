import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { Actor } from '@gatehouse/domain';
import type { ClaimsMapping, GatewayConfig } from '../config';
import { GatehouseError } from '../common/errors';

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const ASYMMETRIC = ['RS256', 'ES256'];
const DEFAULT_CLAIMS: ClaimsMapping = { groups: 'groups', roles: 'roles', adminGroups: [] };
/** After a failed discovery, requests wait this long before the next attempt (no storm at a down IdP). */
const DISCOVERY_RETRY_MS = 5_000;

function stringList(value: unknown, claim: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length > 128) || value.length > 200) {
    throw new GatehouseError('UNAUTHENTICATED', `the "${claim}" claim must be a list of strings`);
  }
  return value as string[];
}

/**
 * A claim by name, or by dotted path into nested objects (`realm_access.roles`). A claim whose own name has
 * dots (Auth0's `https://example.com/roles`) is found by its name first.
 */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The actor a verified token names, with groups and roles read where the mapping says. */
export function actorFromClaims(payload: JWTPayload, mapping: ClaimsMapping = DEFAULT_CLAIMS): Actor {
  if (typeof payload.sub !== 'string' || !ID.test(payload.sub))
    throw new GatehouseError('UNAUTHENTICATED', 'the token has no valid "sub" claim');
  const groups = stringList(claimAt(payload, mapping.groups), mapping.groups);
  const roles = stringList(claimAt(payload, mapping.roles), mapping.roles);
  if (!roles.includes('admin') && groups.some((g) => mapping.adminGroups.includes(g))) roles.push('admin');
  return {
    id: payload.sub,
    name: typeof payload.name === 'string' ? payload.name.slice(0, 200) : undefined,
    email: typeof payload.email === 'string' ? payload.email.slice(0, 320) : undefined,
    roles,
    groups,
  };
}

/**
 * The JWKS named by the issuer's discovery document (`/.well-known/openid-configuration`), found on first
 * use and kept; a failed discovery is retried after a pause.
 */
class DiscoveredKeys {
  private keys: Promise<JWTVerifyGetKey> | null = null;

  constructor(private readonly issuer: string) {}

  readonly getKey: JWTVerifyGetKey = async (header, token) => (await this.load())(header, token);

  load(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discover().catch((err: unknown) => {
      setTimeout(() => (this.keys = null), DISCOVERY_RETRY_MS).unref();
      throw err;
    });
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`it answered ${res.status}`);
      document = (await res.json()) as typeof document;
    } catch (err) {
      throw new IdentityProviderUnreachable(`${url} could not be read: ${(err as Error).message}`);
    }
    // OpenID Connect Discovery: the document must name exactly the issuer it was fetched for.
    if (document.issuer !== this.issuer)
      throw new IdentityProviderUnreachable(`${url} names the issuer "${String(document.issuer)}", not OIDC_ISSUER`);
    if (typeof document.jwks_uri !== 'string') throw new IdentityProviderUnreachable(`${url} has no jwks_uri`);
    return remoteKeys(document.jwks_uri);
  }
}

export class IdentityProviderUnreachable extends Error {}

function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  // A token naming an unknown key id refetches the JWKS (rotation), at most once a second (no refetch storms).
  return createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 1000, cacheMaxAge: 10 * 60_000 });
}

/**
 * Verifies bearer tokens: HS256 with a shared secret, and RS256/ES256 against a JWKS (AUTH_JWKS_URL, or the
 * one OIDC_ISSUER's discovery names; keys are cached by jose and refetched when a token names an unknown
 * key id, so rotation needs no restart). With both, the token's `alg` picks the key: the secret never
 * verifies an RS/ES token, nor a JWKS key an HS256 one. `alg: none` and any other algorithm are refused.
 */
export class TokenVerifier {
  private readonly secret: Uint8Array | null;
  private readonly jwks: JWTVerifyGetKey | null;
  private readonly discovered: DiscoveredKeys | null = null;

  constructor(private readonly auth: GatewayConfig['auth']) {
    this.secret = auth.jwtSecret ? new TextEncoder().encode(auth.jwtSecret) : null;
    if (auth.jwksUrl) this.jwks = remoteKeys(auth.jwksUrl);
    else if (auth.oidcIssuer) {
      this.discovered = new DiscoveredKeys(auth.oidcIssuer);
      this.jwks = this.discovered.getKey;
    } else this.jwks = null;
  }

  /** Discovers the identity provider's JWKS now rather than on the first token; rejects when it cannot. */
  async prepare(): Promise<void> {
    await this.discovered?.load();
  }

  async verify(token: string): Promise<Actor> {
    let payload: JWTPayload;
    try {
      const { alg } = decodeProtectedHeader(token);
      const common = { requiredClaims: ['exp', 'sub'] };
      if (alg === 'HS256' && this.secret) {
        payload = (await jwtVerify(token, this.secret, { ...common, algorithms: ['HS256'], ...this.expected(false) }))
          .payload;
      } else if (alg && ASYMMETRIC.includes(alg) && this.jwks) {
        payload = (await jwtVerify(token, this.jwks, { ...common, algorithms: ASYMMETRIC, ...this.expected(true) }))
          .payload;
      } else {
        throw new Error(`no key for alg ${String(alg)}`);
      }
    } catch (err) {
      if (err instanceof IdentityProviderUnreachable)
        throw new GatehouseError(
          'DEPENDENCY_UNAVAILABLE',
          `The identity provider cannot be reached to verify the token: ${err.message}`,
        );
      const reason = err instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
      throw new GatehouseError('UNAUTHENTICATED', reason);
    }
    return actorFromClaims(payload, this.auth.claims);
  }

  /** The issuer and audience a token must name: the identity provider's for JWKS-verified tokens. */
  private expected(fromJwks: boolean): Pick<JWTVerifyOptions, 'issuer' | 'audience'> {
    const issuer = this.auth.issuer ?? (fromJwks ? this.auth.oidcIssuer : null);
    const audience = this.auth.audience ?? (fromJwks ? this.auth.oidcAudience : null);
    return { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
  }
}
