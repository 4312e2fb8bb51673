/**
 * The built `gatehouse` CLI (cli/dist, run through its bin launcher as a child process) against a test
 * stack: sign-in with the device flow at the dev OpenID provider, requests that wait for a decision,
 * approvals, the inbox, --json output, and configuration as code (export → edit → plan → apply,
 * conflicts, prune).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseDocument } from 'yaml';
import type { TokenClaims } from '@gatehouse/tools';
import { eventually, uniqueId } from '../support/harness';
import { appBody, inHours, startTestStack, users, type TestStack } from '../support/stack';
import { startDevOidcProvider } from '../../tools/scripts/stack';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'node_modules', '.bin', 'gatehouse');

const OIDC = { clientId: 'gatehouse-dashboard', cliClientId: 'gatehouse-cli', audience: 'urn:gatehouse:api' };
/** Short-lived access tokens, so that a stored login is due for renewal 5 s after it was made. */
const ACCESS_TOKEN_TTL = 35;
const accounts = [
  { sub: 'alice', name: 'Alice Requester', email: 'alice@example.com', groups: ['engineering'], roles: [] },
  { sub: 'eve', name: 'Eve Leaver', groups: [], roles: [], refused: true },
];

let provider: Awaited<ReturnType<typeof startDevOidcProvider>>;
let stack: TestStack;
let home: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'cli', 'dist', 'main.js')))
    throw new Error('The CLI is not built: run `npm run build` (or npx tsc -b tsconfig.build.json) first.');
  home = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-'));
  provider = await startDevOidcProvider({
    ...OIDC,
    redirectUris: ['http://127.0.0.1/'],
    accessTokenTtl: ACCESS_TOKEN_TTL,
    accounts,
  });
  stack = await startTestStack({
    env: {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: OIDC.clientId,
      OIDC_CLI_CLIENT_ID: OIDC.cliClientId,
      OIDC_AUDIENCE: OIDC.audience,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await provider?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  done: Promise<Run>;
  /** Resolves with the first match of `re` in what the CLI has written to stderr so far or later. */
  stderrMatch(re: RegExp): Promise<RegExpExecArray>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Running {
  const child = spawn(bin, args, { env: { PATH: process.env.PATH, HOME: home, NO_COLOR: '1', ...env }, cwd: home });
  let stdout = '';
  let stderr = '';
  const waiting: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const check of waiting) check();
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  child.stdin!.end(stdin);
  const stderrMatch = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(stderr);
        if (m) resolve(m);
      };
      waiting.push(check);
      check();
      void done.then((run) => reject(new Error(`the CLI ended (${run.code}) before printing ${re}: ${run.stderr}`)));
    });
  return { child, done, stderrMatch };
}

