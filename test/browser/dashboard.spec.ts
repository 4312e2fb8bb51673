// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a whole
// Gatehouse: the requester raises a ticket and is flagged over the maximum before submitting, an
// approver approves it with a modified duration, the requester sees it Closed with its Resolved-in
// time, and a second approver rejects another ticket. Screenshots of every page go to
// test-results/screenshots/ to look at.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  distDir,
  ensureDashboardBuilt,
  launchChromium,
  screenshotsDir as shots,
  localInHours,
} from '../support/browser';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

describe('the dashboard in a browser', () => {
  let stack: TestStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let appId: string;
  const appName = `GitHub ${Date.now().toString(36)}`;
  let ticketId: string;

  async function signIn(
    who: (typeof users)[keyof typeof users],
    viewport = { width: 1280, height: 860 },
  ): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    watch(page);
    await page.goto(stack.url + '/');
    await page.getByLabel('Access token').fill(await stack.token(who));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tickets' }).waitFor();
    await page.getByText(`Signed in as ${who.name}`).waitFor();
    return page;
  }

  // Uncaught errors in any page fail the run (checked after all), and are named with their page.
  const pageErrors: string[] = [];
  const watch = (page: Page) => page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  /** Waits for something; when it never comes, leaves a screenshot named after what went wrong. */
  async function orShot(page: Page, name: string, wait: () => Promise<unknown>): Promise<void> {
    try {
      await wait();
    } catch (err) {
      await shot(page, name).catch(() => undefined);
      throw err;
    }
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    fs.mkdirSync(shots, { recursive: true });
    stack = await startTestStack({ env: { DASHBOARD_DIR: distDir } });
    appId = await createApp(stack, { name: appName, policy: { maxDurationSeconds: 86400 } });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  it('the gateway serves the dashboard at /, and sign-in asks for a token', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    watch(page);
    await page.goto(stack.url + '/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: /Carol Chen/ }).click();
    await page.getByText('npm run -s token -- carol').waitFor();
    await shot(page, '01-sign-in');

    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/does not look like a token/).waitFor();
  });

  it('a requester raises a ticket, sees it flagged over the maximum before submitting, fixes it and creates it', async () => {
    const page = await signIn(users.alice);
    await shot(page, '02-tickets-empty');

    await page.getByRole('link', { name: '+ Request access', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Request access' }).waitFor();
    await page.getByRole('radio', { name: new RegExp(appName) }).check();
    await page.getByRole('checkbox', { name: 'engineering-team' }).check();
    await page.getByText(`${appName} grants access for at most 1 day.`).waitFor();

    const end = page.getByLabel('End', { exact: true });
    await end.fill(await localInHours(page, 72));
    const endField = page.locator('.field', { has: end });
    await endField.getByText(/Longer than this application allows/).waitFor();
    expect(await end.getAttribute('aria-invalid')).toBe('true');
    await shot(page, '03-request-flagged-over-maximum');

    await end.fill(await localInHours(page, 12));
    await endField.getByText(/Longer than this application allows/).waitFor({ state: 'detached' });
    await page.getByLabel(/Reason/).fill('On-call rotation next week');
    await shot(page, '04-request-fixed');
    await page.getByRole('button', { name: 'Create Ticket' }).click();

    await orShot(page, '05-ticket-not-created', () =>
      page.getByRole('heading', { level: 1, name: /^TCK-\d+/ }).waitFor(),
    );
    ticketId = decodeURIComponent(new URL(page.url()).hash.replace('#/tickets/', ''));
    expect(ticketId).toMatch(/^TCK-\d+$/);
    await page.getByText('◷Open').first().waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0); // never on one's own ticket
    await shot(page, '05-ticket-created');
  }, 120_000);

  it('an approver finds it waiting for them and approves it with a modified duration, after confirming', async () => {
    const page = await signIn(users.carol);
    await page.getByLabel('Waiting for me').check();
    await page.getByRole('link', { name: ticketId }).waitFor();
    await shot(page, '06-approver-waiting-for-me');
    await page.getByRole('link', { name: ticketId }).click();

    await page.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: `Approve ${ticketId}` });
    await dialog.getByText('Are you sure you want to approve this request?').waitFor();
    await dialog.getByRole('button', { name: 'Yes, approve ticket as is' }).waitFor();
    await shot(page, '07-approve-dialog');
    await dialog.getByRole('button', { name: 'Modify duration before approving' }).click();

    const end = dialog.getByLabel('End', { exact: true });
    await end.fill(await localInHours(page, 30)); // over the 1-day maximum: refused, next to the field
    await dialog.getByRole('button', { name: 'Approve with modified duration' }).click();
    await orShot(page, '08-approve-modified-not-flagged', () =>
      dialog
        .locator('.field', { has: page.getByLabel('End', { exact: true }) })
        .getByText(/Longer than this application allows/)
        .waitFor(),
    );
    await shot(page, '08-approve-modified-flagged');

    await end.fill(await localInHours(page, 6));
    await dialog.getByLabel('Comment (optional)').fill('Six hours are enough');
    await dialog.getByRole('button', { name: 'Approve with modified duration' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('You approved this ticket.').waitFor();
    await page.getByRole('heading', { level: 1, name: new RegExp(`${ticketId}.*Approved`) }).waitFor();
    await page.getByText('Duration modified').waitFor();
    await shot(page, '09-approved');
  }, 120_000);

  it('the requester sees it Closed, with its Resolved-in time', async () => {
    const page = await signIn(users.alice);
    await page.getByRole('tab', { name: /Closed/ }).click();
    const row = page.getByRole('row', { name: new RegExp(ticketId) });
    await row.waitFor();
    const cells = row.getByRole('cell');
    expect(await cells.nth(0).innerText()).toContain('Approved');
    expect((await cells.nth(7).innerText()).trim()).toMatch(/^\d+[smhd]( \d+[smhd])?$/);
    expect(await page.getByRole('tab', { name: /Closed/ }).innerText()).toMatch(/Closed\s*1/);
    await shot(page, '10-requester-closed-tab');

    await row.getByRole('link', { name: ticketId }).click();
    await page.getByText('Active', { exact: true }).waitFor({ timeout: 30_000 });
    await shot(page, '11-requester-ticket-active');

    // The same list on a phone: rows become cards.
    const phone = await signIn(users.alice, { width: 390, height: 844 });
    await phone.getByRole('tab', { name: /Closed/ }).click();
    await phone.getByRole('row', { name: new RegExp(ticketId) }).waitFor();
    await shot(phone, '12-phone-tickets');
  }, 120_000);

  it('a second approver (it-admins) rejects another ticket', async () => {
    const created = await stack.as(users.alice).post('/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId: 'maintainer' }],
      duration: { type: 'limited', end: inHours(5) },
      reason: 'Release duty',
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const page = await signIn(users.dave);
    await page.goto(`${stack.url}/#/tickets/${id}`);
    await page.getByRole('button', { name: 'Reject' }).click();
    const dialog = page.getByRole('dialog', { name: `Reject ${id}` });
    await dialog.getByText('Are you sure you want to reject this request?').waitFor();
    await dialog.getByLabel('Comment (optional)').fill('Maintainer is granted per release only');
    await shot(page, '13-reject-dialog');
    await dialog.getByRole('button', { name: 'Yes, reject ticket' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: new RegExp(`${id}.*Rejected`) }).waitFor();
    await page.getByText('Maintainer is granted per release only').waitFor();
    await shot(page, '14-rejected');

    await page.goto(`${stack.url}/#/tickets`);
    await page.getByRole('tab', { name: /Rejected/ }).click();
    await page
      .getByRole('row', { name: new RegExp(id) })
      .getByText('Rejected')
      .waitFor();
    await shot(page, '15-rejected-tab');
  }, 120_000);

  it('no page threw an uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });
});
