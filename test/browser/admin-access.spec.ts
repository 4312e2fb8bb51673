// The admin console's People, Access and Drift screens in a real browser (Chromium via playwright-core)
// against a whole Gatehouse whose app is a GitHub org (the GitHub fake): an admin finds a person and what
// they hold, filters the access list and revokes a grant with the keyboard alone (the membership is gone
// at the fake), and repairs drift made behind Gatehouse's back (run, re-apply, run again: clean).
// Screenshots of each screen go to docs/images/admin-*.png, which docs/admin.md shows.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { TokenClaims } from '@gatehouse/tools';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import type { RunningFake } from '../fakes/fake-http';
import { eventually, uniqueId } from '../support/harness';
import { distDir, ensureDashboardBuilt, launchChromium } from '../support/browser';
import { appBody, inHours, startTestStack, users, type TestStack } from '../support/stack';

const docsImages = path.resolve(__dirname, '../../docs/images');
const TOKEN_ENV = 'GATEHOUSE_BROWSER_GITHUB_TOKEN';

describe('the admin console: people, access and drift', () => {
  let stack: TestStack;
  let github: RunningFake<GithubFakeState>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let appId: string;
  const appName = `Acme GitHub ${Date.now().toString(36)}`;
  /** alice holds platform (ends in 5 h) and ops (ends in 10 days); bob holds platform (10 days). */
  const tickets: Record<string, string> = {};

  const pageErrors: string[] = [];
  const isFocused = (l: Locator) => l.evaluate((el) => el === el.ownerDocument.activeElement);
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(docsImages, `admin-${name}.png`), fullPage: true });

  async function signInAsAdmin(hash: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    await page.goto(stack.url + '/');
    await page.getByLabel('Access token').fill(await stack.token(users.root));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tickets' }).waitFor();
    await page.goto(`${stack.url}/${hash}`);
    return page;
  }

  async function approvedTicket(who: TokenClaims, entitlementId: string, hours: number) {
    const created = await stack.as(who).post('/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId }],
      duration: { type: 'limited', end: inHours(hours) },
      reason: 'Release duty',
    });
    expect(created.status).toBe(201);
    expect((await stack.as(users.carol).post(`/tickets/${created.body.id}/approve`, {})).status).toBe(200);
    await eventually(
      async () => (await stack.as(users.root).get(`/tickets/${created.body.id}`)).body.access?.state === 'active',
      30_000,
      `${created.body.id} active`,
    );
    return created.body.id as string;
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    const token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;
    github = await startGithubServer({
      token,
      users: ['octo-alice', 'octo-bob', 'octo-stranger'],
      orgMembers: ['octo-alice', 'octo-bob', 'octo-stranger'],
      teams: { platform: [], ops: [] },
    });
    stack = await startTestStack({ env: { DASHBOARD_DIR: distDir }, worker: { env: { [TOKEN_ENV]: token } } });
    const root = stack.as(users.root);
    appId = uniqueId('gh-');
    const put = await root.put(
      `/apps/${appId}`,
      appBody({
        name: appName,
        connector: { type: 'github', config: { org: 'acme', baseUrl: github.url, tokenEnv: TOKEN_ENV } },
        entitlements: [
          { id: 'platform', kind: 'group', name: 'Platform team' },
          { id: 'ops', kind: 'group', name: 'Ops team' },
        ],
      }),
    );
    expect(put.status).toBe(201);
    expect(
      (
        await root.put('/users/alice', {
          name: 'Alice Requester',
          email: 'alice@example.com',
          accounts: { github: 'octo-alice' },
          groups: ['engineering'],
          roles: ['developer'],
          manager: 'carol',
        })
      ).status,
    ).toBe(200);
    expect((await root.put('/users/bob', { name: 'Bob Beneficiary', accounts: { github: 'octo-bob' } })).status).toBe(
      200,
    );
    tickets.alicePlatform = await approvedTicket(users.alice, 'platform', 5);
    tickets.aliceOps = await approvedTicket(users.alice, 'ops', 240);
    tickets.bobPlatform = await approvedTicket(users.bob, 'platform', 240);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await github?.close();
  });

  it('People: finds a person, and shows their directory facts, what they hold and their tickets', async () => {
    const page = await signInAsAdmin('#/admin/people');
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await page.getByLabel('Search').fill('alice req');
    const row = page.getByRole('row', { name: /Alice Requester/ });
    await row.waitFor();
    // The search runs on the server once typing pauses: then alice is the only one listed.
    await eventually(async () => (await page.locator('table tbody tr').count()) === 1, 10_000, 'alice alone');
    expect(await page.getByRole('row').count()).toBe(2); // the header and alice
    await shot(page, 'people');

    await row.getByRole('link', { name: 'Alice Requester' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alice Requester' }).waitFor();
    expect(page.url()).toContain('#/admin/people/alice');
    await page.getByRole('link', { name: 'carol' }).waitFor(); // the manager
    await page.getByText('engineering', { exact: true }).waitFor();
    await page.getByText('developer', { exact: true }).waitFor();
    await page.getByRole('row', { name: /github\s+octo-alice/ }).waitFor();
    const held = page.getByRole('table', { name: 'Access held by alice' });
    // Each with its end: the time element carries the exact one.
    const endOf = async (entitlement: RegExp) => {
      const row = held.getByRole('row', { name: entitlement });
      await row.waitFor();
      return Date.parse((await row.locator('time').getAttribute('datetime'))!);
    };
    expect(Math.abs((await endOf(/platform/)) - Date.parse(inHours(5)))).toBeLessThan(120_000);
    expect(Math.abs((await endOf(/ops/)) - Date.parse(inHours(240)))).toBeLessThan(120_000);
    // Tickets for her (whoever raised them), and those she raised.
    const forHer = page.getByRole('table', { name: 'Tickets for alice' });
    await forHer.getByRole('link', { name: tickets.alicePlatform }).waitFor();
    await shot(page, 'person');
    await page.getByRole('button', { name: 'Raised by them' }).click();
    const raised = page.getByRole('table', { name: 'Tickets raised by alice' });
    await raised.getByRole('link', { name: tickets.aliceOps }).waitFor();
    await raised.getByRole('link', { name: tickets.alicePlatform }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(tickets.alicePlatform) }).waitFor();
  }, 60_000);

  it('Access: filters by app and ending within, and revokes a grant with the keyboard alone', async () => {
    const page = await signInAsAdmin('#/admin/access');
    await page.getByRole('heading', { level: 1, name: 'Access' }).waitFor();
    await page.getByLabel('Application').selectOption({ label: appName });
    await page.getByRole('row', { name: /bob\s.*platform/ }).waitFor();
    expect(await page.getByRole('row').count()).toBe(4); // header, alice ops and platform, bob platform
    await page.getByLabel('Ending within').selectOption({ label: '1 day' });
    await page.getByRole('row', { name: /bob/ }).waitFor({ state: 'detached' });
    expect(await page.getByRole('row').count()).toBe(2);
    await page.getByLabel('Ending within').selectOption({ label: 'Any time' });
    await page.getByLabel('Entitlement').selectOption({ label: 'Platform team' });
    await page.getByRole('row', { name: /alice\s.*ops/ }).waitFor({ state: 'detached' });
    await page.getByLabel('Entitlement').selectOption({ label: 'All entitlements' });
    await page.getByRole('row', { name: /alice\s.*ops/ }).waitFor();
    await shot(page, 'access');

    // From here on, keyboard only: Tab to the row's Revoke button.
    const revokeName = `Revoke platform in ${appId} from alice`;
    const revokeButton = page.getByRole('button', { name: revokeName });
    await page.getByLabel('Ending within').focus();
    for (let i = 0; i < 40 && !(await isFocused(revokeButton)); i++) await page.keyboard.press('Tab');
    expect(await isFocused(revokeButton)).toBe(true);

    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Revoke platform from alice' });
    await dialog.waitFor();
    const reason = dialog.getByLabel('Reason (required)');
    expect(await isFocused(reason)).toBe(true);
    await page.keyboard.press('Shift+Tab'); // focus stays in the dialog: it wraps to the last button
    expect(await isFocused(dialog.getByRole('button', { name: 'Cancel' }))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await isFocused(revokeButton)).toBe(true); // focus came back
    expect(github.state.teams.get('platform')!.has('octo-alice')).toBe(true);

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab'); // to "Revoke access" without a reason: refused, asking for one
    await page.keyboard.press('Enter');
    await dialog.getByText('Say why').waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.type('Left the platform team');
    await page.keyboard.press('Tab');
    expect(await isFocused(dialog.getByRole('button', { name: 'Revoke access' }))).toBe(true);
    await shot(page, 'access-revoke');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const notice = page.getByRole('status').filter({ hasText: `Revoked platform in ${appId} from alice` });
    await notice.waitFor();
    expect(await isFocused(notice)).toBe(true);
    await revokeButton.waitFor({ state: 'detached' });

    expect(github.state.teams.get('platform')!.has('octo-alice')).toBe(false);
    expect(github.state.teams.get('platform')!.has('octo-bob')).toBe(true);
    const ticket = (await stack.as(users.root).get(`/tickets/${tickets.alicePlatform}`)).body;
    expect(ticket.access.state).toBe('revoked');
    expect(ticket.log).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: 'revoked', comment: 'Left the platform team' })]),
    );
  }, 90_000);

  it('Drift: a change made in GitHub shows up when run, and re-apply puts the lost grant back', async () => {
    const team = github.state.teams.get('platform')!;
    team.delete('octo-bob');
    team.add('octo-stranger');

    const page = await signInAsAdmin('#/admin/drift');
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    await page.getByRole('row', { name: new RegExp(appName) }).waitFor();
    await page.getByRole('link', { name: appName }).click();
    await page.getByRole('heading', { level: 1, name: `Drift of ${appName}` }).waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    const lost = page.getByRole('table', { name: 'Grants the target does not show' });
    await lost.getByRole('row', { name: new RegExp(`bob\\s+platform\\s+${tickets.bobPlatform}`) }).waitFor();
    await page
      .getByRole('table', { name: 'Access in the target without a grant' })
      .getByRole('row', { name: /octo-stranger/ })
      .waitFor();
    await shot(page, 'drift');

    await page.getByRole('button', { name: 'Re-apply platform for bob' }).click();
    await lost.getByText('Re-applied').waitFor();
    expect(team.has('octo-bob')).toBe(true);

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText('Every active grant is in place in the target.').waitFor();

    await page.getByRole('link', { name: '← Drift' }).click();
    await page.getByRole('row', { name: new RegExp(`${appName}.*\\s0\\s+1\\s+0`) }).waitFor();
    await shot(page, 'drift-list');
  }, 90_000);

  it('no page threw an uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });
});