const runCli = (args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<Run> => startCli(args, env, stdin).done;

/** Runs the CLI as `who` (a token in GATEHOUSE_TOKEN), asynchronously: the gateway runs in this process. */
async function gatehouse(args: string[], who: TokenClaims | null): Promise<Run> {
  return runCli(args, {
    XDG_CONFIG_HOME: path.join(home, 'config'),
    GATEHOUSE_URL: stack.url,
    ...(who ? { GATEHOUSE_TOKEN: await stack.token(who) } : {}),
  });
}

const json = (run: Run) => JSON.parse(run.stdout);

async function newApp(overrides: Parameters<typeof appBody>[0] = {}): Promise<string> {
  const id = uniqueId('app-');
  const res = await stack.as(users.root).put(`/apps/${id}`, appBody(overrides));
  expect(res.status).toBe(201);
  return id;
}

/** The pending ticket alice raised in `appId`, once it exists. */
function pendingTicket(appId: string): Promise<string> {
  return eventually(
    async () => {
      const res = await stack.as(users.alice).get(`/tickets?tab=open&appId=${appId}`);
      return res.body.items[0]?.id as string | undefined;
    },
    20_000,
    `a pending ticket in ${appId}`,
  );
}

/**
 * What a person does in their browser with the code the CLI shows, over HTTP with the provider's cookies:
 * the device page (enter the code), the confirmation page, then the sign-in page, where they pick an
 * account or cancel. Answers the last page's text.
 */
async function enterCodeInBrowser(verificationUri: string, userCode: string, pick: string | 'cancel'): Promise<string> {
  const cookies = new Map<string, string>();
  const hiddenFields = (html: string) =>
    Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
  const formAction = (html: string, id: string) =>
    new RegExp(`<form[^>]*id="${id}"[^>]*action="([^"]+)"`).exec(html)![1];
  /** Follows redirects itself, so that each one's cookies are kept. */
  async function visit(url: string, form?: Record<string, string>): Promise<{ url: string; html: string }> {
    let init: RequestInit = form
      ? {
          method: 'POST',
          body: new URLSearchParams(form),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }
      : {};
    for (let hop = 0; hop < 10; hop++) {
      const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
      for (const c of res.headers.getSetCookie()) {
        const pair = c.split(';')[0];
        cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      }
      const location = res.headers.get('location');
      if (!location) return { url, html: await res.text() };
      url = new URL(location, url).href;
      init = {};
    }
    throw new Error('too many redirects');
  }
  const device = await visit(verificationUri);
  const confirm = await visit(formAction(device.html, 'op.deviceInputForm'), {
    ...hiddenFields(device.html),
    user_code: userCode,
  });
  expect(confirm.html).toContain(userCode); // the page shows the code to compare with the terminal's
  const signIn = await visit(formAction(confirm.html, 'op.deviceConfirmForm'), hiddenFields(confirm.html));
  const uid = /\/interaction\/([^/]+)\/login/.exec(signIn.html)![1];
  const interaction = new URL(`/interaction/${uid}/`, provider.issuer).href;
  const last =
    pick === 'cancel' ? await visit(interaction + 'abort', {}) : await visit(interaction + 'login', { account: pick });
  return last.html.replace(/<[^>]+>/g, ' ');
}

/** Starts `gatehouse login` (no token on stdin) and answers it and the code it showed. */
async function deviceLogin(env: NodeJS.ProcessEnv, url = stack.url) {
  const running = startCli(['login', '--url', url], env);
  const [, verificationUri, userCode] = await running.stderrMatch(/open (\S+) and enter the code (\S+)/);
  return { running, verificationUri, userCode };
}

describe('gatehouse CLI: login with the device flow', () => {
  it('signs in through the provider’s pages, stores the tokens (0600), whoami is the person; the token is renewed when due', async () => {
    const config = { XDG_CONFIG_HOME: path.join(home, 'device') };
    const { running, verificationUri, userCode } = await deviceLogin(config);
    expect(verificationUri).toBe(`${provider.issuer}/device`);
    const page = await enterCodeInBrowser(verificationUri, userCode, 'alice');
    expect(page).toContain('You are signed in');

    const login = await running.done;
    expect({ code: login.code, stdout: login.stdout }).toEqual({
      code: 0,
      stdout: expect.stringContaining(`Signed in to ${stack.url} as alice.`),
    });
    expect(login.stderr).toContain('Waiting for the sign-in in your browser');
    const file = path.join(home, 'device', 'gatehouse', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toEqual({
      url: stack.url,
      token: expect.stringMatching(/^ey/),
      renewal: {
        tokenEndpoint: `${provider.issuer}/token`,
        clientId: OIDC.cliClientId,
        refreshToken: expect.any(String),
        expiresAt: expect.any(String),
      },
    });
    // The provider's JWT for Gatehouse's audience, issued to the CLI's own client.
    const claims = JSON.parse(Buffer.from(saved.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'alice', aud: OIDC.audience, client_id: OIDC.cliClientId });

    const me = await runCli(['whoami', '--json'], config);
    expect({ code: me.code, stderr: me.stderr }).toEqual({ code: 0, stderr: '' });
    expect(json(me)).toMatchObject({ id: 'alice', name: 'Alice Requester', groups: ['engineering'] });

    // Within 30 s of its expiry the stored token is renewed with the refresh token before the call.
    await new Promise((r) => setTimeout(r, Date.parse(saved.renewal.expiresAt) - 30_000 - Date.now() + 500));
    const later = await runCli(['whoami'], config);
    expect({ code: later.code, stderr: later.stderr }).toEqual({ code: 0, stderr: '' });
    expect(later.stdout).toContain('alice');
    const renewed = JSON.parse(readFileSync(file, 'utf8'));
    expect(renewed.token).not.toBe(saved.token);
    expect(Date.parse(renewed.renewal.expiresAt)).toBeGreaterThan(Date.parse(saved.renewal.expiresAt));
  });

  it('a sign-in the person cancels, or the provider refuses, fails with ACCESS_DENIED and stores nothing', async () => {
    const config = { XDG_CONFIG_HOME: path.join(home, 'denied') };
    for (const pick of ['cancel', 'eve']) {
      const { running, verificationUri, userCode } = await deviceLogin(config);
      await enterCodeInBrowser(verificationUri, userCode, pick);
      const run = await running.done;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/gatehouse: ACCESS_DENIED: The sign-in was refused/);
      expect(existsSync(path.join(home, 'denied', 'gatehouse', 'credentials.json'))).toBe(false);
    }
  });

  it('a code nobody enters in time fails with CODE_EXPIRED and says to log in again', async () => {
    // A provider whose codes live 2 s, offered by a stand-in for the gateway's GET /auth/config.
    const shortLived = await startDevOidcProvider({
      ...OIDC,
      redirectUris: ['http://127.0.0.1/'],
      deviceCodeTtl: 2,
      accounts,
    });
    const gateway = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ oidc: { issuer: shortLived.issuer, ...OIDC, scopes: 'openid profile email groups' } }));
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const { running } = await deviceLogin({ XDG_CONFIG_HOME: path.join(home, 'expired') }, url);
      const run = await running.done;
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('gatehouse: CODE_EXPIRED: The code expired before the sign-in was finished');
      expect(run.stderr).toContain('run gatehouse login again');
    } finally {
      gateway.close();
      await shortLived.stop();
    }
  });

  it('with no single sign-on at the gateway, login without a token says to give one', async () => {
    const gateway = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ oidc: null }));
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const run = await runCli(['login', '--url', url], { XDG_CONFIG_HOME: path.join(home, 'nosso') });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/NOT_SUPPORTED: .*offers no single sign-on.*--paste/);
    } finally {
      gateway.close();
    }
  });
});

