/**
 * `gatehouse login` without a token: the OAuth 2.0 device authorization grant (RFC 8628) at the gateway's
 * OpenID provider, and renewing its access token with the refresh token. Hand-written over fetch: the
 * only maintained Node client (openid-client) is an ES module the CommonJS CLI cannot load on every
 * supported Node.js, and the grant is two POSTs and a poll loop.
 */
import { CliError } from './errors';
import { resolveCredentials, saveCredentials, stored, type Credentials, type Renewal } from './credentials';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: poll every 5 s unless told otherwise; slow_down adds 5 s for good. */
const DEFAULT_INTERVAL_S = 5;
const SLOW_DOWN_S = 5;
/** Renew this long before the access token expires, so a command does not start with a dying token. */
const RENEW_MARGIN_MS = 30_000;

/** GET /auth/config's `oidc` (docs/identity.md). */
export interface SsoConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  audience: string | null;
  cliClientId?: string;
}

export interface DeviceCode {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresInSeconds: number;
}

export interface SignedIn {
  accessToken: string;
  renewal?: Renewal;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

async function call(url: string, init?: RequestInit): Promise<{ ok: boolean; status: number; body: TokenResponse }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch (err) {
    throw new CliError('UNREACHABLE', `Cannot reach ${new URL(url).origin}: ${(err as Error).cause ?? err}`);
  }
  const text = await res.text();
  try {
    return { ok: res.ok, status: res.status, body: JSON.parse(text) as TokenResponse };
  } catch {
    return {
      ok: false,
      status: res.status,
      body: { error: `HTTP ${res.status}`, error_description: text.slice(0, 200) },
    };
  }
}

const form = (url: string, params: Record<string, string>) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });

const describe = (b: TokenResponse) => `${b.error}${b.error_description ? `: ${b.error_description}` : ''}`;

/** The gateway's single sign-on settings, or NOT_SUPPORTED when it offers none. */
export async function ssoConfig(gatewayUrl: string): Promise<SsoConfig> {
  const res = await call(`${gatewayUrl}/auth/config`);
  const oidc = res.ok ? (res.body as { oidc?: SsoConfig | null }).oidc : null;
  if (!oidc)
    throw new CliError(
      'NOT_SUPPORTED',
      `${gatewayUrl} offers no single sign-on (GET /auth/config): give a token instead (gatehouse login --paste, or on stdin).`,
    );
  return oidc;
}

interface Discovery {
  device_authorization_endpoint?: string;
  token_endpoint?: string;
  scopes_supported?: string[];
}

