// Single sign-on in a real browser against a real OpenID provider (the dev provider of `npm run dev`, on
// the oidc-provider package): the dashboard's whole redirect flow, authorization code with PKCE. A person
// signs in at the provider and the gateway accepts its RS256 access token; the short-lived token is
// renewed before it expires and calls keep working past the first one's expiry; signing out ends the
// provider's session too; a person the provider refuses gets a page saying so; and a provider that is
// down gets a page saying that. Screenshots go to test-results/screenshots/sso-*.png.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, startDevOidcProvider } from '../../tools/scripts/stack';
import { distDir, ensureDashboardBuilt, launchChromium, screenshotsDir } from '../support/browser';
import { startTestStack, type TestStack } from '../support/stack';

const CLIENT_ID = 'gatehouse-dashboard';
const AUDIENCE = 'urn:gatehouse:api';
/** Access tokens live this long; the dashboard renews 30 s before expiry, so about 15 s after sign-in. */
const TOKEN_TTL_SECONDS = 45;

const accounts = [
  { sub: 'alice', name: 'Alice Anders', email: 'alice@example.com', groups: ['engineering'], roles: [] },
  { sub: 'ada', name: 'Ada Admin', email: 'ada@example.com', groups: ['gatehouse-admins'], roles: [] },
  { sub: 'eve', name: 'Eve Leaver', email: 'eve@example.com', groups: [], roles: [], refused: true },
];

let provider: Awaited<ReturnType<typeof startDevOidcProvider>>;
let stack: TestStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(screenshotsDir, `sso-${name}.png`), fullPage: true });

/** From the dashboard's sign-in page through the provider's, as `name`; back on the dashboard. */
async function signInWithSso(page: Page, name: string): Promise<void> {
  await page.goto(stack.url + '/');
  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  await page.waitForURL((url) => url.origin === new URL(provider.issuer).origin);
  await page.getByRole('button', { name: new RegExp(name) }).click();
  await page.waitForURL((url) => url.origin === stack.url);
}

/** What page functions use of the page's globals (this file is compiled without the DOM types). */
type PageGlobals = { sessionStorage: { getItem(key: string): string | null } };
const storedToken = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('gatehouse.token'));
const expiryOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp * 1000;
/** GET /me from the page with a given token: what the dashboard's own calls get. */
const meWith = (page: Page, token: string) =>
  page.evaluate(async (t) => {
    const res = await fetch('/me', { headers: { authorization: `Bearer ${t}` } });
    return { status: res.status, body: (await res.json()) as { name?: string; roles?: string[] } };
  }, token);

beforeAll(async () => {
  ensureDashboardBuilt();
  const port = await freePort();
  const dashboardUrl = `http://127.0.0.1:${port}/`;
  provider = await startDevOidcProvider({
    clientId: CLIENT_ID,
    redirectUris: [dashboardUrl],
    audience: AUDIENCE,
    accessTokenTtl: TOKEN_TTL_SECONDS,
    accounts,
  });
  stack = await startTestStack({
    port,
    env: {
      DASHBOARD_DIR: distDir,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_AUDIENCE: AUDIENCE,
      AUTH_ADMIN_GROUPS: 'gatehouse-admins',
    },
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
  await provider?.stop();
});

test('GET /auth/config offers the provider, with no secret in it', async () => {
  const res = await stack.as('').get('/auth/config');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    oidc: { issuer: provider.issuer, clientId: CLIENT_ID, scopes: 'openid profile email groups', audience: AUDIENCE },
  });
});

