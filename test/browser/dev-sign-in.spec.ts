/**
 * Under `npm run dev` (DEV_TOKENS_FILE set) the sign-in page offers the demo people, and one click signs
 * in: the whole demo is usable with the mouse alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startTestStack, users, type TestStack } from '../support/stack';

const distDir = path.resolve(__dirname, '../../dashboard/dist');
let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(path.join(distDir, 'index.html')))
    throw new Error('dashboard/dist is missing: npm test builds it (tools/scripts/ensure.sh)');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-dev-')), 'dev-tokens.json');
  stack = await startTestStack({ env: { DASHBOARD_DIR: distDir, DEV_TOKENS_FILE: file } });
  fs.writeFileSync(
    file,
    JSON.stringify({
      users: [{ id: 'carol', name: 'Carol Chen', role: 'approver', token: await stack.token(users.carol) }],
    }),
  );
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

test('one click on a demo person signs in as them', async () => {
  const page = await browser.newPage();
  await page.goto(stack.url + '/');
  await page.getByText('pick a demo person to sign in as them').waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: /Carol Chen/ }).click();
  await page.getByRole('tab', { name: /All/ }).first().waitFor({ timeout: 15_000 });
  const shots = path.resolve(__dirname, '../../test-results/screenshots');
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'dev-sign-in-signed-in.png'), fullPage: true });
  expect(await page.evaluate('window.sessionStorage.length')).toBeGreaterThan(0);
  await page.close();
});
