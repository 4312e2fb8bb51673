/**
 * Every token defect answers 401 UNAUTHENTICATED, for HS256 secrets and for JWKS (RS256/ES256) with
 * key rotation; a production start without a way to verify tokens refuses to boot.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { ConfigError, loadGatewayConfig } from '@gatehouse/gateway';
import { startTestStack, TEST_SECRET, type TestStack } from '../support/stack';

const now = () => Math.floor(Date.now() / 1000);
const enc = (s: string) => new TextEncoder().encode(s);

function b64(obj: object) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

async function hs(claims: Record<string, unknown>, secret = TEST_SECRET, header: Record<string, unknown> = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(enc(secret));
}

describe('HS256', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { AUTH_JWT_ISSUER: 'https://idp.example', AUTH_JWT_AUDIENCE: 'gatehouse' } });
  });
  afterAll(async () => stack?.stop());

  const base = () => ({ sub: 'alice', exp: now() + 600, iss: 'https://idp.example', aud: 'gatehouse' });
  const call = (token: string) => stack.as(token ? `Bearer ${token}` : '').get('/me');
  const raw = (authorization: string) => stack.as(authorization).get('/me');

  test('a valid token with issuer and audience is accepted', async () => {
    expect((await call(await hs(base()))).status).toBe(200);
  });

  const defects: [string, () => Promise<string>][] = [
    ['expired', () => hs({ ...base(), exp: now() - 10 })],
    ['no exp', () => hs({ sub: 'alice', iss: 'https://idp.example', aud: 'gatehouse' })],
    ['no sub', () => hs({ exp: now() + 600, iss: 'https://idp.example', aud: 'gatehouse' })],
    ['a sub that is not an id', () => hs({ ...base(), sub: '{"$ne":null}' })],
    ['signed with another secret', () => hs(base(), 'another-secret-another-secret-123456')],
    ['wrong issuer', () => hs({ ...base(), iss: 'https://evil.example' })],
    ['wrong audience', () => hs({ ...base(), aud: 'someone-else' })],
    ['not yet valid', () => hs({ ...base(), nbf: now() + 600 })],
    ['roles that are not a list of strings', () => hs({ ...base(), roles: 'admin' })],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(base())}.`],
    ['alg none with a signature part', async () => `${b64({ alg: 'none' })}.${b64(base())}.c2ln`],
    [
      'HS512 instead of HS256',
      async () => new SignJWT(base()).setProtectedHeader({ alg: 'HS512' }).sign(enc(TEST_SECRET)),
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await hs(base())).split('.');
        return `${h}.${b64({ ...base(), roles: ['admin'] })}.${s}`;
      },
    ],
    ['garbage', async () => 'not.a.jwt'],
  ];

  test.each(defects)('a token %s is 401 UNAUTHENTICATED', async (_name, make) => {
    const res = await call(await make());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, code: 'UNAUTHENTICATED', message: expect.any(String) });
  });

  test.each([
    ['no header', ''],
    ['Basic auth', 'Basic YWxpY2U6cHc='],
    ['Bearer without a token', 'Bearer '],
    ['lower-case bearer and spaces', 'bearer  x.y.z'],
  ])('%s is 401', async (_name, header) => {
    expect((await raw(header)).status).toBe(401);
  });
});

describe('JWKS (RS256 and ES256) with rotation', () => {
  let jwks: { keys: JWK[] };
  let server: http.Server;
  let stack: TestStack;
  let fetches = 0;

  async function keyPair(alg: 'RS256' | 'ES256', kid: string) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return {
      privateKey,
      jwk,
      sign: (claims: object) => new SignJWT({ ...claims }).setProtectedHeader({ alg, kid }).sign(privateKey),
    };
  }

  beforeAll(async () => {
    jwks = { keys: [] };
    server = http.createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    stack = await startTestStack({ env: { AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` } });
  });
  afterAll(async () => {
    await stack?.stop();
    server?.close();
  });

  test('RS256 and ES256 tokens verify; HS256 tokens signed with the public key material do not', async () => {
    const rs = await keyPair('RS256', 'rs-1');
    const es = await keyPair('ES256', 'es-1');
    jwks.keys = [rs.jwk, es.jwk];
    const claims = { sub: 'alice', exp: now() + 600 };
    expect((await stack.as(`Bearer ${await rs.sign(claims)}`).get('/me')).status).toBe(200);
    expect((await stack.as(`Bearer ${await es.sign(claims)}`).get('/me')).status).toBe(200);
    // Algorithm confusion: an HS256 token keyed with the RSA modulus must not pass.
    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'rs-1' })
      .sign(enc(String(rs.jwk.n)));
    expect((await stack.as(`Bearer ${confused}`).get('/me')).status).toBe(401);
    const strangerKey = await keyPair('RS256', 'rs-1');
    expect((await stack.as(`Bearer ${await strangerKey.sign(claims)}`).get('/me')).status).toBe(401);
  });

  test('a rotated key is picked up without a restart; the retired key stops working', async () => {
    const old = await keyPair('RS256', 'old');
    jwks.keys = [old.jwk];
    const claims = { sub: 'alice', exp: now() + 600 };
    await new Promise((r) => setTimeout(r, 1100)); // past the refetch cooldown
    expect((await stack.as(`Bearer ${await old.sign(claims)}`).get('/me')).status).toBe(200);
    const fresh = await keyPair('RS256', 'new');
    jwks.keys = [fresh.jwk];
    await new Promise((r) => setTimeout(r, 1100));
    const before = fetches;
    expect((await stack.as(`Bearer ${await fresh.sign(claims)}`).get('/me')).status).toBe(200);
    expect(fetches).toBeGreaterThan(before);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await stack.as(`Bearer ${await old.sign(claims)}`).get('/me')).status).toBe(401);
  });
});

describe('booting', () => {
  test('production refuses to start without a secret or a JWKS, naming the variables', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL/);
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(loadGatewayConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) }).auth.usingDevSecret).toBe(
      false,
    );
    expect(loadGatewayConfig({}).auth.usingDevSecret).toBe(true);
    expect(() => loadGatewayConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadGatewayConfig({ TICKET_LIST_SOURCE: 'fast' })).toThrow(/TICKET_LIST_SOURCE must be auto/);
    expect(loadGatewayConfig({ TICKET_LIST_SOURCE: 'database' }).listSource).toBe('database');
    expect(() => loadGatewayConfig({ LIST_SOURCE: 'fast' })).toThrow(/LIST_SOURCE must be auto/);
    expect(loadGatewayConfig({ LIST_SOURCE: 'memory', TICKET_LIST_SOURCE: 'database' }).listSource).toBe('memory');
  });

  test('the gateway process exits non-zero with a clear message', () => {
    const main = path.resolve(__dirname, '../../services/gateway/dist/main.js');
    const result = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('AUTH_JWT_SECRET or AUTH_JWKS_URL');
  });
});