test('signing in with SSO: the provider signs the person in and the gateway accepts its token', async () => {
  const page = await newPage();
  await page.goto(stack.url + '/');
  await page.getByRole('heading', { name: 'Or sign in with a token' }).waitFor(); // the paste form stays
  await shot(page, '01-sign-in');
  await signInWithSso(page, 'Alice Anders');
  await page.getByText('Signed in as Alice Anders').waitFor();
  await page.getByRole('heading', { level: 1, name: 'Tickets' }).waitFor();
  expect(new URL(page.url()).search).toBe(''); // the code and state are gone from the address bar
  const token = (await storedToken(page))!;
  expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).alg).toBe('RS256');
  await shot(page, '02-signed-in');

  // Admin rights from a group (AUTH_ADMIN_GROUPS).
  const admin = await newPage();
  await signInWithSso(admin, 'Ada Admin');
  await admin.getByText('Signed in as Ada Admin').waitFor();
  await admin.locator('.whoami .badge', { hasText: 'admin' }).waitFor();
}, 60_000);

test('the short-lived token is renewed before it expires, and calls keep working after the first one expired', async () => {
  const page = await newPage();
  await signInWithSso(page, 'Alice Anders');
  await page.getByText('Signed in as Alice Anders').waitFor();
  const first = (await storedToken(page))!;
  const firstExpiry = expiryOf(first);
  expect(firstExpiry - Date.now()).toBeLessThanOrEqual(TOKEN_TTL_SECONDS * 1000);

  await page.waitForFunction(
    (t) => (globalThis as unknown as PageGlobals).sessionStorage.getItem('gatehouse.token') !== t,
    first,
    {
      timeout: TOKEN_TTL_SECONDS * 1000,
    },
  );
  const renewed = (await storedToken(page))!;
  expect(expiryOf(renewed)).toBeGreaterThan(firstExpiry);
  expect(Date.now()).toBeLessThan(firstExpiry); // renewed before the first one expired

  // Past the first token's expiry: it is refused, the renewed one (or a later one) works, and the page,
  // which polls the ticket list all along, still shows the person signed in.
  await page.waitForTimeout(Math.max(0, firstExpiry - Date.now()) + 1500);
  expect((await meWith(page, first)).status).toBe(401);
  const current = (await storedToken(page))!;
  const me = await meWith(page, current);
  expect(me.status).toBe(200);
  expect(me.body.name).toBe('Alice Anders');
  await page.getByRole('link', { name: 'Request access', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Request access' }).waitFor();
  await page.getByText('Signed in as Alice Anders').waitFor();
  await shot(page, '03-after-renewal');
}, 120_000);

test('signing out ends the provider session too: the next SSO sign-in asks who you are again', async () => {
  const page = await newPage();
  await signInWithSso(page, 'Alice Anders');
  await page.getByText('Signed in as Alice Anders').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  // RP-initiated logout: the provider asks, then sends the browser back.
  await page.waitForURL((url) => url.origin === new URL(provider.issuer).origin);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL((url) => url.origin === stack.url);
  await page.getByText('You are signed out.').waitFor();
  expect(await storedToken(page)).toBeNull();
  await shot(page, '04-signed-out');

  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  await page.waitForURL((url) => url.origin === new URL(provider.issuer).origin);
  await page.getByRole('button', { name: /Alice Anders/ }).waitFor(); // asked again: no session left
}, 60_000);

test('a person the provider refuses gets a page that says so', async () => {
  const page = await newPage();
  await signInWithSso(page, 'Eve Leaver');
  await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
  await page.getByText('Eve Leaver is not allowed to sign in to this application.').waitFor();
  expect(await storedToken(page)).toBeNull();
  await shot(page, '05-refused');
  await page.getByRole('button', { name: 'Back to sign-in' }).click();
  await page.getByRole('button', { name: 'Sign in with SSO' }).waitFor();
}, 60_000);

test('a provider that cannot be reached gets a page that says so', async () => {
  await provider.stop();
  const page = await newPage();
  await page.goto(stack.url + '/');
  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  await page.getByRole('heading', { name: 'Single sign-on is unavailable' }).waitFor();
  await page.getByText(provider.issuer).waitFor();
  await shot(page, '06-unreachable');
}, 60_000);

test('no page threw an uncaught error', () => {
  expect(pageErrors).toEqual([]);
});