async function discover(issuer: string): Promise<Required<Omit<Discovery, 'scopes_supported'>> & Discovery> {
  const res = await call(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  const d = res.body as Discovery;
  if (!res.ok || !d.token_endpoint) throw new CliError('LOGIN_FAILED', `No OpenID discovery document at ${issuer}.`);
  if (!d.device_authorization_endpoint)
    throw new CliError(
      'NOT_SUPPORTED',
      `The identity provider ${issuer} does not offer the device flow: give a token instead (gatehouse login --paste).`,
    );
  return d as Required<Omit<Discovery, 'scopes_supported'>> & Discovery;
}

function signedIn(
  tokens: TokenResponse,
  renewal: Omit<Renewal, 'expiresAt' | 'refreshToken'> & { refreshToken?: string },
  now: number,
): SignedIn {
  if (!tokens.access_token) throw new CliError('LOGIN_FAILED', 'The identity provider answered no access token.');
  const expiresAt = tokens.expires_in ? new Date(now + tokens.expires_in * 1000).toISOString() : null;
  // Providers that do not rotate refresh tokens answer none on renewal: the old one stays valid.
  const refreshToken = tokens.refresh_token ?? renewal.refreshToken;
  return {
    accessToken: tokens.access_token,
    renewal: refreshToken ? { ...renewal, refreshToken, expiresAt } : undefined,
  };
}

/**
 * Signs in with the device flow: asks the provider for a code, hands it to `show` (the person enters it
 * in a browser), then polls the token endpoint as RFC 8628 §3.4-3.5 says until they finish, refuse, or the
 * code expires.
 */
export async function deviceLogin(
  sso: SsoConfig,
  show: (code: DeviceCode) => void,
  clock: Clock = realClock,
): Promise<SignedIn> {
  const provider = await discover(sso.issuer);
  const clientId = sso.cliClientId ?? sso.clientId;
  // A refresh token needs offline_access at most providers; ask for it unless the provider says it lacks it.
  const offline = !provider.scopes_supported || provider.scopes_supported.includes('offline_access');
  const scope = [...new Set([...sso.scopes.split(/\s+/), ...(offline ? ['offline_access'] : [])])].join(' ');
  const started = await form(provider.device_authorization_endpoint, { client_id: clientId, scope });
  const code = started.body as TokenResponse & {
    device_code?: string;
    user_code?: string;
    verification_uri?: string;
    verification_uri_complete?: string;
    expires_in?: number;
    interval?: number;
  };
  if (!started.ok || !code.device_code || !code.user_code || !code.verification_uri)
    throw new CliError('LOGIN_FAILED', `The identity provider refused to start the sign-in (${describe(code)}).`);
  const expiresInSeconds = code.expires_in ?? 600;
  show({
    verificationUri: code.verification_uri,
    verificationUriComplete: code.verification_uri_complete,
    userCode: code.user_code,
    expiresInSeconds,
  });

  const deadline = clock.now() + expiresInSeconds * 1000;
  let intervalMs = (code.interval ?? DEFAULT_INTERVAL_S) * 1000;
  const expired = new CliError(
    'CODE_EXPIRED',
    'The code expired before the sign-in was finished: run gatehouse login again.',
  );
  for (;;) {
    await clock.sleep(intervalMs);
    if (clock.now() >= deadline) throw expired;
    const res = await form(provider.token_endpoint, {
      grant_type: DEVICE_CODE_GRANT,
      device_code: code.device_code,
      client_id: clientId,
    });
    if (res.ok) return signedIn(res.body, { tokenEndpoint: provider.token_endpoint, clientId }, clock.now());
    switch (res.body.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        intervalMs += SLOW_DOWN_S * 1000;
        continue;
      case 'expired_token':
        throw expired;
      case 'access_denied':
        throw new CliError(
          'ACCESS_DENIED',
          `The sign-in was refused${res.body.error_description ? ` (${res.body.error_description})` : ''}.`,
        );
      default:
        throw new CliError('LOGIN_FAILED', `The identity provider refused the sign-in (${describe(res.body)}).`);
    }
  }
}

/** Whether a stored device-flow login should be renewed before it is used. */
export const needsRenewal = (renewal: Renewal | undefined, now = Date.now()): renewal is Renewal =>
  Boolean(renewal?.expiresAt && Date.parse(renewal.expiresAt) - RENEW_MARGIN_MS <= now);

/** A new access token (and maybe refresh token) for a stored login (RFC 6749 §6). */
export async function renew(renewal: Renewal, now = Date.now()): Promise<SignedIn> {
  const res = await form(renewal.tokenEndpoint, {
    grant_type: 'refresh_token',
    refresh_token: renewal.refreshToken,
    client_id: renewal.clientId,
  });
  if (!res.ok)
    throw new CliError(
      'UNAUTHENTICATED',
      `The sign-in could not be renewed (${describe(res.body)}): run gatehouse login.`,
    );
  return signedIn(res.body, renewal, now);
}

/** The credentials to call with: a stored login whose token is (nearly) expired is renewed and stored first. */
export async function currentCredentials(warn: (line: string) => void): Promise<Credentials> {
  const credentials = resolveCredentials();
  if (!needsRenewal(credentials.renewal)) return credentials;
  try {
    const next = await renew(credentials.renewal);
    saveCredentials({ url: stored().url ?? credentials.url, token: next.accessToken, renewal: next.renewal });
    return { ...credentials, token: next.accessToken, renewal: next.renewal };
  } catch (err) {
    // The old token then meets the server, which says whether it still works.
    warn(`gatehouse: ${(err as Error).message}`);
    return credentials;
  }
}
