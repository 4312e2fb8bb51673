import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './errors';
import { deviceLogin, needsRenewal, renew, type Clock, type DeviceCode, type SsoConfig } from './oidc';

/** A scripted provider: discovery, then the answers the device and token endpoints give, in order. */
interface Answer {
  status?: number;
  body: Record<string, unknown>;
}
let server: http.Server;
let issuer: string;
let discovery: Record<string, unknown>;
let answers: Record<string, Answer[]>;
let requests: { path: string; form: Record<string, string> }[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      requests.push({ path, form: Object.fromEntries(new URLSearchParams(body)) });
      const answer: Answer =
        path === '/.well-known/openid-configuration'
          ? { body: discovery }
          : (answers[path]?.shift() ?? { status: 500, body: { error: 'unexpected' } });
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  discovery = {
    issuer,
    device_authorization_endpoint: `${issuer}/device/auth`,
    token_endpoint: `${issuer}/token`,
    scopes_supported: ['openid', 'profile', 'offline_access'],
  };
  answers = {};
  requests = [];
});

const sso = (): SsoConfig => ({
  issuer,
  clientId: 'dashboard',
  cliClientId: 'cli',
  scopes: 'openid profile',
  audience: null,
});

/** Time moves only when the poll loop sleeps; records each wait. */
function fakeClock(): Clock & { waits: number[] } {
  let now = Date.parse('2026-11-28T12:00:00Z');
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
}

const started = (extra: Record<string, unknown> = {}): Answer => ({
  body: {
    device_code: 'dev-code',
    user_code: 'ABCD-EFGH',
    verification_uri: `${issuer}/device`,
    verification_uri_complete: `${issuer}/device?user_code=ABCD-EFGH`,
    expires_in: 600,
    ...extra,
  },
});
const oauthError = (error: string, description?: string): Answer => ({
  status: 400,
  body: { error, ...(description ? { error_description: description } : {}) },
});

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
}

describe('device flow (RFC 8628)', () => {
  it('shows the code, polls every 5 s, backs off 5 s more on slow_down, and returns the tokens', async () => {
    answers['/device/auth'] = [started()];
    answers['/token'] = [
      oauthError('authorization_pending'),
      oauthError('slow_down'),
      oauthError('authorization_pending'),
      { body: { access_token: 'at-1', refresh_token: 'rt-1', expires_in: 300, token_type: 'Bearer' } },
    ];
    const shown: DeviceCode[] = [];
    const clock = fakeClock();
    const login = await deviceLogin(sso(), (c) => shown.push(c), clock);

    expect(shown).toEqual([
      {
        verificationUri: `${issuer}/device`,
        verificationUriComplete: `${issuer}/device?user_code=ABCD-EFGH`,
        userCode: 'ABCD-EFGH',
        expiresInSeconds: 600,
      },
    ]);
    expect(clock.waits).toEqual([5000, 5000, 10_000, 10_000]);
    expect(login).toEqual({
      accessToken: 'at-1',
      renewal: {
        tokenEndpoint: `${issuer}/token`,
        clientId: 'cli',
        refreshToken: 'rt-1',
        expiresAt: new Date(clock.now() + 300_000).toISOString(),
      },
    });
    // The CLI's own client; offline_access for a refresh token; each poll names the device code.
    expect(requests[1]).toEqual({
      path: '/device/auth',
      form: { client_id: 'cli', scope: 'openid profile offline_access' },
    });
    expect(requests[2].form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'dev-code',
      client_id: 'cli',
    });
  });

  it("uses the provider's interval, the dashboard's client without a CLI one, and no offline_access where unsupported", async () => {
    discovery.scopes_supported = ['openid', 'profile'];
    answers['/device/auth'] = [started({ interval: 2 })];
    answers['/token'] = [oauthError('authorization_pending'), { body: { access_token: 'at' } }];
    const clock = fakeClock();
    const login = await deviceLogin({ ...sso(), cliClientId: undefined }, () => undefined, clock);
    expect(clock.waits).toEqual([2000, 2000]);
    expect(login).toEqual({ accessToken: 'at', renewal: undefined });
    expect(requests[1].form).toEqual({ client_id: 'dashboard', scope: 'openid profile' });
  });

  it('access_denied is ACCESS_DENIED with what the provider said', async () => {
    answers['/device/auth'] = [started()];
    answers['/token'] = [
      oauthError('authorization_pending'),
      oauthError('access_denied', 'The sign-in was cancelled.'),
    ];
    const err = await failure(deviceLogin(sso(), () => undefined, fakeClock()));
    expect({ code: err.code, message: err.message, exit: err.exitCode }).toEqual({
      code: 'ACCESS_DENIED',
      message: 'The sign-in was refused (The sign-in was cancelled.).',
      exit: 1,
    });
  });

  it('expired_token, or the code outliving its expires_in, is CODE_EXPIRED', async () => {
    answers['/device/auth'] = [started()];
    answers['/token'] = [oauthError('expired_token')];
    expect((await failure(deviceLogin(sso(), () => undefined, fakeClock()))).code).toBe('CODE_EXPIRED');

    answers['/device/auth'] = [started({ expires_in: 7 })];
    answers['/token'] = [oauthError('authorization_pending')];
    requests = [];
    const err = await failure(deviceLogin(sso(), () => undefined, fakeClock()));
    expect(err.code).toBe('CODE_EXPIRED');
    expect(err.message).toMatch(/run gatehouse login again/);
    expect(requests.filter((r) => r.path === '/token')).toHaveLength(1); // no poll after the deadline
  });

  it('other errors stop the loop with the provider’s words; a provider without the device flow is NOT_SUPPORTED', async () => {
    answers['/device/auth'] = [oauthError('unauthorized_client', 'device_code grant not allowed')];
    const refused = await failure(deviceLogin(sso(), () => undefined, fakeClock()));
    expect(refused.code).toBe('LOGIN_FAILED');
    expect(refused.message).toContain('unauthorized_client: device_code grant not allowed');

    delete discovery.device_authorization_endpoint;
    expect((await failure(deviceLogin(sso(), () => undefined, fakeClock()))).code).toBe('NOT_SUPPORTED');
  });
});

describe('renewing a stored login', () => {
  const renewal = { tokenEndpoint: '', clientId: 'cli', refreshToken: 'rt-1', expiresAt: '2026-11-28T12:00:00.000Z' };

  it('is due 30 s before the access token expires, and never without an expiry', () => {
    const expiry = Date.parse(renewal.expiresAt);
    expect(needsRenewal(renewal, expiry - 31_000)).toBe(false);
    expect(needsRenewal(renewal, expiry - 29_000)).toBe(true);
    expect(needsRenewal({ ...renewal, expiresAt: null }, expiry)).toBe(false);
    expect(needsRenewal(undefined)).toBe(false);
  });

  it('trades the refresh token for a new access token, keeping it when the provider rotates none', async () => {
    const r = { ...renewal, tokenEndpoint: `${issuer}/token` };
    answers['/token'] = [{ body: { access_token: 'at-2', expires_in: 60 } }, oauthError('invalid_grant', 'expired')];
    const now = Date.parse('2026-11-28T13:00:00Z');
    expect(await renew(r, now)).toEqual({
      accessToken: 'at-2',
      renewal: { ...r, expiresAt: '2026-11-28T13:01:00.000Z' },
    });
    expect(requests[0].form).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: 'cli' });
    const err = await failure(renew(r, now));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toContain('invalid_grant: expired');
  });
});
