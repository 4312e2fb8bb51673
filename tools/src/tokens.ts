import { SignJWT } from 'jose';

export interface TokenClaims {
  sub: string;
  name?: string;
  email?: string;
  roles?: string[];
  groups?: string[];
}

/** Mints an HS256 bearer token, as a dev identity provider would. */
export async function mintToken(secret: string, claims: TokenClaims, ttlSeconds = 12 * 3600): Promise<string> {
  const { sub, ...rest } = claims;
  return new SignJWT({ roles: [], groups: [], ...rest })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
