// Single sign-on settings and token verification: the OIDC_* and AUTH_*_CLAIM settings as loaded, claims
// mapping (nested paths, admin groups), and a gateway that takes both the demo's HS256 tokens and an identity
// provider's RS256 tokens, with the provider's JWKS found through its discovery document.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { ConfigError, loadGatewayConfig } from '../config';
import { GatehouseError } from '../common/errors';
import { actorFromClaims, TokenVerifier } from './token-verifier';

const SECRET = 'sso-spec-secret-0123456789-0123456789';
const now = () => Math.floor(Date.now() / 1000);

describe('settings', () => {
  test('OIDC_ISSUER offers single sign-on with the default scopes and claims', () => {
    const config = loadGatewayConfig({ OIDC_ISSUER: 'https://login.example.com/realms/corp', OIDC_CLIENT_ID: 'gh' });
    expect(config.oidc).toEqual({
      issuer: 'https://login.example.com/realms/corp',
      clientId: 'gh',
      scopes: 'openid profile email groups',
      audience: null,
      cliClientId: null, // the CLI signs in as the dashboard's client
    });
    expect(config.auth.claims).toEqual({ groups: 'groups', roles: 'roles', adminGroups: [] });
    expect(config.auth.oidcIssuer).toBe('https://login.example.com/realms/corp');
    // No dev secret: the provider's tokens are the only ones accepted.
    expect(config.auth.jwtSecret).toBeNull();
    expect(loadGatewayConfig({}).oidc).toBeNull();
  });

  test('every setting is read, and bad ones stop the process naming the variable', () => {
    const config = loadGatewayConfig({
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_CLIENT_ID: 'gatehouse',
      OIDC_CLI_CLIENT_ID: 'gatehouse-cli',
      OIDC_SCOPES: 'openid,profile offline_access',
      OIDC_AUDIENCE: 'api://gatehouse',
      AUTH_GROUPS_CLAIM: 'realm_access.groups',
      AUTH_ROLES_CLAIM: 'realm_access.roles',
      AUTH_ADMIN_GROUPS: 'gatehouse-admins, it-admins ,',
      AUTH_JWT_SECRET: SECRET,
    });
    expect(config.oidc).toMatchObject({
      scopes: 'openid profile offline_access',
      audience: 'api://gatehouse',
      cliClientId: 'gatehouse-cli',
    });
    expect(config.auth).toMatchObject({
      jwtSecret: SECRET, // kept next to the provider: verified by each token's alg
      oidcAudience: 'api://gatehouse',
      claims: {
        groups: 'realm_access.groups',
        roles: 'realm_access.roles',
        adminGroups: ['gatehouse-admins', 'it-admins'],
      },
    });
    expect(() => loadGatewayConfig({ OIDC_ISSUER: 'login.example.com', OIDC_CLIENT_ID: 'x' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadGatewayConfig({ OIDC_ISSUER: 'https://idp.example.com' })).toThrow(/OIDC_CLIENT_ID/);
    expect(() =>
      loadGatewayConfig({ OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'x', OIDC_SCOPES: 'profile' }),
    ).toThrow(/OIDC_SCOPES must include openid/);
    expect(() => loadGatewayConfig({ AUTH_GROUPS_CLAIM: 'my groups' })).toThrow(/AUTH_GROUPS_CLAIM/);
  });

  test('production takes OIDC_ISSUER alone as token verification, but only with an audience', () => {
    const base = { NODE_ENV: 'production', OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'x' };
    expect(() => loadGatewayConfig(base)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(base)).toThrow(/OIDC_AUDIENCE/);
    expect(loadGatewayConfig({ ...base, OIDC_AUDIENCE: 'api://gatehouse' }).auth.usingDevSecret).toBe(false);
    expect(loadGatewayConfig({ ...base, AUTH_JWT_AUDIENCE: 'api://gatehouse' }).oidc?.audience).toBeNull();
  });
});

describe('claims mapping', () => {
  const mapping = { groups: 'groups', roles: 'realm_access.roles', adminGroups: ['gatehouse-admins'] };

  test('roles from a nested claim (Keycloak realm roles), ', () => {
    const actor = actorFromClaims(
      { sub: 'alice', groups: ['engineering'], realm_access: { roles: ['approver'] } },
      mapping,
    );
    expect(actor).toMatchObject({ id: 'alice', groups: ['engineering'], roles: ['approver'] });
    expect(actorFromClaims({ sub: 'bob' }, mapping)).toMatchObject({ groups: [], roles: [] });
  });

  test('a claim whose name has dots is found by its name first (namespaced claims)', () => {
    const actor = actorFromClaims(
      { sub: 'carol', 'https://gatehouse.example.com/roles': ['admin'] },
      { groups: 'groups', roles: 'https://gatehouse.example.com/roles', adminGroups: [] },
    );
    expect(actor.roles).toEqual(['admin']);
  });

  test('members of an admin group get the admin role, others do not', () => {
    expect(actorFromClaims({ sub: 'ada', groups: ['gatehouse-admins'] }, mapping).roles).toEqual(['admin']);
    expect(actorFromClaims({ sub: 'eve', groups: ['gatehouse-admins-not'] }, mapping).roles).toEqual([]);
  });

  test('a malformed claim refuses the token', () => {
    expect(() => actorFromClaims({ sub: 'x', groups: [1, 2] }, mapping)).toThrow(GatehouseError);
    expect(() => actorFromClaims({ sub: 'x', groups: 'gatehouse-admins' }, mapping)).toThrow(GatehouseError);
    expect(() => actorFromClaims({ sub: 'x', realm_access: { roles: { admin: true } } }, mapping)).toThrow(
      /realm_access.roles/,
    );
  });
});

describe('a gateway with the demo secret and an identity provider', () => {
  let server: http.Server;
  let issuer: string;
  let jwks: { keys: JWK[] };
  let signRs: (claims: object) => Promise<string>;
  let verifier: TokenVerifier;
  const AUDIENCE = 'api://gatehouse';

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    signRs = (claims) => new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
      if (req.url === '/keys') return res.end(JSON.stringify(jwks));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = loadGatewayConfig({
      AUTH_JWT_SECRET: SECRET,
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: 'gatehouse-dashboard',
      OIDC_AUDIENCE: AUDIENCE,
    });
    verifier = new TokenVerifier(config.auth);
    await verifier.prepare();
  });
  afterAll(() => server.close());

  const hs = (claims: object, secret = SECRET) =>
    new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
  const refusal = (token: string) =>
    verifier.verify(token).then(
      () => 'accepted',
      (err: GatehouseError) => err.code,
    );

  test("the demo's HS256 tokens and the provider's RS256 tokens both verify, each with its own key", async () => {
    expect(await verifier.verify(await hs({ sub: 'alice', exp: now() + 60 }))).toMatchObject({ id: 'alice' });
    const rs = await signRs({ sub: 'bob', iss: issuer, aud: AUDIENCE, exp: now() + 60, groups: ['sales'] });
    expect(await verifier.verify(rs)).toMatchObject({ id: 'bob', groups: ['sales'] });
    expect(await refusal(await hs({ sub: 'alice', exp: now() + 60 }, 'another-secret-0123456789-0123456789'))).toBe(
      'UNAUTHENTICATED',
    );
    // The public key as an HMAC secret (algorithm confusion) and alg none are refused.
    expect(await refusal(await hs({ sub: 'alice', exp: now() + 60 }, String(jwks.keys[0].n)))).toBe('UNAUTHENTICATED');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'alice', exp: now() + 60 }),
    ).toString('base64url')}.`;
    expect(await refusal(none)).toBe('UNAUTHENTICATED');
  });

  test("the provider's tokens must name its issuer and Gatehouse's audience", async () => {
    const claims = { sub: 'bob', iss: issuer, aud: AUDIENCE, exp: now() + 60 };
    expect(await refusal(await signRs({ ...claims, aud: 'api://another-app' }))).toBe('UNAUTHENTICATED');
    expect(await refusal(await signRs({ ...claims, iss: 'https://elsewhere.example.com' }))).toBe('UNAUTHENTICATED');
    expect(await refusal(await signRs({ ...claims, exp: now() - 10 }))).toBe('UNAUTHENTICATED');
  });

  test('an unreachable provider answers 503 with what failed', async () => {
    const down = new TokenVerifier(
      loadGatewayConfig({ OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'x', OIDC_AUDIENCE: AUDIENCE }).auth,
    );
    await expect(down.prepare()).rejects.toThrow(/openid-configuration could not be read/);
    const token = await signRs({ sub: 'bob', iss: 'http://127.0.0.1:9', aud: AUDIENCE, exp: now() + 60 });
    const err = (await down.verify(token).catch((e: unknown) => e)) as GatehouseError;
    expect(err.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(err.message).toMatch(/identity provider cannot be reached/);
  });
});
