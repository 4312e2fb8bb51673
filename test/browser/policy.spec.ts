// The access policies as requesters and approvers meet them in the dashboard (Chromium via playwright-core)
// against a whole Gatehouse and the GitHub fake: the catalog holds only what each person may request (one
// Cedar document, two people), an auto-approval is announced before submitting and the ticket goes active
// at once, the holder ends their own access (gone at the GitHub fake), a duration counted from approval
// reads "8 hours from approval" until it is approved, and a break-glass request is marked red (with words)
// and confirmed by an approver. Screenshots for docs/dashboard.md go to docs/images/policy-*.png.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TokenClaims } from '@gatehouse/tools';
import type { RunningFake } from '../fakes/fake-http';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import { distDir, ensureDashboardBuilt, launchChromium, screenshotsDir, localInHours } from '../support/browser';
import { eventually } from '../support/harness';
import { appBody, startTestStack, users, type TestStack } from '../support/stack';

const docsImages = path.resolve(__dirname, '../../docs/images');
const TOKEN_ENV = 'GITHUB_TOKEN_POLICY_BROWSER';
const token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;
const suffix = Date.now().toString(36);

/** An SRE (may request everything, is auto-approved for a short Platform team, may break glass for Ops). */
const sam: TokenClaims = { sub: `sam-${suffix}`, name: 'Sam Sre', roles: [], groups: ['sre'] };
/** Anyone else: may request the Platform team only. */
const kim: TokenClaims = { sub: `kim-${suffix}`, name: 'Kim Sales', roles: [], groups: ['sales'] };

describe('access policies in the dashboard', () => {
  let stack: TestStack;
  let github: RunningFake<GithubFakeState>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const githubApp = `gh-${suffix}`;
  const githubName = `GitHub ${suffix}`;
  const vaultApp = `vault-${suffix}`;
  const vaultName = `Vault ${suffix}`;

  const pageErrors: string[] = [];
  const watch = (page: Page) => page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(docsImages, `${name}.png`), fullPage: true });
  async function orShot(page: Page, name: string, wait: () => Promise<unknown>): Promise<void> {
    try {
      await wait();
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, `${name}.png`), fullPage: true }).catch(() => undefined);
      throw err;
    }
  }

  async function signIn(who: TokenClaims): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    watch(page);
    await page.goto(stack.url + '/');
    await page.getByLabel('Access token').fill(await stack.token(who));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${who.name}`).waitFor();
    return page;
  }

  async function requestForm(page: Page): Promise<void> {
    await page.getByRole('link', { name: '+ Request access', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Request access' }).waitFor();
  }

  /** The ticket id the panel shows after Create. */
  async function openedTicket(page: Page, failShot: string): Promise<string> {
    await orShot(page, failShot, () => page.getByRole('heading', { level: 1, name: /^TCK-\d+/ }).waitFor());
    return decodeURIComponent(new URL(page.url()).hash.replace('#/tickets/', ''));
  }

  const ticket = async (id: string) => (await stack.as(users.root).get(`/tickets/${id}`)).body;
  const inTeam = (team: string, login: string) => github.state.teams.get(team)!.has(login);

  beforeAll(async () => {
    ensureDashboardBuilt();
    fs.mkdirSync(docsImages, { recursive: true });
    fs.mkdirSync(screenshotsDir, { recursive: true });
    github = await startGithubServer({
      token,
      users: ['octo-sam', 'octo-kim'],
      orgMembers: ['octo-sam', 'octo-kim'],
      teams: { platform: [], ops: [] },
    });
    stack = await startTestStack({ env: { DASHBOARD_DIR: distDir }, worker: { env: { [TOKEN_ENV]: token } } });
    const root = stack.as(users.root);
    for (const [who, login] of [
      [sam, 'octo-sam'],
      [kim, 'octo-kim'],
    ] as const)
      expect((await root.put(`/users/${who.sub}`, { name: who.name, accounts: { github: login } })).status).toBe(200);
    const steps = { steps: [{ name: 'Team lead', approvers: ['user:carol'], minApprovals: 1 }] };
    const githubBody = appBody({
      name: githubName,
      connector: { type: 'github', config: { org: 'acme', baseUrl: github.url, tokenEnv: TOKEN_ENV } },
      entitlements: [
        { id: 'platform', kind: 'group', name: 'Platform team', description: 'Deploys and on-call tooling' },
        { id: 'ops', kind: 'group', name: 'Ops team', description: 'Production operations' },
      ],
      policy: { requireReason: false, maxDurationSeconds: 86400, approval: steps },
    });
    expect((await root.put(`/apps/${githubApp}`, githubBody)).status).toBe(201);
    expect((await root.put(`/apps/${vaultApp}`, appBody({ name: vaultName }))).status).toBe(201);
    const cedar = `permit (principal, action == Gatehouse::Action::"Request", resource == Gatehouse::Entitlement::"${githubApp}/platform");
