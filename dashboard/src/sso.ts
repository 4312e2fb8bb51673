// Single sign-on with the organisation's OpenID provider, through oidc-client-ts: authorization code with
// PKCE, tokens renewed before they expire (a hidden frame, or a refresh token when the provider issues
// one), and RP-initiated logout. The gateway says which provider at GET /auth/config (docs/identity.md).
import { ErrorResponse, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  audience: string | null;
}

/** Why single sign-on did not sign the person in, in words for its page. */
export type SsoProblem =
  | { kind: 'refused'; detail: string | null }
  | { kind: 'unreachable'; issuer: string }
  | { kind: 'failed'; detail: string };

export interface SsoStart {
  config: OidcConfig | null;
  manager: UserManager | null;
  /** Signed in by the provider just now (back from its sign-in page). */
  user: User | null;
  problem: SsoProblem | null;
  /** Back from the provider's sign-out. */
  signedOut: boolean;
}

/** Seconds before expiry at which the token is renewed. */
export const RENEW_BEFORE_EXPIRY_SECONDS = 30;

export function userManager(config: OidcConfig, origin = window.location.origin): UserManager {
  // One address for every return from the provider: sign-in, silent renew and sign-out each carry a `state`
  // that oidc-client-ts matches with what it stored before leaving.
  const back = `${origin}/`;
  return new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    scope: config.scopes,
    response_type: 'code',
    redirect_uri: back,
    silent_redirect_uri: back,
    post_logout_redirect_uri: back,
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: RENEW_BEFORE_EXPIRY_SECONDS,
    // Who the person is comes from the gateway's GET /me, which reads the access token's claims.
    loadUserInfo: false,
    // Like the pasted token: this tab only.
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

export function describeProblem(err: unknown, issuer: string): SsoProblem {
  if (err instanceof ErrorResponse) {
    if (err.error === 'access_denied') return { kind: 'refused', detail: err.error_description };
    return { kind: 'failed', detail: [err.error, err.error_description].filter(Boolean).join(': ') };
  }
  // oidc-client-ts reads the provider's discovery document first: a network failure there means it is down.
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof TypeError || /network|fetch|failed to load/i.test(message)) return { kind: 'unreachable', issuer };
  return { kind: 'failed', detail: message };
}

/** Whether this page load is the provider sending the browser back (`?state=…`, with a code, an error or neither). */
export function isProviderReturn(search: string): boolean {
  return new URLSearchParams(search).has('state');
}

async function fetchConfig(): Promise<OidcConfig | null> {
  try {
    const res = await fetch('/auth/config', { headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    return ((await res.json()) as { oidc?: OidcConfig | null }).oidc ?? null;
  } catch {
    return null;
  }
}

async function start(): Promise<SsoStart> {
  const config = await fetchConfig();
  const none: SsoStart = { config, manager: null, user: null, problem: null, signedOut: false };
  if (!config) return none;
  const manager = userManager(config);
  const url = window.location.href;
  if (!isProviderReturn(window.location.search)) return { ...none, manager };
  // The provider's answer is in the query: take it out of the address bar whatever it says.
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.hash}`);
  if (window.parent !== window) {
    // The hidden frame of a silent renew: hand the answer to the page that opened it.
    await manager.signinCallback(url).catch(() => undefined);
    return { ...none, manager };
  }
  const params = new URLSearchParams(new URL(url).search);
  if (!params.has('code') && !params.has('error')) {
    await manager.signoutCallback(url).catch(() => undefined);
    return { ...none, manager, signedOut: true };
  }
  try {
    const user = await manager.signinCallback(url);
    return { ...none, manager, user: user ?? null };
  } catch (err) {
    return { ...none, manager, problem: describeProblem(err, config.issuer) };
  }
}

let started: Promise<SsoStart> | null = null;
/** Runs once per page load (React may mount twice in development). */
export function startSso(): Promise<SsoStart> {
  started ??= start();
  return started;
}

/**
 * Signs out at the provider too when it offers RP-initiated logout (the browser leaves for its sign-out
 * page and comes back); otherwise forgets the provider's tokens here. Resolves false when it did not leave.
 */
export async function signOutAtProvider(manager: UserManager): Promise<boolean> {
  const user = await manager.getUser();
  if (!user) return false;
  try {
    if (await manager.metadataService.getEndSessionEndpoint()) {
      await manager.signoutRedirect({ state: 'signed-out' });
      return true;
    }
  } catch {
    // provider unreachable: at least forget its tokens here
  }
  await manager.removeUser();
  return false;
}
