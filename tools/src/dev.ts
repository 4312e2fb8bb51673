/**
 * `npm run dev`: the whole system on one machine. Starts the Temporal dev server and FerretDB (unless
 * TEMPORAL_ADDRESS / MONGODB_URI point elsewhere) with their data under .data/, then the worker and the
 * gateway, seeds the demo, prints addresses and demo tokens, and stops everything on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEV_JWT_SECRET } from '@gatehouse/gateway';
import { DEMO_APPS, DEMO_ROLES, DEMO_USERS } from './demo-seed';
import { mintToken } from './tokens';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stack = require('../scripts/stack.js') as typeof import('../scripts/stack');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pretty = require('pino-pretty') as (opts: object) => NodeJS.WritableStream;

/** One readable line per log entry: request lines as `METHOD /path → status (ms)`, others as their message. */
function formatLine(name: string) {
  return (log: Record<string, unknown>) => {
    const parts = [`${name} ›`];
    if (log.msg === 'request')
      parts.push(`${log.method} ${log.path} → ${log.status} (${log.ms} ms)${log.actor ? ` by ${log.actor}` : ''}`);
    else parts.push(String(log.msg ?? ''));
    for (const key of ['ticketId', 'workflowId', 'taskQueue', 'url', 'err'])
      if (log[key]) parts.push(`${key}=${typeof log[key] === 'object' ? JSON.stringify(log[key]) : String(log[key])}`);
    return parts.join(' ');
  };
}

const root = path.resolve(__dirname, '../..');
const dataDir = path.resolve(process.env.GATEHOUSE_DATA_DIR || path.join(root, '.data'));
const port = Number(process.env.PORT || 3000);
const secret = process.env.AUTH_JWT_SECRET || DEV_JWT_SECRET;
/** Dev-only defaults of the local OpenID provider (docs/identity.md). */
const DEV_OIDC = {
  port: Number(process.env.OIDC_DEV_PORT || 3001),
  clientId: 'gatehouse-dashboard',
  /** `gatehouse login`'s client: public, device flow and refresh tokens. */
  cliClientId: 'gatehouse-cli',
  audience: 'urn:gatehouse:api',
  accessTokenTtl: Number(process.env.OIDC_DEV_TOKEN_TTL || 600),
  /** Shown on the provider's sign-in page, and refused there: what a leaver sees. */
  refused: { sub: 'eve', name: 'Eve Leaver', email: 'eve@example.com', groups: [], roles: [], refused: true },
};

const color = (code: number, s: string) => (process.stdout.isTTY ? `\x1b[${code}m${s}\x1b[0m` : s);
const say = (s: string) => console.log(`${color(36, '[dev]')} ${s}`);

type Stoppable = { name: string; stop: () => Promise<void> };
const running: Stoppable[] = [];

function startNode(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // pino-pretty writes to stdout itself.
  child.stdout!.pipe(
    pretty({
      colorize: process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,name',
      hideObject: true,
      messageFormat: formatLine(name),
    }),
  );
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`${color(31, `[${name}]`)} ${d}`));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping everything`);
      void shutdown(1);
    }
  });
  running.push({ name, stop: () => stack.stopChild(child, 40_000) });
  return child;
}

async function waitForHealth(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the gateway did not become healthy at ${url} within ${timeoutMs / 1000} s`);
}

async function seed(url: string, adminToken: string): Promise<void> {
  const call = async (method: string, p: string, body: unknown) => {
    const res = await fetch(url + p, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  };
  for (const app of DEMO_APPS) {
    const { id, ...body } = app;
    await call('PUT', `/apps/${id}`, body);
  }
  for (const user of Object.values(DEMO_USERS))
    await call('PUT', `/users/${user.sub}`, {
      name: user.name,
      email: user.email,
      roles: user.roles ?? [],
      groups: user.groups ?? [],
    });
}

let stopping = false;
async function shutdown(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const s of running.reverse()) {
    await s.stop().catch((err: unknown) => say(`${s.name}: ${String(err)}`));
  }
  say('stopped');
  process.exit(code);
}

/**
 * The dev-only OpenID provider with the demo people as its accounts, unless OIDC_ISSUER names another
 * provider (then that one is used as it is). Returns the gateway's OIDC_* settings.
 */