permit (principal in Gatehouse::Group::"sre", action == Gatehouse::Action::"Request", resource);
@advice("SREs get the Platform team for up to 2 hours without waiting")
permit (principal in Gatehouse::Group::"sre", action == Gatehouse::Action::"AutoApprove", resource == Gatehouse::Entitlement::"${githubApp}/platform")
when { context has durationSeconds && context.durationSeconds <= 7200 };
@advice("SREs may break glass for Ops")
permit (principal in Gatehouse::Group::"sre", action == Gatehouse::Action::"BreakGlass", resource == Gatehouse::Entitlement::"${githubApp}/ops");`;
    expect([200, 201]).toContain((await root.put(`/policies/catalog-${suffix}`, { cedar })).status);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await github?.close();
  });

  it('the catalog holds only what each person may request', async () => {
    const page = await signIn(kim);
    await requestForm(page);
    await page.getByRole('radio', { name: new RegExp(githubName) }).waitFor();
    expect(await page.getByRole('radio', { name: new RegExp(vaultName) }).count()).toBe(0);
    await page.getByRole('radio', { name: new RegExp(githubName) }).check();
    await page.getByRole('checkbox', { name: 'Platform team' }).waitFor();
    expect(await page.getByText('Ops team').count()).toBe(0);
    await shot(page, 'policy-catalog-limited');

    const sre = await signIn(sam);
    await requestForm(sre);
    await sre.getByRole('radio', { name: new RegExp(vaultName) }).waitFor();
    await sre.getByRole('radio', { name: new RegExp(githubName) }).check();
    await sre.getByRole('checkbox', { name: 'Ops team' }).waitFor();
    await sre.getByRole('checkbox', { name: 'Platform team' }).waitFor();
  }, 120_000);

  it('an auto-approval is announced before submitting; the ticket goes active at once, and its holder ends it', async () => {
    const page = await signIn(sam);
    await requestForm(page);
    await page.getByRole('radio', { name: new RegExp(githubName) }).check();
    await page.getByRole('checkbox', { name: 'Platform team' }).check();
    await page.getByLabel('End', { exact: true }).fill(await localInHours(page, 1));
    await page.getByLabel(/Reason/).fill('Deploy freeze follow-up');
    await orShot(page, 'policy-auto-approval-not-announced', () =>
      page.getByText(/will be approved automatically/).waitFor({ timeout: 10_000 }),
    );
    await page.getByText(/auto-approved by catalog-/).waitFor();
    await shot(page, 'policy-auto-approval');
    await page.getByRole('button', { name: 'Create Ticket' }).click();

    const id = await openedTicket(page, 'policy-auto-approved-not-created');
    await orShot(page, 'policy-auto-approved-not-active', () =>
      page.getByText('Active', { exact: true }).waitFor({ timeout: 30_000 }),
    );
    await page.getByText('Approved automatically').waitFor();
    expect(inTeam('platform', 'octo-sam')).toBe(true);

    await page.getByRole('button', { name: 'End my access' }).click();
    const dialog = page.getByRole('dialog', { name: `End your access to ${githubName}?` });
    await dialog.getByText(/Platform team will be removed now/).waitFor();
    await shot(page, 'policy-end-my-access');
    await dialog.getByRole('button', { name: 'Yes, end my access' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Your access has ended.').waitFor();
    await page.getByText('Access ended early by its holder').waitFor();
    expect(inTeam('platform', 'octo-sam')).toBe(false);
    const after = await ticket(id);
    expect(after.access.state).toBe('revoked');
    expect(after.log.map((e: { event: string }) => e.event)).toContain('relinquished');
    expect(await page.getByRole('button', { name: 'End my access' }).count()).toBe(0);
  }, 120_000);

  it('a duration counted from approval reads "8 hours from approval" until it is approved', async () => {
    const page = await signIn(kim);
    await requestForm(page);
    await page.getByRole('radio', { name: new RegExp(githubName) }).check();
    await page.getByRole('checkbox', { name: 'Platform team' }).check();
    await page.getByRole('radio', { name: 'For N hours from approval' }).check();
    await page.getByRole('spinbutton', { name: 'Hours from approval' }).fill('8');
    await page.getByText(/The access lasts 8 hours from approval/).waitFor();
    await page.getByLabel(/Reason/).fill('Quarterly report');
    await page.getByRole('button', { name: 'Create Ticket' }).click();
    const id = await openedTicket(page, 'policy-relative-not-created');
    await page.getByText('8 hours from approval', { exact: true }).waitFor();
    await page.getByText('Waiting for approval').waitFor();
    await shot(page, 'policy-relative-pending');

    await page.getByRole('link', { name: '← Back to tickets' }).click();
    const row = page.getByRole('row', { name: new RegExp(id) });
    await row.getByText(/8 hours from approval/).waitFor();

    // Approved: the clock starts at the grant, 8 hours from then.
    expect((await stack.as(users.carol).post(`/tickets/${id}/approve`, {})).status).toBe(200);
    const active = await eventually(
      async () => {
        const t = await ticket(id);
        return t.access.state === 'active' && t;
      },
      30_000,
      'granted',
    );
    const lasts = Date.parse(active.access.end) - Date.parse(active.access.start);
    expect(lasts).toBe(8 * 3600_000);
    expect(inTeam('platform', 'octo-kim')).toBe(true);
  }, 120_000);

  it('a break-glass request is marked red, with words, and an approver confirms it', async () => {
    const page = await signIn(sam);
    await requestForm(page);
    await page.getByRole('radio', { name: new RegExp(githubName) }).check();
    await page.getByRole('checkbox', { name: 'Ops team' }).check();
    await page.getByLabel('Break glass (emergency)').check();
    await page.getByText(/granted at once, without approval/).waitFor();
    await page.getByLabel(/Reason \(required\)/).fill('INC-7: deploys are failing in production');
    await shot(page, 'policy-break-glass-form');
    await page.getByRole('button', { name: 'Break glass: get access now' }).click();
    const id = await openedTicket(page, 'policy-break-glass-not-created');
    await page.getByRole('heading', { level: 1, name: /Break glass \(emergency access\)/ }).waitFor();
    await page.getByText(/^Waiting for review, due by /).waitFor();
    await orShot(page, 'policy-break-glass-not-active', () =>
      page.getByText('Active', { exact: true }).waitFor({ timeout: 30_000 }),
    );
    expect(inTeam('ops', 'octo-sam')).toBe(true);
    expect(await page.getByRole('button', { name: 'Confirm access' }).count()).toBe(0); // never one's own

    const approver = await signIn(users.carol);
    const row = approver.getByRole('row', { name: new RegExp(id) });
    await row.getByText('Break glass').waitFor();
    expect(await row.getAttribute('class')).toBe('break-glass');
    expect(await row.getByRole('cell').first().innerText()).toMatch(/Break glass/);
    await shot(approver, 'policy-break-glass-tracker');
    await row.getByRole('link', { name: id }).click();
    await approver.getByText(/^Waiting for review, due by /).waitFor();
    await shot(approver, 'policy-break-glass-review');
    await approver.getByRole('button', { name: 'Confirm access' }).click();
    await approver.getByRole('button', { name: 'Yes, confirm access' }).click();
    await approver.getByText('You confirmed this break-glass access.').waitFor();
    await approver.getByText(/^Confirmed by carol/).waitFor();
    expect((await ticket(id)).review.state).toBe('confirmed');
    expect(inTeam('ops', 'octo-sam')).toBe(true);
  }, 120_000);

  it('no page threw an uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });
});
