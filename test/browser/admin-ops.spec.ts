// The admin console's Webhooks and Audit log screens in a real browser against a whole Gatehouse: an admin
// registers an endpoint at a local receiver that is down, sees the ticket event's delivery fail with its
// attempts, replays it once the receiver is back and sees it delivered, rotates the signing secret (shown
// once), then finds the endpoint's creation in the audit log, pages through a long log, and exports the
// search as CSV and JSON Lines with the same entries. Screenshots for docs/admin.md go to docs/images/.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Download, Locator, Page } from 'playwright-core';
import { loadNotifierSettings } from '@gatehouse/notifiers';
import type { AuditEntry } from '@gatehouse/store';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver';
import { distDir, ensureDashboardBuilt, launchChromium, screenshotsDir } from '../support/browser';
import { uniqueId } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

const docsImages = path.resolve(__dirname, '../../docs/images');
// Few attempts, so a delivery to a receiver that is down is given up within seconds.
const WEBHOOK_ENV = { WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '2000' };

describe('the admin console: webhooks and audit log', () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: WebhookReceiver;
  let endpointId: string;
  let ticketId: string;
  let firstSecret: string;

  const pageErrors: string[] = [];
  /** How long each answered API request took, by path, as the browser timed it. */
  const timings: { path: string; ms: number }[] = [];

  /** A full-page screenshot for the docs; a secret on screen is masked. */
  const shot = (name: string, mask: Locator[] = []) =>
    page.screenshot({ path: path.join(docsImages, `admin-${name}.png`), fullPage: true, mask });
  /** Waits for something; when it never comes, leaves a screenshot named after what went wrong. */
  async function orShot(name: string, wait: () => Promise<unknown>): Promise<void> {
    try {
      await wait();
    } catch (err) {
      await page
        .screenshot({ path: path.join(screenshotsDir, `admin-ops-${name}.png`), fullPage: true })
        .catch(() => 0);
      throw err;
    }
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    fs.mkdirSync(docsImages, { recursive: true });
    fs.mkdirSync(screenshotsDir, { recursive: true });
    receiver = await startWebhookReceiver(() => 503); // down until the test heals it
    stack = await startTestStack({
      worker: { notifier: loadNotifierSettings(WEBHOOK_ENV) },
      // The screens poll every few seconds: lift the per-caller rate limit (tested in security/rate-limit).
      env: { ...WEBHOOK_ENV, DASHBOARD_DIR: distDir, RATE_LIMIT_PER_MINUTE: '1000000' },
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on('requestfinished', (request) => {
      const url = new URL(request.url());
      const t = request.timing();
      if (url.pathname.startsWith('/audit') || url.pathname.startsWith('/webhooks'))
        timings.push({ path: url.pathname + url.search, ms: t.responseEnd });
    });
    await page.goto(stack.url + '/');
    await page.getByLabel('Access token').fill(await stack.token(users.root));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${users.root.name}`).waitFor();
  }, 180_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await receiver?.close();
  });

  it('an admin registers an endpoint and sees its signing secret once, with a working copy button', async () => {
    await page.goto(`${stack.url}/#/admin/webhooks`);
    await page.getByText('No webhook endpoints yet.').waitFor();
    await page.getByRole('link', { name: '+ New endpoint' }).click();
    await page.getByRole('heading', { level: 1, name: 'New webhook endpoint' }).waitFor();
    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('Ticket feed for the SIEM');
    await page.getByLabel('All events').uncheck();
    await page.getByRole('checkbox', { name: 'created', exact: true }).check();
    await page.getByRole('button', { name: 'Create endpoint' }).click();

    const secretField = page.getByLabel('Signing secret', { exact: true });
    await secretField.waitFor();
    firstSecret = await secretField.inputValue();
    expect(firstSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    await page.getByText('Copy this signing secret now: it will not be shown again.').waitFor();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(firstSecret);
    await shot('webhook-created', [secretField]);

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('heading', { level: 1, name: receiver.url }).waitFor();
    endpointId = decodeURIComponent(new URL(page.url()).hash.replace('#/admin/webhooks/', ''));
    expect(endpointId).toMatch(/^wh_[0-9a-f]{16}$/);
    expect(await page.getByLabel('Signing secret', { exact: true }).count()).toBe(0);
    expect((await stack.as(users.root).get(`/webhooks/${endpointId}`)).body).toMatchObject({
      url: receiver.url,
      events: ['created'],
      description: 'Ticket feed for the SIEM',
      enabled: true,
    });
  }, 60_000);

  it('a ticket event to the endpoint that is down fails after its attempts, shown with each attempt', async () => {
    const appId = await createApp(stack);
    const created = await stack.as(users.alice).post('/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId: 'engineering-team' }],
      duration: { type: 'limited', end: inHours(8) },
      reason: 'Incident review',
    });
    expect(created.status).toBe(201);
    ticketId = created.body.id;

    const row = page.getByRole('row', { name: new RegExp(`created ${ticketId}`) });
    await orShot('delivery-not-failed', () => row.getByText('Failed').waitFor({ timeout: 45_000 }));
    await row.getByRole('button', { name: `Attempts of created ${ticketId}` }).click();
    const attempts = page.getByRole('region', { name: /^Attempts of / }).getByRole('row');
    await orShot('attempts-missing', () => attempts.nth(3).waitFor()); // header + 3 attempts
    const cells = async (i: number) => (await attempts.nth(i).getByRole('cell').allInnerTexts()).slice(0, 4);
    for (const i of [1, 2, 3]) expect(await cells(i)).toEqual(['First run', String(i), expect.any(String), '503']);
    expect(await row.getByRole('cell').nth(2).innerText()).toBe('3');
    expect(receiver.received.map((r) => r.answer)).toEqual([503, 503, 503]);
    await shot('webhook-delivery-failed');
  }, 90_000);

  it('replayed once the receiver is back, the delivery succeeds: same event, a fourth attempt in replay 1', async () => {
    receiver.behave(() => 200);
    const row = page.getByRole('row', { name: new RegExp(`created ${ticketId}`) });
    await row.getByRole('button', { name: `Replay created ${ticketId}` }).click();
    await page.getByText(`Replay 1 of created ${ticketId} started.`).waitFor();
    await orShot('replay-not-delivered', () => row.getByText('Delivered').waitFor({ timeout: 30_000 }));
    const attempts = page.getByRole('region', { name: /^Attempts of / }).getByRole('row');
    await attempts.nth(4).waitFor();
    expect((await attempts.nth(4).getByRole('cell').allInnerTexts()).slice(0, 4)).toEqual([
      'Replay 1',
      '1',
      expect.any(String),
      '200',
    ]);
    expect(await row.getByRole('button', { name: /^Replay / }).count()).toBe(0); // only failed ones are replayed
    expect(receiver.received.map((r) => r.answer)).toEqual([503, 503, 503, 200]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    await shot('webhook-delivery-replayed');
  }, 60_000);

  it('rotating the secret asks first, shows the new one once with its warning, and never again', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await dialog.getByText(/stops signing at once/).waitFor();
    await dialog.getByRole('button', { name: 'Yes, rotate secret' }).click();
    await dialog.waitFor({ state: 'detached' });
    const secretField = page.getByLabel('Signing secret', { exact: true });
    const rotated = await secretField.inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(firstSecret);
    await page.getByText(/The old secret no longer signs/).waitFor();
    await shot('webhook-secret-rotated', [secretField]);

    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.getByLabel('Signing secret', { exact: true }).count()).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Recent deliveries' }).waitFor();
    expect(await page.getByLabel('Signing secret', { exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(rotated);
  }, 60_000);

  it('the endpoints list shows the endpoint, its events, enabled, and its last delivery', async () => {
    await page.goto(`${stack.url}/#/admin/webhooks`);
    const row = page.getByRole('row', { name: new RegExp(receiver.url.replace(/[.]/g, '\\.')) });
    await row.getByText('Delivered').waitFor();
    expect((await row.getByRole('cell').allInnerTexts()).slice(1, 3)).toEqual(['created', 'Yes']);
    await shot('webhooks');
  }, 30_000);

  it('the audit log finds the endpoint’s creation by actor and action, and exports CSV and JSON Lines with the same entries', async () => {
    await page.goto(`${stack.url}/#/admin/audit`);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.getByLabel('Actor (user id)').fill('root');
    await page.getByLabel('Action', { exact: true }).fill('webhook.create');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByRole('table').getByRole('row');
    await rows.nth(1).getByRole('cell', { name: endpointId, exact: true }).waitFor();
    expect(await rows.count()).toBe(2); // header + the one creation
    expect((await rows.nth(1).getByRole('cell').allInnerTexts()).slice(1, 5)).toEqual([
      'root',
      'webhook.create',
      endpointId,
      '201',
    ]);
    await shot('audit-search');

    const save = async (name: string): Promise<string> => {
      const [download]: [Download, void] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^gatehouse-audit-.+\.(csv|jsonl)$/);
      return fs.readFileSync((await download.path())!, 'utf8');
    };
    const csv = parse(await save('Export CSV'), { columns: true }) as Record<string, string>[];
    const jsonl = (await save('Export JSON Lines'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
    const listed = (await stack.as(users.root).get('/audit?actor=root&action=webhook.create')).body.items;
    expect(jsonl).toEqual(listed);
    expect(csv.map((r) => [r.id, r.actor, r.action, r.target, r.status])).toEqual(
      jsonl.map((e) => [e.id, e.actor, e.action, e.target, String(e.status)]),
    );
    expect(jsonl.map((e) => e.target)).toEqual([endpointId]);
  }, 60_000);

  it('a long audit log is paged by the server: 50 entries a page, older and newer', async () => {
    const actor = uniqueId('auditor-');
    const start = Date.now();
    // 5,000 entries of one actor among the log: 50 a page on screen.
    for (let chunk = 0; chunk < 50; chunk++)
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          stack.store.audit.append({
            at: new Date(start - (chunk * 100 + i) * 1000).toISOString(),
            actor,
            action: 'ticket.approve',
            target: `TCK-${chunk * 100 + i + 1}`,
            status: 200,
            requestId: `req-${chunk * 100 + i}`,
            details: {},
          }),
        ),
      );
    await page.getByLabel('Actor (user id)').fill(actor);
    await page.getByLabel('Action', { exact: true }).fill('');
    timings.length = 0;
    await page.getByRole('button', { name: 'Search' }).click();
    const firstTarget = () => page.getByRole('table').getByRole('row').nth(1).getByRole('cell').nth(3).innerText();
    await page.getByRole('cell', { name: 'TCK-1', exact: true }).waitFor();
    expect(await page.getByRole('table').getByRole('row').count()).toBe(51);
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    await page.getByRole('cell', { name: 'TCK-51', exact: true }).waitFor();
    expect(await firstTarget()).toBe('TCK-51');
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByRole('cell', { name: 'TCK-101', exact: true }).waitFor();
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByRole('cell', { name: 'TCK-51', exact: true }).waitFor();
    expect(await page.getByText('Page 2').count()).toBe(1);
    // Page times are reported, never asserted (tests do not assert on wall-clock speed; see performance.md).
    const pages = timings.filter((t) => t.path.startsWith('/audit?')).map((t) => Math.round(t.ms));
    process.stdout.write(
      `audit log pages of 50 among 5,000 entries, ms as the browser timed them: ${pages.join(' ')}\n`,
    );
  }, 120_000);

  it('no page threw an uncaught error', () => {
    expect(pageErrors).toEqual([]);
  });
});