async function startOidcProvider(): Promise<Record<string, string>> {
  if (process.env.OIDC_ISSUER) return {};
  if (await stack.portOpen(DEV_OIDC.port))
    throw new Error(
      `port ${DEV_OIDC.port} is taken: set OIDC_DEV_PORT for the dev OpenID provider, or OIDC_ISSUER to use your own`,
    );
  say(`starting the dev OpenID provider on port ${DEV_OIDC.port} …`);
  const provider = await stack.startDevOidcProvider({
    port: DEV_OIDC.port,
    host: 'localhost',
    clientId: DEV_OIDC.clientId,
    cliClientId: DEV_OIDC.cliClientId,
    redirectUris: [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`],
    audience: DEV_OIDC.audience,
    accessTokenTtl: DEV_OIDC.accessTokenTtl,
    accounts: [...Object.values(DEMO_USERS), DEV_OIDC.refused],
  });
  running.push({ name: 'oidc-provider', stop: provider.stop });
  return {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: DEV_OIDC.clientId,
    OIDC_CLI_CLIENT_ID: DEV_OIDC.cliClientId,
    OIDC_AUDIENCE: DEV_OIDC.audience,
  };
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  fs.mkdirSync(dataDir, { recursive: true });

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let uiUrl = process.env.TEMPORAL_UI_URL;
  if (!temporalAddress) {
    if (await stack.portOpen(7233))
      throw new Error('port 7233 is taken: stop the other Temporal server, or set TEMPORAL_ADDRESS to use it');
    say('starting the Temporal dev server (SQLite in .data/temporal) …');
    const temporal = await stack.startTemporalDevServer({
      dbFile: path.join(dataDir, 'temporal', 'temporal.db'),
      port: 7233,
      uiPort: 8233,
    });
    running.push({ name: 'temporal', stop: temporal.stop });
    temporalAddress = temporal.address;
    uiUrl = temporal.uiUrl;
  }
  let mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) {
    if (await stack.portOpen(27017))
      throw new Error('port 27017 is taken: stop the other MongoDB, or set MONGODB_URI to use it');
    say('starting FerretDB (SQLite in .data/ferretdb) …');
    const ferret = await stack.startFerretDb({ dataDir: path.join(dataDir, 'ferretdb'), port: 27017 });
    running.push({ name: 'ferretdb', stop: ferret.stop });
    mongoUri = ferret.uri;
  }

  const oidcEnv = await startOidcProvider();

  // Demo tokens for the dashboard's one-click sign-in (served only because DEV_TOKENS_FILE is set).
  const tokens = Object.fromEntries(
    await Promise.all(Object.entries(DEMO_USERS).map(async ([k, claims]) => [k, await mintToken(secret, claims)])),
  );
  const tokensFile = path.join(dataDir, 'dev-tokens.json');
  fs.writeFileSync(
    tokensFile,
    JSON.stringify(
      {
        users: Object.entries(DEMO_USERS).map(([k, u]) => ({
          id: u.sub,
          name: u.name,
          role: DEMO_ROLES[k as keyof typeof DEMO_ROLES],
          token: tokens[k],
        })),
      },
      null,
      1,
    ),
  );

  const env = {
    DEV_TOKENS_FILE: tokensFile,
    TEMPORAL_ADDRESS: temporalAddress,
    MONGODB_URI: mongoUri,
    AUTH_JWT_SECRET: secret,
    ...oidcEnv,
    TEMPORAL_UI_URL: uiUrl ?? 'http://localhost:8233',
    PORT: String(port),
    // Dev default: the worker's Prometheus metrics (docs/operations.md, "Metrics and traces").
    WORKER_METRICS_ADDRESS: process.env.WORKER_METRICS_ADDRESS || '127.0.0.1:9464',
    ...(fs.existsSync(path.join(root, 'dashboard/dist/index.html'))
      ? { DASHBOARD_DIR: path.join(root, 'dashboard/dist') }
      : {}),
  };
  startNode('worker', 'services/worker/dist/main.js', env);
  startNode('gateway', 'services/gateway/dist/main.js', env);
  const url = `http://localhost:${port}`;
  await waitForHealth(url);

  await seed(url, tokens.admin);

  const line = '─'.repeat(78);
  console.log(
    `\n${line}\n ${color(1, 'Gatehouse is running')}${secret === DEV_JWT_SECRET ? color(33, '  (dev-only default AUTH_JWT_SECRET)') : ''}\n${line}`,
  );
  console.log(` API            ${url}`);
  console.log(` API docs       ${url}/docs   (OpenAPI: ${url}/docs-json)`);
  if (env.DASHBOARD_DIR) console.log(` Dashboard      ${url}/`);
  console.log(` Temporal UI    ${env.TEMPORAL_UI_URL}`);
  if (oidcEnv.OIDC_ISSUER)
    console.log(
      ` Single sign-on ${oidcEnv.OIDC_ISSUER}${process.env.OIDC_ISSUER ? '' : `  (dev-only OpenID provider: the demo people; ${DEV_OIDC.refused.sub} is refused)`}`,
    );
  console.log(` Metrics        ${url}/metrics (gateway), http://${env.WORKER_METRICS_ADDRESS}/metrics (worker)`);
  console.log(
    ` Data           ${path.relative(process.cwd(), dataDir) || '.'}  (kept across restarts; delete it to start over)`,
  );
  console.log(`\n Demo tokens (valid 12 h; \`npm run token -- <user>\` mints new ones):`);
  for (const [name, token] of Object.entries(tokens)) {
    console.log(
      `\n ${color(1, name)} — ${DEMO_ROLES[name as keyof typeof DEMO_ROLES]}\n   export ${name.toUpperCase()}_TOKEN=${token}`,
    );
  }
  console.log(
    `\n Try it:\n   curl -s ${url}/apps -H "Authorization: Bearer $ALICE_TOKEN"\n\n Ctrl-C stops everything.\n${line}\n`,
  );
}

main().catch(async (err: unknown) => {
  console.error(`${color(31, '[dev]')} ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
