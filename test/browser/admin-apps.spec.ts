// The admin console's Applications screen in a real browser, against a whole Gatehouse and the GitHub
// fake: a new admin adds an app on the GitHub connector with an entitlement and a policy, sees the
// API's validation next to a field and the impact preview, saves, tests the connection; a requester
// raises a ticket for it in the dashboard, the approver approves, and the membership appears at the
// GitHub fake. Then a keyboard-only pass through the policy editor, and a save refused because someone
// else changed the app. Last, keys only again, break-glass limits and on-call schedules for the app and a
// policy of its own for the entitlement: the API stores them and a request's validation applies them.
// Screenshots for docs/admin.md go to docs/images/admin-apps-*.png.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startGithubServer, type GithubFakeState } from '../fakes/github-server';
import type { RunningFake } from '../fakes/fake-http';
import { eventually, uniqueId } from '../support/harness';
import { distDir, ensureDashboardBuilt, launchChromium, localInHours } from '../support/browser';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

const docsImages = path.resolve(__dirname, '../../docs/images');
const TOKEN_ENV = 'GATEHOUSE_BROWSER_GITHUB_TOKEN';
const token = `ghp_fake_${randomUUID().replace(/-/g, '')}`;

/** Whether `l` has the keyboard focus (the spec compiles without the DOM's types, hence the cast). */
const isFocused = (l: Locator) =>
  l.evaluate(
    (el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
  );

describe('the admin console: Applications', () => {
  let stack: TestStack;
  let github: RunningFake<GithubFakeState>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const appId = uniqueId('gh-');
  const appName = `GitHub ${Date.now().toString(36)}`;
  let ticketId: string;

  const pageErrors: string[] = [];
  async function signIn(who: (typeof users)[keyof typeof users]): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    await page.goto(stack.url + '/');
    await page.getByLabel('Access token').fill(await stack.token(who));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${who.name}`).waitFor();
    return page;
  }
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(docsImages, `admin-apps-${name}.png`), fullPage: true });

  beforeAll(async () => {
    ensureDashboardBuilt();
    fs.mkdirSync(docsImages, { recursive: true });
    github = await startGithubServer({
      token,
      users: ['octo-alice'],
      orgMembers: ['octo-alice'],
      teams: { platform: [] },
    });
    stack = await startTestStack({ env: { DASHBOARD_DIR: distDir }, worker: { env: { [TOKEN_ENV]: token } } });
    // The directory: alice's GitHub login, and two team leads the impact preview counts.
    const root = stack.as(users.root);
    for (const [id, body] of Object.entries({
      alice: { accounts: { github: 'octo-alice' } },
      carol: { name: users.carol.name, groups: ['leads'] },
      lee: { name: 'Lee Lead', groups: ['leads'] },
    }))
      expect((await root.put(`/users/${id}`, body)).status).toBe(200);
    // Two apps already there, so the list looks like a console in use.
    await createApp(stack, {
      name: 'Slack',
      policy: {
        approval: {
          steps: [
            { name: 'Team lead', approvers: ['group:leads'], minApprovals: 1 },
            { name: 'Security', approvers: ['group:security'], minApprovals: 1 },
          ],
        },
      },
    });
    await createApp(stack, { name: 'Salesforce', licenses: [{ id: 'seat', name: 'Salesforce seat', seats: 3 }] });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await github?.close();
  });

  afterAll(() => expect(pageErrors).toEqual([]));

  it('a new admin adds an app with an entitlement and a policy, sees validation and the impact preview, saves it', async () => {
    const page = await signIn(users.root);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    await page.getByRole('link', { name: 'Add application' }).click();
    await page.getByRole('heading', { level: 1, name: 'New application' }).waitFor();

    await page.getByLabel('Application id').fill(appId);
    await page.getByLabel('Name', { exact: true }).fill(appName);
    await page.getByLabel('Connector type').selectOption('github');
    const settings: [string, string][] = [
      ['org', 'acme'],
      ['baseUrl', github.url],
      ['tokenEnv', TOKEN_ENV],
    ];
    for (const [i, [key, value]] of settings.entries()) {
      await page.getByRole('button', { name: 'Add setting' }).click();
      await page.getByLabel(`Setting ${i + 1} name`).fill(key);
      await page.getByLabel(new RegExp(`^Setting ${i + 1} value`)).fill(value);
    }
    await page.getByRole('button', { name: 'Add entitlement' }).click();
    await page.getByLabel('Entitlement id').fill('platform');
    await page.getByLabel('Entitlement name').fill('Platform team');
    await page.getByLabel('Kind').selectOption('group');

    await page.getByLabel('Step name').fill('Team lead');
    const approvers = page.getByLabel('Approvers of step 1', { exact: true });
    await approvers.fill('group:leads');
    await approvers.press('Enter');
    await page.getByRole('button', { name: 'Remove group:leads' }).waitFor();

    // The API's own validation, next to the field: an escalation delay without fallback approvers.
    await page.getByLabel('Escalate after (hours)').fill('4');
    // Next to the fallback approvers (role status), besides the summary above Save (role alert).
    const problem = page.getByRole('status').filter({ hasText: 'escalateAfterSeconds needs fallback approvers' });
    await problem.waitFor();
    expect(await page.getByRole('button', { name: 'Create application' }).isDisabled()).toBe(true);
    await shot(page, 'validation');
    await page.getByLabel('Escalate after (hours)').fill('');
    await problem.waitFor({ state: 'detached' });

    await page.getByText(`makes 2 people approvers of ${appName} step 1 (Team lead)`).waitFor();
    await page.getByText('Step 1 (Team lead), new approvers: Carol Lead, Lee Lead').waitFor();
    await shot(page, 'new-impact');
    await page.getByRole('button', { name: 'Create application' }).click();

    await page.getByRole('heading', { level: 1, name: appName }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/admin/apps/${appId}`);
    const stored = (await stack.as(users.root).get(`/apps/${appId}`)).body;
    expect(stored).toMatchObject({
      name: appName,
      revision: 1,
      connector: { type: 'github', config: { org: 'acme', tokenEnv: TOKEN_ENV } },
      entitlements: [{ id: 'platform', kind: 'group', name: 'Platform team' }],
      policy: { requireReason: true, approval: { steps: [{ name: 'Team lead', approvers: ['group:leads'] }] } },
    });

    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/Connection works: .*acme/).waitFor({ timeout: 30_000 });
    expect(await page.content()).not.toContain(token);
    await shot(page, 'edit');

    await page.getByRole('link', { name: 'All applications' }).click();
    await page.getByRole('link', { name: appName }).waitFor();
    await shot(page, 'list');
    await page.getByLabel('Filter').fill('sales');
    await page.getByRole('link', { name: appName }).waitFor({ state: 'detached' });
    expect(await page.getByRole('link', { name: 'Salesforce' }).count()).toBe(1);
  }, 180_000);

  it('a requester raises a ticket for it, the approver approves, and the membership appears at GitHub', async () => {
    const alice = await signIn(users.alice);
    await alice.getByRole('link', { name: '+ Request access', exact: true }).click();
    await alice.getByRole('radio', { name: new RegExp(appName) }).check();
    await alice.getByRole('checkbox', { name: /Platform team/ }).check();
    await alice.getByLabel('End', { exact: true }).fill(await localInHours(alice, 8));
    await alice.getByLabel(/Reason/).fill('Platform on-call');
    await alice.getByRole('button', { name: 'Create Ticket' }).click();
    await alice.getByRole('heading', { level: 1, name: /^TCK-\d+/ }).waitFor();
    ticketId = decodeURIComponent(new URL(alice.url()).hash.replace('#/tickets/', ''));

    const carol = await signIn(users.carol);
    await carol.goto(`${stack.url}/#/tickets/${ticketId}`);
    await carol.getByRole('button', { name: 'Approve' }).click();
    const dialog = carol.getByRole('dialog', { name: `Approve ${ticketId}` });
    await dialog.getByRole('button', { name: 'Yes, approve ticket as is' }).click();
    await dialog.waitFor({ state: 'detached' });

    await alice.reload();
    await alice.getByText('Active', { exact: true }).waitFor({ timeout: 30_000 });
    await eventually(
      async () => github.state.teams.get('platform')!.has('octo-alice'),
      30_000,
      'the GitHub membership',
    );
  }, 180_000);

  it('the policy editor works with the keyboard alone, and a save over someone else’s change is refused', async () => {
    const page = await signIn(users.root);
    await page.goto(`${stack.url}/#/admin/apps/${appId}`);
    await page.getByRole('heading', { level: 1, name: appName }).waitFor();

    // Into the policy editor, then only keys: Tab moves through its controls in reading order.
    const max = page.getByLabel('Maximum duration (hours)');
    await max.focus();
    await page.keyboard.type('8');
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByLabel('Pending timeout (hours)'))).toBe(true);
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab'); // expiry notice, re-raise window
    const indefinite = page.getByLabel('Indefinite access allowed');
    expect(await isFocused(indefinite)).toBe(true);
    await page.keyboard.press('Space');
    expect(await indefinite.isChecked()).toBe(false);
    // Reason, 3 extension settings, 2 break-glass limits, own on-call schedules, step name.
    for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
    expect(await isFocused(page.getByLabel('Step name'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByLabel('Approvals needed'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByRole('button', { name: 'Remove group:leads' }))).toBe(true);
    await page.keyboard.press('Tab');
    const approvers = page.getByLabel('Approvers of step 1', { exact: true });
    expect(await isFocused(approvers)).toBe(true);
    // Enter adds a rule (and submits nothing); Escape clears the box.
    await page.keyboard.type('user:lee');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Remove user:lee' }).waitFor();
    expect(await approvers.inputValue()).toBe('');
    await page.keyboard.type('not a rule');
    await page.keyboard.press('Escape');
    expect(await approvers.inputValue()).toBe('');
    await page.keyboard.type('manager');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Remove manager' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/admin/apps/${appId}`); // Enter submitted no form

    await page
      .getByText(`${appName} step 1 (Team lead) names manager: resolved for each ticket from the directory`)
      .waitFor();
    await shot(page, 'keyboard-policy');

    // Someone else saves the app meanwhile: this save is refused and offered for reload.
    const current = (await stack.as(users.root).get(`/apps/${appId}`)).body;
    const { id: _id, revision, ...body } = current;
    expect(
      (await stack.as(users.root).put(`/apps/${appId}`, { ...body, name: `${appName} (renamed)`, revision })).status,
    ).toBe(200);
    const save = page.getByRole('button', { name: 'Save changes' });
    await save.focus();
    await page.keyboard.press('Enter');
    await page.getByText(/changed by someone else since you opened it — reload/).waitFor();
    await shot(page, 'conflict');
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('heading', { level: 1, name: `${appName} (renamed)` }).waitFor();
    expect((await stack.as(users.root).get(`/apps/${appId}`)).body.policy.approval.steps[0].approvers).toEqual([
      'group:leads',
    ]);
  }, 180_000);

  it('break-glass, on-call and an entitlement’s own policy are set with the keyboard, stored, and applied to a request', async () => {
    const page = await signIn(users.root);
    await page.goto(`${stack.url}/#/admin/apps/${appId}`);
    await page.getByRole('heading', { level: 1, name: appName }).waitFor();
    const status = (scope: Page | Locator, text: string) => scope.getByRole('status').filter({ hasText: text });

    // The app's break-glass limits, then its own on-call schedule: keys only.
    await page.getByLabel('Longest break-glass access (hours)').focus();
    await page.keyboard.type('2');
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByLabel('Review within (hours)'))).toBe(true);
    await page.keyboard.type('0.5');
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByLabel('Own PagerDuty schedules'))).toBe(true);
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByLabel('PagerDuty schedule ids', { exact: true }))).toBe(true);
    await page.keyboard.type('PAPP123');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Remove PAPP123' }).waitFor();

    // The entitlement's own policy: Enter opens it, Tab leads into its first setting.
    await page.getByText("Policy of its own: none, the app's applies").focus();
    await page.keyboard.press('Enter');
    const own = page.getByRole('group', { name: 'Policy of entitlement 1' });
    await own.waitFor();
    await page.keyboard.press('Tab');
    expect(await isFocused(own.getByLabel('Maximum duration (hours)'))).toBe(true);
    await page.keyboard.type('2');
    // A break-glass access of 36 seconds: the API's refusal shows next to the entitlement's field.
    const ownBreakGlass = own.getByLabel('Longest break-glass access (hours)');
    await ownBreakGlass.focus();
    await page.keyboard.type('0.01');
    await status(own, 'must not be less than 60').waitFor();
    expect(await ownBreakGlass.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('0.5');
    await status(own, 'must not be less than 60').waitFor({ state: 'detached' });

    // The impact preview covers both the app's settings and the entitlement's.
    await page.getByText("changes the policy's breakGlass, onCall").waitFor();
    await page.getByText('changes entitlement(s) platform').waitFor();
    await shot(page, 'entitlement-policy');
    await page.getByRole('button', { name: 'Save changes' }).focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved: .* is at revision \d+\.$/ })
      .waitFor();

    const stored = (await stack.as(users.root).get(`/apps/${appId}`)).body;
    expect(stored.policy).toMatchObject({
      breakGlass: { maxSeconds: 7200, reviewWithinSeconds: 1800 },
      onCall: { schedules: ['PAPP123'] },
    });
    expect(stored.entitlements).toMatchObject([
      { id: 'platform', policy: { maxDurationSeconds: 7200, breakGlass: { maxSeconds: 1800 } } },
    ]);
    expect(Object.keys(stored.entitlements[0].policy).sort()).toEqual(['breakGlass', 'maxDurationSeconds']);

    // A requester's validation now runs with the entitlement's limits, and says where they come from.
    const validated = await stack.as(users.bob).post('/tickets/validate', {
      appId,
      changes: [{ op: 'add', entitlementId: 'platform' }],
      duration: { type: 'limited', end: inHours(3) },
      reason: 'release',
    });
    expect(validated.status).toBe(200);
    expect(validated.body.flags.map((f: { code: string }) => f.code)).toContain('MAX_DURATION_EXCEEDED');
    expect(validated.body.policy).toMatchObject({
      maxDurationSeconds: { value: 7200, from: ['platform'] },
      breakGlass: { value: { maxSeconds: 1800 }, from: ['platform'] },
    });
  }, 180_000);
});