describe('gatehouse CLI: requests and decisions', () => {
  it('runs from a fresh install: the bin answers --help', async () => {
    const run = await gatehouse(['--help'], null);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('request [options] <app> <entitlement...>');
  });

  it('whoami --json is the caller from GET /me; without a token it fails with UNAUTHENTICATED', async () => {
    const me = await gatehouse(['whoami', '--json'], users.alice);
    expect({ code: me.code, stderr: me.stderr }).toEqual({ code: 0, stderr: '' });
    expect(json(me)).toMatchObject({ id: 'alice', groups: ['engineering'] });
    const none = await gatehouse(['whoami'], null);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('UNAUTHENTICATED');
  });

  it('login stores a token read from stdin (mode 0600) that later commands use', async () => {
    const token = await stack.token(users.dave);
    const config = { XDG_CONFIG_HOME: path.join(home, 'login') };
    const login = await runCli(['login', '--url', stack.url], config, token + '\n');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain('as dave');
    const file = path.join(home, 'login', 'gatehouse', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: stack.url, token });
    // No GATEHOUSE_URL or GATEHOUSE_TOKEN: the stored ones; the environment's win over them.
    expect(JSON.parse((await runCli(['whoami', '--json'], config)).stdout)).toMatchObject({ id: 'dave' });
    const alice = await stack.token(users.alice);
    const overridden = await runCli(['whoami', '--json'], { ...config, GATEHOUSE_TOKEN: alice });
    expect(JSON.parse(overridden.stdout)).toMatchObject({ id: 'alice' });
  });

  it('request --wait exits 0 once the approved access is active; approve and inbox work for the approver', async () => {
    const appId = await newApp();
    const waiting = gatehouse(
      [
        'request',
        appId,
        'engineering-team',
        '--for',
        '2h',
        '--reason',
        'on call',
        '--wait',
        '--timeout',
        '60s',
        '--json',
      ],
      users.alice,
    );
    const ticketId = await pendingTicket(appId);

    const inbox = await gatehouse(['inbox', '--json'], users.carol);
    expect(inbox.code).toBe(0);
    expect(json(inbox)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ticketId, status: 'pending', app: expect.objectContaining({ id: appId }) }),
      ]),
    );
    // Not awaiting alice: she raised it.
    expect(json(await gatehouse(['inbox', '--json'], users.alice)).some((t: { id: string }) => t.id === ticketId)).toBe(
      false,
    );

    const approved = await gatehouse(['approve', ticketId, '--comment', 'ok', '--json'], users.carol);
    expect(approved.code).toBe(0);
    expect(json(approved)).toMatchObject({ id: ticketId, status: 'approved' });

    const run = await waiting;
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ id: ticketId, status: 'approved', access: { state: 'active' } });
    // Active at the target's side too, by the time the CLI said so.
    const grants = (await stack.as(users.alice).get(`/grants?appId=${appId}`)).body;
    expect(grants).toEqual([expect.objectContaining({ entitlementId: 'engineering-team', ticketId, state: 'active' })]);

    const access = await gatehouse(['access', '--json'], users.alice);
    expect(json(access)).toEqual(expect.arrayContaining([expect.objectContaining({ appId, ticketId })]));
    const human = await gatehouse(['access'], users.alice);
    expect(human.stdout).toMatch(new RegExp(`${appId}\\s+engineering-team\\s+\\S+\\s+in 1h 5\\dm\\s+${ticketId}`));

    const mine = await gatehouse(['tickets', '--json'], users.alice);
    expect(json(mine).map((t: { id: string }) => t.id)).toContain(ticketId);

    // Giving access up: through POST /tickets/:id/relinquish where the server has it, else a clear refusal.
    const given = await gatehouse(['relinquish', ticketId, '--json'], users.alice);
    if (given.code === 0) {
      await eventually(
        async () => (await stack.as(users.alice).get(`/grants?appId=${appId}`)).body.length === 0,
        20_000,
        'access given up',
      );
    } else {
      expect(JSON.parse(given.stderr).error).toMatchObject({ code: 'NOT_SUPPORTED' });
      expect(JSON.parse(given.stderr).error.message).toContain('ask an approver or an admin to revoke');
    }
  });

  it('request --wait exits 2 when the ticket is rejected', async () => {
    const appId = await newApp();
    const waiting = gatehouse(
      ['request', appId, 'maintainer', '--for', '1h', '--reason', 'release', '--wait', '--timeout', '60s'],
      users.alice,
    );
    const ticketId = await pendingTicket(appId);
    const rejected = await gatehouse(['reject', ticketId, '--comment', 'not now'], users.carol);
    expect(rejected.code).toBe(0);
    const run = await waiting;
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`${ticketId} rejected`);
  });

  it('request --wait exits 3 when nobody decides in time', async () => {
    const appId = await newApp();
    const run = await gatehouse(
      ['request', appId, 'maintainer', '--for', '1h', '--reason', 'x', '--wait', '--timeout', '2s'],
      users.alice,
    );
    expect(run.code).toBe(3);
  });

  it('tickets --open and inbox are tables with relative times; approve --until shortens the access; extend asks for more', async () => {
    const appId = await newApp();
    const raised = await gatehouse(
      ['request', appId, 'engineering-team', '--for', '4h', '--reason', 'release'],
      users.alice,
    );
    expect(raised.code).toBe(0);
    const ticketId = /^(TCK-\d+)\s+pending\s+/.exec(raised.stdout)![1];
    expect(raised.stdout).toContain(`${appId}: +engineering-team`);

    // People's output: a table with a header, the ticket and "now" for just created; no colour off a terminal.
    const open = await gatehouse(['tickets', '--open'], users.alice);
    expect(open.stdout).toMatch(/^TICKET\s+STATUS\s+APP\s+KIND\s+FOR\s+CREATED\s+REASON$/m);
    expect(open.stdout).toMatch(
      new RegExp(`^${ticketId}\\s+pending\\s+${appId}\\s+add\\s+alice\\s+now\\s+release$`, 'm'),
    );
    const inbox = await gatehouse(['inbox'], users.carol);
    expect(inbox.stdout).toMatch(new RegExp(`^${ticketId}\\s+pending\\s+${appId}\\s`, 'm'));
    const uncoloured = await runCli(['tickets', '--open'], {
      GATEHOUSE_URL: stack.url,
      GATEHOUSE_TOKEN: await stack.token(users.alice),
      NO_COLOR: '',
    });
    expect(uncoloured.stdout).toContain(ticketId);
    expect(uncoloured.stdout).not.toContain('\x1b[');

    // Approved for 1 h instead of the 4 h asked.
    const approved = await gatehouse(['approve', ticketId, '--until', '1h', '--json'], users.carol);
    expect(approved.code).toBe(0);
    const end = Date.parse(json(approved).duration.end);
    expect(end - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(end - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    const stillOpen = json(await gatehouse(['tickets', '--open', '--json'], users.alice)) as { id: string }[];
    expect(stillOpen.map((t) => t.id)).not.toContain(ticketId);
    await eventually(
      async () =>
        json(await gatehouse(['access', '--json'], users.alice)).some(
          (g: { ticketId: string }) => g.ticketId === ticketId,
        ),
      20_000,
      'active access',
    );

    // Extending: an extend ticket for carol to decide; once approved the access ends an hour later.
    const extended = await gatehouse(
      ['extend', ticketId, '--for', '1h', '--reason', 'release slipped', '--json'],
      users.alice,
    );
    expect(extended.code).toBe(0);
    expect(json(extended)).toMatchObject({ type: 'extend', status: 'pending' });
    const extendId = json(extended).id as string;
    expect((await gatehouse(['approve', extendId, '--json'], users.carol)).code).toBe(0);
    await eventually(
      async () => {
        const grants = json(await gatehouse(['access', '--json'], users.alice)) as { ticketId: string; end: string }[];
        const grant = grants.find((g) => g.ticketId === ticketId);
        return grant && Date.parse(grant.end) - end > 55 * 60_000;
      },
      20_000,
      'access extended by an hour',
    );
    const refused = await gatehouse(['extend', ticketId, '--for', '1h'], users.alice);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 1,
      stderr: 'gatehouse: VALIDATION_FAILED: --reason is required\n',
    });
  });

  it('reports an API error with its code on stderr and exits 1 (--json: as JSON)', async () => {
    const run = await gatehouse(['request', 'no-such-app', 'x', '--for', '1h', '--reason', 'r'], users.alice);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('APP_NOT_FOUND');
    const asJson = await gatehouse(['approve', 'TCK-999999999', '--json'], users.carol);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'TICKET_NOT_FOUND', status: 404 } });
  });
});

