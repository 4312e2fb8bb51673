/**
 * The gateway shuts down (SIGTERM runs the same `app.close()`) while requests are in flight: the HTTP
 * server stops taking new connections, the requests it already has get their answers, and only then
 * does the Temporal connection close. Two kinds of in-flight decision are covered: one already waiting
 * on Temporal, and one still verifying its token (its JWKS key was just rotated in) that reaches
 * Temporal only after the close began.
 */
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { report } from './support/processes';
import { demoAppBody, inProcessStack, type InProcessStack } from './support/in-process';
import { eventually } from '../support/harness';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const bearer = async (claims: Record<string, unknown>) =>
    `Bearer ${await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 }).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey)}`;
  return { jwk, bearer };
}

/** A JWKS endpoint that can hold its answers, to keep a request inside token verification. */
let jwks: JWK[] = [];
let holding = false;
const held: Array<() => void> = [];
let jwksServer: http.Server;
let stack: InProcessStack;

beforeAll(async () => {
  jwksServer = http.createServer((_req, res) => {
    const answer = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: jwks }));
    };
    if (holding) held.push(answer);
    else answer();
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  const { port } = jwksServer.address() as { port: number };
  stack = await inProcessStack({
    config: {
      auth: {
        jwtSecret: null,
        jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
        issuer: null,
        audience: null,
        usingDevSecret: false,
      },
    },
  });
});
afterAll(async () => {
  await stack?.close();
  jwksServer?.close();
});

test('requests in flight when the gateway closes get their answers, and their decisions are recorded', async () => {
  const first = await keyPair('first');
  const rotated = await keyPair('rotated');
  jwks = [first.jwk];
  const root = await first.bearer({ sub: 'root', roles: ['admin'] });
  const carol = await first.bearer({ sub: 'carol', name: 'Carol Lead', groups: ['leads'] });
  const carolOnRotatedKey = await rotated.bearer({ sub: 'carol', name: 'Carol Lead', groups: ['leads'] });

  const appId = `app-${Math.random().toString(36).slice(2, 10)}`;
  expect((await stack.call(root, 'PUT', `/apps/${appId}`, demoAppBody())).status).toBe(201);
  const ids: string[] = [];
  for (const user of ['sd-waiting', 'sd-verifying']) {
    const res = await stack.call(await first.bearer({ sub: user }), 'POST', '/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId: 'eng' }],
      duration: { type: 'indefinite' },
    });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  const [waitingId, verifyingId] = ids;

  // One decision waits in Temporal: no worker takes it until after the close began.
  await stack.stopWorker();
  const waiting = stack.call(
    carol,
    'POST',
    `/tickets/${waitingId}/approve`,
    {},
    { 'idempotency-key': 'shutdown-waiting' },
  );
  // The other is still verifying its token: its key id is new, so the gateway fetches the JWKS, which holds.
  jwks = [first.jwk, rotated.jwk];
  holding = true;
  await sleep(1_100); // past the JWKS refetch cooldown, so an unknown key id fetches again
  const verifying = stack.call(
    carolOnRotatedKey,
    'POST',
    `/tickets/${verifyingId}/approve`,
    {},
    { 'idempotency-key': 'shutdown-verifying' },
  );
  await eventually(async () => held.length > 0, 10_000, 'the JWKS fetch of the second approval');
  await sleep(500);

  const closeStarted = Date.now();
  const closing = stack.gateway.app.close();
  let closedAt = 0;
  void closing.then(() => (closedAt = Date.now()));
  await sleep(500);
  holding = false;
  for (const answer of held.splice(0)) answer();
  await stack.startWorker();

  const answers = await Promise.all([waiting, verifying]);
  expect(answers.map((r) => [r.status, r.body.status, r.body.code])).toEqual([
    [200, 'approved', undefined],
    [200, 'approved', undefined],
  ]);
  await closing;
  for (const id of ids) {
    await eventually(
      async () => (await stack.store.tickets.get(id))?.status === 'approved',
      15_000,
      `${id} approved in the read model`,
    );
  }
  report('gateway-shutdown-in-flight', {
    inFlight: answers.length,
    answered: answers.filter((r) => r.status === 200).length,
    closeMs: closedAt - closeStarted,
  });
});
