// Starts the two servers Gatehouse needs, for `npm run dev`, the test suite and the benchmark.
// Plain CommonJS so it runs before anything is built.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const searchAttributes = require('../../workflows/src/search-attributes.json');

function binaries() {
  const bin = path.join(root, '.tools', 'bin');
  const temporal = process.env.TEMPORAL_BIN || path.join(bin, 'temporal');
  const ferretdb = process.env.FERRETDB_BIN || path.join(bin, 'ferretdb');
  for (const [name, file] of Object.entries({ temporal, ferretdb })) {
    if (!fs.existsSync(file)) {
      throw new Error(
        `${name} binary not found at ${file}: run \`npm run servers\` (or set ${name.toUpperCase()}_BIN)`,
      );
    }
  }
  return { temporal, ferretdb };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port, { timeoutMs = 60_000, child, name } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`${name} exited with code ${child.exitCode} before listening on :${port}`);
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name ?? 'server'} did not listen on :${port} within ${timeoutMs} ms`);
}

function stopChild(child, timeoutMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** FerretDB with its SQLite handler, data under `dataDir`. Resolves once it accepts connections. */
async function startFerretDb({ dataDir, port, log = 'ignore' } = {}) {
  const { ferretdb } = binaries();
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-ferretdb-'));
  fs.mkdirSync(dir, { recursive: true });
  const listenPort = port ?? (await freePort());
  const debugAddr = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    ferretdb,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${listenPort}`,
      `--debug-addr=${debugAddr}`,
      '--telemetry=disable',
      '--log-level=warn',
    ],
    { stdio: ['ignore', log, log] },
  );
  await waitForPort(listenPort, { child, name: 'FerretDB' });
  return {
    child,
    port: listenPort,
    dataDir: dir,
    uri: `mongodb://127.0.0.1:${listenPort}/`,
    debugUrl: `http://${debugAddr}`,
    stop: () => stopChild(child),
  };
}

function searchAttributeArgs() {
  return Object.entries(searchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}

/**
 * Dynamic config of every dev server we start (`npm run dev`, tests, bench), as `--dynamic-config-value`
 * arguments. Production servers set the same keys in their own dynamic config (docs/deployment.md).
 * - `frontend.enableExecuteMultiOperation`: update-with-start.
 * - `system.enableActivityEagerExecution`: a workflow task's completion hands the activities it scheduled
 *   straight back to its worker (the grant after an approval skips the task queue; docs/performance.md).
 */
const DEV_SERVER_DYNAMIC_CONFIG = [
  'frontend.enableExecuteMultiOperation=true',
  'system.enableActivityEagerExecution=true',
];

function dynamicConfigArgs() {
  return DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]);
}

/** The Temporal CLI dev server with a SQLite file, so workflows and timers survive a restart. */
async function startTemporalDevServer({ dbFile, port = 7233, uiPort = 8233, log = 'ignore' } = {}) {
  const { temporal } = binaries();
  if (dbFile) fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const child = spawn(
    temporal,
    [
      'server',
      'start-dev',
      '--ip=127.0.0.1',
      `--port=${port}`,
      `--ui-port=${uiPort}`,
      ...(dbFile ? [`--db-filename=${dbFile}`] : []),
      '--namespace=default',
      '--log-level=warn',
      ...dynamicConfigArgs(),
      ...searchAttributeArgs(),
    ],
    { stdio: ['ignore', log, log] },
  );
  await waitForPort(port, { child, name: 'Temporal dev server' });
  return { child, address: `127.0.0.1:${port}`, uiUrl: `http://localhost:${uiPort}`, stop: () => stopChild(child) };
}

/**
 * DEV ONLY: the local OpenID provider (tools/scripts/dev-oidc-provider.mjs, on `oidc-provider`) in its own
 * process, since it is an ES module and Jest runs CommonJS. `config` is what that script reads from
 * DEV_OIDC_CONFIG. Resolves once it listens, with its issuer URL.
 */
async function startDevOidcProvider(config) {
  const child = spawn(process.execPath, [path.join(__dirname, 'dev-oidc-provider.mjs')], {
    env: { ...process.env, DEV_OIDC_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let started = false;
  child.stderr.on('data', (d) => {
    const text = String(d);
    // oidc-provider warns about its in-memory store and the Node.js version: expected here.
    if (/oidc-provider WARNING/.test(text)) return;
    if (started) process.stderr.write(text);
    else stderr += text;
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the dev OpenID provider did not start within 30 s')), 30_000);
    child.stdout.on('data', (d) => {
      const match = /DEV_OIDC_LISTENING (\d+)/.exec(String(d));
      if (match) (clearTimeout(timer), (started = true), resolve(Number(match[1])));
    });
    child.once(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`the dev OpenID provider exited (${code}): ${stderr}`))),
    );
  });
  return { child, port, issuer: `http://${config.host ?? '127.0.0.1'}:${port}`, stop: () => stopChild(child) };
}

module.exports = {
  root,
  startDevOidcProvider,
  binaries,
  freePort,
  portOpen,
  waitForPort,
  stopChild,
  startFerretDb,
  startTemporalDevServer,
  searchAttributes,
  searchAttributeArgs,
  dynamicConfigArgs,
};