describe('gatehouse CLI: configuration as code', () => {
  it('export → edit → plan → apply → plan shows no change; a server change after the plan refuses the apply', async () => {
    const appId = await newApp({ name: 'Before' });
    const hook = await stack.as(users.root).post('/webhooks', {
      url: 'https://hooks.example.com/x',
      events: ['granted'],
      enabled: false,
    });
    const file = path.join(home, `${appId}.yaml`);

    const exported = await gatehouse(['export', '-o', file], users.root);
    expect(exported.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*cli\/schema\/gatehouse\.schema\.json$/);
    expect(text).not.toContain(hook.body.secret);
    const config = parse(text);
    expect(config.apps.find((a: { id: string }) => a.id === appId)).toMatchObject({ name: 'Before', revision: 1 });
    expect(config.webhooks).toEqual([
      expect.objectContaining({ id: hook.body.id, secretEnv: expect.stringMatching(/^[A-Z_0-9]+$/) }),
    ]);

    // Edit: rename the app, add an entitlement, drop one.
    const doc = parseDocument(text);
    const index = config.apps.findIndex((a: { id: string }) => a.id === appId);
    doc.setIn(['apps', index, 'name'], 'After');
    const entitlements = config.apps[index].entitlements.filter((e: { id: string }) => e.id !== 'maintainer');
    entitlements.push({ id: 'oncall', kind: 'group', name: 'On-call' });
    doc.setIn(['apps', index, 'entitlements'], doc.createNode(entitlements));
    writeFileSync(file, doc.toString());

    const plan = await gatehouse(['plan', '-f', file, '--json'], users.root);
    expect(plan.code).toBe(0);
    expect(json(plan).stale).toEqual([]);
    expect(json(plan).changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'app', id: appId, action: 'change', fields: ['name', 'entitlements'] }),
        expect.objectContaining({ kind: 'entitlement', id: 'oncall', app: appId, action: 'add' }),
        expect.objectContaining({ kind: 'entitlement', id: 'maintainer', app: appId, action: 'remove' }),
      ]),
    );
    // With the server's impact preview of the change, as the admin console shows it.
    expect(json(plan).impact[appId]).toMatchObject({
      exists: true,
      changes: { entitlements: { added: ['oncall'], removed: ['maintainer'] } },
      summary: ['renames Before to After', 'adds entitlement(s) oncall', 'removes entitlement(s) maintainer'],
    });
    const human = await gatehouse(['plan', '-f', file], users.root);
    expect(human.stdout).toContain(`+ entitlement ${appId}/oncall`);
    expect(human.stdout).toContain(
      `Impact:\n  ${appId}:\n    renames Before to After\n    adds entitlement(s) oncall\n    removes entitlement(s) maintainer`,
    );

    const applied = await gatehouse(['apply', '-f', file], users.root);
    expect(applied.code).toBe(0);
    const server = (await stack.as(users.root).get(`/apps/${appId}`)).body;
    expect(server).toMatchObject({ name: 'After', revision: 2 });
    expect(server.entitlements.map((e: { id: string }) => e.id)).toEqual(['engineering-team', 'prod-deploy', 'oncall']);
    // The file now records the revision the apply made, and the server matches it.
    expect(parse(readFileSync(file, 'utf8')).apps[index].revision).toBe(2);
    const again = await gatehouse(['plan', '-f', file, '--json'], users.root);
    expect(json(again)).toMatchObject({ changes: [], stale: [] });
    expect((await gatehouse(['plan', '-f', file], users.root)).stdout).toContain('No changes');

    // Someone changes the app on the server after the plan: apply refuses and says what changed.
    const edited = parseDocument(readFileSync(file, 'utf8'));
    edited.setIn(['apps', index, 'name'], 'Mine');
    writeFileSync(file, edited.toString());
    expect(json(await gatehouse(['plan', '-f', file, '--json'], users.root)).stale).toEqual([]);
    await stack.as(users.root).put(`/apps/${appId}`, { ...appBody({ name: 'Theirs' }), revision: 2 });
    const refused = await gatehouse(['apply', '-f', file], users.root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('REVISION_CONFLICT');
    expect(refused.stderr).toContain(`app ${appId}: the server is at revision 3, the file records 2`);
    expect(refused.stderr).toMatch(/change app .* \(name, entitlements\)/);
    expect((await stack.as(users.root).get(`/apps/${appId}`)).body).toMatchObject({ name: 'Theirs', revision: 3 });
  });

  it('exports policy documents without the server-kept fields and applies a change to one', async () => {
    // Everyone may request: the other tests' tickets are unaffected by this policy.
    const cedar = 'permit (principal, action == Gatehouse::Action::"Request", resource);';
    const id = uniqueId('policy-');
    expect(
      (await stack.as(users.root).put(`/policies/${id}`, { cedar, description: 'open', revision: 0 })).status,
    ).toBe(201);
    const file = path.join(home, `${id}.yaml`);
    expect((await gatehouse(['export', '-o', file], users.root)).code).toBe(0);
    const policies = parse(readFileSync(file, 'utf8')).policies as Record<string, unknown>[];
    const index = policies.findIndex((p) => p.id === id);
    expect(policies[index]).toEqual({ id, revision: 1, description: 'open', cedar });

    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['policies', index, 'description'], 'open to everyone');
    writeFileSync(file, doc.toString());
    expect(json(await gatehouse(['plan', '-f', file, '--json'], users.root)).changes).toEqual([
      { kind: 'policy', id, action: 'change', fields: ['description'] },
    ]);
    expect((await gatehouse(['apply', '-f', file], users.root)).code).toBe(0);
    expect((await stack.as(users.root).get(`/policies/${id}`)).body).toMatchObject({
      revision: 2,
      description: 'open to everyone',
    });
    expect(json(await gatehouse(['plan', '-f', file, '--json'], users.root))).toMatchObject({ changes: [], stale: [] });
  });

  it('validates the file against the schema before planning', async () => {
    const file = path.join(home, 'bad.yaml');
    writeFileSync(file, 'version: 1\napps:\n  - id: x\n    name: X\n    connector: { type: ftp, config: {} }\n');
    const run = await gatehouse(['plan', '-f', file], users.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('INVALID_CONFIG');
    expect(run.stderr).toContain('/apps/0/connector/type');
    expect(run.stderr).toContain("must have required property 'entitlements'");
  });

  it('--prune is refused while grants of a removed app are active, and revokes them first with --force-revoke', async () => {
    const appId = await newApp();
    const ticket = (
      await stack.as(users.alice).post('/tickets', {
        appId,
        changes: [{ op: 'add', entitlementId: 'engineering-team' }],
        duration: { type: 'limited', end: inHours(2) },
        reason: 'work',
      })
    ).body;
    await stack.as(users.carol).post(`/tickets/${ticket.id}/approve`, {});
    await eventually(
      async () => (await stack.as(users.alice).get(`/tickets/${ticket.id}`)).body.access.state === 'active',
      20_000,
      'access active',
    );
    const file = path.join(home, `prune-${appId}.yaml`);
    expect((await gatehouse(['export', '-o', file], users.root)).code).toBe(0);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    const apps = parse(readFileSync(file, 'utf8')).apps as { id: string }[];
    doc.deleteIn(['apps', apps.findIndex((a) => a.id === appId)]);
    writeFileSync(file, doc.toString());

    const plan = await gatehouse(['plan', '-f', file, '--prune', '--json'], users.root);
    expect(json(plan).changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'app', id: appId, action: 'remove' })]),
    );
    expect(json(plan).activeGrants).toEqual({ [appId]: 1 });
    // Without --prune the app is only reported as not in the file.
    expect(json(await gatehouse(['plan', '-f', file, '--json'], users.root)).unmanaged).toEqual(
      expect.arrayContaining([{ kind: 'app', id: appId }]),
    );

    const refused = await gatehouse(['apply', '-f', file, '--prune'], users.root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('APP_HAS_ACCESS');
    expect((await stack.as(users.root).get(`/apps/${appId}`)).status).toBe(200);

    const forced = await gatehouse(['apply', '-f', file, '--prune', '--force-revoke'], users.root);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`revoked ${ticket.id}`);
    expect((await stack.as(users.root).get(`/apps/${appId}`)).body.code).toBe('APP_NOT_FOUND');
    expect((await stack.as(users.alice).get(`/tickets/${ticket.id}`)).body.access.state).toBe('revoked');
  });
});
