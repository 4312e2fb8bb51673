/**
 * The production-like deployment, checked by structure: no Docker engine runs where the tests run, so
 * this reads docker-compose.yml, the two Dockerfiles and .dockerignore and holds them to what
 * docs/deployment.md promises. Where the `docker compose` client is installed, it must also accept
 * the file (it parses and interpolates without an engine).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

// ---------------------------------------------------------------- compose model and small parsers

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: unknown;
  environment?: Env | string[];
  ports?: Array<string | number | { target: number | string; published?: number | string; host_ip?: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  container_name?: string;
  stop_grace_period?: string;
  entrypoint?: string | string[];
  command?: string | string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** `environment:` as a map, whichever of the two compose forms the file uses. */
function envOf(service: Service): Env {
  const env = service.environment ?? {};
  if (!Array.isArray(env))
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
  return Object.fromEntries(
    env.map((entry) => {
      const i = entry.indexOf('=');
      return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
    }),
  );
}

/** What is wrong with an image reference's tag, or null when it is pinned. */
function imageTagProblem(image: string): string | null {
  const name = image.split('@')[0];
  const lastPart = name.slice(name.lastIndexOf('/') + 1); // a registry's `host:port/` is not a tag
  const colon = lastPart.indexOf(':');
  if (colon < 0) return `${image} has no tag`;
  const tag = lastPart.slice(colon + 1);
  if (!tag || tag === 'latest') return `${image} uses "${tag || '(empty)'}"`;
  if (tag.includes('$')) return `${image} takes its tag from the environment`;
  return null;
}

/** `${VAR:-default}` read as its default: the tag a built image gets unless the operator names one. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
}

interface Published {
  hostIp?: string;
  /** undefined: Docker picks a host port, which still publishes one. */
  hostPort?: string;
  containerPort: string;
}

/** Both port syntaxes (`[ip:]host:container[/proto]`, a bare container port, or the long form). */
function publishedPorts(service: Service): Published[] {
  return (service.ports ?? []).map((spec) => {
    if (typeof spec === 'object') {
      return {
        hostIp: spec.host_ip,
        hostPort: spec.published === undefined ? undefined : String(spec.published),
        containerPort: String(spec.target),
      };
    }
    const parts = String(spec)
      .replace(/\/(tcp|udp|sctp)$/, '')
      .split(':');
    if (parts.length === 1) return { containerPort: parts[0] };
    if (parts.length === 2) return { hostPort: parts[0], containerPort: parts[1] };
    return {
      hostIp: parts.slice(0, -2).join(':'),
      hostPort: parts[parts.length - 2],
      containerPort: parts[parts.length - 1],
    };
  });
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep?.condition ?? 'service_started']));
}

/** Compose durations: `45s`, `1m30s`, `2m`, `1h`, `500ms`. */
function durationSeconds(value: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s|us)/g;
  if (!/^(\d+(\.\d+)?(ms|h|m|s|us))+$/.test(value)) throw new Error(`not a duration: ${value}`);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  let total = 0;
  for (const match of value.matchAll(re)) total += Number(match[1]) * unit[match[2]];
  return total;
}

/** A value that passes `NAME` through from the operator's environment, with no non-empty default. */
function isPassThrough(value: string | undefined, name: string): boolean {
  return value !== undefined && new RegExp(`^\\$\\{${name}(:?-)?\\}$`).test(value);
}

// ---------------------------------------------------------------- Dockerfile model

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions with continuations joined and comments dropped; `stage` counts FROMs from 0. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (current && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  if (current.trim()) logical.push(current);
  let stage = -1;
  return logical.map((line) => {
    const [op, ...rest] = line.split(/\s+/);
    if (op.toUpperCase() === 'FROM') stage += 1;
    return { op: op.toUpperCase(), args: rest.join(' ').trim(), stage };
  });
}

function envOfStage(instructions: Instruction[], stage: number): Env {
  const env: Env = {};
  for (const { args } of instructions.filter((i) => i.stage === stage && i.op === 'ENV')) {
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g))
      env[match[1]] = match[2].replace(/^"|"$/g, '');
  }
  return env;
}

function finalStage(instructions: Instruction[]): number {
  return Math.max(...instructions.map((i) => i.stage));
}

function lastUser(instructions: Instruction[]): string | undefined {
  const users = instructions.filter((i) => i.op === 'USER' && i.stage === finalStage(instructions));
  return users.length ? users[users.length - 1].args : undefined;
}

// ---------------------------------------------------------------- the checks themselves can fail

describe('the structural checks catch what they are for', () => {
  it('an untagged, latest or registry-port-only image is not pinned; a tagged one is', () => {
    expect(imageTagProblem('postgres')).toMatch(/no tag/);
    expect(imageTagProblem('mongo:latest')).toMatch(/latest/);
    expect(imageTagProblem('registry.local:5000/gatehouse')).toMatch(/no tag/);
    expect(imageTagProblem('temporalio/ui:${UI_TAG}')).toMatch(/environment/);
    expect(imageTagProblem('registry.local:5000/gatehouse:1.2.3')).toBeNull();
    expect(imageTagProblem(withDefaults('gatehouse-worker:${TAG:-latest}'))).toMatch(/latest/);
    expect(imageTagProblem(withDefaults('gatehouse-worker:${TAG:-local}'))).toBeNull();
  });

  it('ports in every syntax are read as published', () => {
    expect(
      publishedPorts({ ports: ['127.0.0.1:8233:8080', '3000:3000', '9000', { target: 80, published: 8080 }] }),
    ).toEqual([
      { hostIp: '127.0.0.1', hostPort: '8233', containerPort: '8080' },
      { hostPort: '3000', containerPort: '3000' },
      { containerPort: '9000' },
      { hostIp: undefined, hostPort: '8080', containerPort: '80' },
    ]);
  });

  it('a defaulted secret is not a pass-through, durations are read, single-stage root images are seen', () => {
    expect(isPassThrough('${AUTH_JWT_SECRET:-changeme}', 'AUTH_JWT_SECRET')).toBe(false);
    expect(isPassThrough('hard-coded', 'GITHUB_TOKEN')).toBe(false);
    expect(isPassThrough('${GITHUB_TOKEN:-}', 'GITHUB_TOKEN')).toBe(true);
    expect(durationSeconds('1m30s')).toBe(90);
    expect(() => durationSeconds('soon')).toThrow();
    const single = parseDockerfile('FROM node:20-bookworm-slim\nRUN echo \\\n  hi\nUSER node\nUSER root\n');
    expect(finalStage(single)).toBe(0);
    expect(lastUser(single)).toBe('root');
    expect(envOf({ environment: ['A=1', 'B=x=y'] })).toEqual({ A: '1', B: 'x=y' });
  });
});

// ---------------------------------------------------------------- docker-compose.yml

describe('docker-compose.yml', () => {
  const compose = yaml.load(read('docker-compose.yml')) as Compose;
  const services = compose.services;
  const searchAttributes = JSON.parse(read('workflows/src/search-attributes.json')) as Record<string, string>;

  const postgresName = ['postgresql', 'postgres'].find((name) => services[name]) ?? 'postgresql';
  const setupName =
    Object.keys(services).find((name) => (services[name].image ?? '').startsWith('temporalio/admin-tools:')) ??
    'temporal-admin-tools';
  const longRunning = ['temporal', postgresName, 'temporal-ui', 'mongo', 'gateway', 'worker'];

  it('loads and has every service of the stack', () => {
    expect(typeof services).toBe('object');
    for (const name of [...longRunning, setupName]) expect(Object.keys(services)).toContain(name);
  });

  it('pins every image to a tag, never latest', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image === undefined) {
        expect({ service: name, builds: service.build !== undefined }).toEqual({ service: name, builds: true });
        continue;
      }
      // An image that is built here is only named by `image:`; its tag may come from the environment.
      const image = service.build === undefined ? service.image : withDefaults(service.image);
      expect({ service: name, problem: imageTagProblem(image) }).toEqual({ service: name, problem: null });
    }
  });

  it('runs Temporal 1.29 on PostgreSQL 16, MongoDB 7, and the UI and admin tools of that Temporal', () => {
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:1\.29\.\d+/);
    expect(services[postgresName].image).toMatch(/^postgres:16(\.\d+)?(-[a-z]+)?$/);
    expect(services.mongo.image).toMatch(/^mongo:7(\.\d+){0,2}(-[a-z]+)?$/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+/);
    expect(services[setupName].image).toMatch(/^temporalio\/admin-tools:1\.29\.\d+/);
    const temporalEnv = envOf(services.temporal);
    expect(temporalEnv.DB).toMatch(/^postgres12/);
    expect(temporalEnv.POSTGRES_SEEDS).toBe(postgresName);
  });

  it('builds gateway and worker from their Dockerfiles with the repository root as context', () => {
    for (const name of ['gateway', 'worker']) {
      expect(services[name].build).toEqual({ context: '.', dockerfile: `services/${name}/Dockerfile` });
    }
  });

  it('publishes the gateway on 3000 and the UI on 8233, and nothing else but Temporal 7233', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      publishedPorts(service).map((port) => ({ name, ...port })),
    );
    expect(published).toContainEqual(
      expect.objectContaining({ name: 'gateway', hostPort: '3000', containerPort: '3000' }),
    );
    expect(published).toContainEqual(
      expect.objectContaining({ name: 'temporal-ui', hostPort: '8233', containerPort: '8080' }),
    );
    for (const port of published) {
      const allowed =
        (port.name === 'gateway' && port.hostPort === '3000') ||
        (port.name === 'temporal-ui' && port.hostPort === '8233') ||
        (port.name === 'temporal' && port.hostPort === '7233' && port.containerPort === '7233');
      expect({ ...port, allowed }).toEqual({ ...port, allowed: true });
    }
  });

  it('lets workers scale: no container name, no published port', () => {
    expect(services.worker.container_name).toBeUndefined();
    expect(services.worker.ports ?? []).toEqual([]);
    expect(services.gateway.container_name).toBeUndefined();
  });

  const shared = {
    TEMPORAL_ADDRESS: 'temporal:7233',
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'gatehouse-tickets',
    MONGODB_URI: 'mongodb://mongo:27017/',
    MONGODB_DB: 'gatehouse',
    NODE_ENV: 'production',
  };

  it('configures the gateway, and requires AUTH_JWT_SECRET from the operator with no default', () => {
    const env = envOf(services.gateway);
    expect(env).toMatchObject({ ...shared, PORT: '3000', HOST: '0.0.0.0', TEMPORAL_UI_URL: 'http://localhost:8233' });
    expect(env.AUTH_JWT_SECRET).toMatch(/^\$\{AUTH_JWT_SECRET:?\?[^}]*\}$/);
    for (const name of [
      'AUTH_JWKS_URL',
      'AUTH_JWT_ISSUER',
      'AUTH_JWT_AUDIENCE',
      'OIDC_ISSUER',
      'OIDC_CLIENT_ID',
      'OIDC_CLI_CLIENT_ID',
    ]) {
      expect({ name, passThrough: isPassThrough(env[name], name) }).toEqual({ name, passThrough: true });
    }
    expect(read('docker-compose.yml')).not.toMatch(/AUTH_JWT_SECRET:-/);
    // The identity provider's inbound SCIM token is the gateway's alone: a worker given it could send it to a
    // target application whose connector names SCIM_TOKEN.
    expect(isPassThrough(env.SCIM_TOKEN, 'SCIM_TOKEN')).toBe(true);
    expect('SCIM_TOKEN' in envOf(services.worker)).toBe(false);
  });

  it('configures the worker, gives it the connector secrets, and a stop timeout longer than its drain', () => {
    const env = envOf(services.worker);
    expect(env).toMatchObject({ ...shared, WORKER_SHUTDOWN_GRACE_SECONDS: '30' });
    for (const name of ['GITHUB_TOKEN', 'SLACK_BOT_TOKEN', 'SALESFORCE_TOKEN', 'SCIM_APP_TOKEN']) {
      expect({ name, passThrough: isPassThrough(env[name], name) }).toEqual({ name, passThrough: true });
      // Only workers hold target applications' credentials (docs/architecture.md).
      expect({ name, onGateway: name in envOf(services.gateway) }).toEqual({ name, onGateway: false });
    }
    expect(services.worker.stop_grace_period).toBeDefined();
    expect(durationSeconds(services.worker.stop_grace_period!)).toBeGreaterThan(
      Number(env.WORKER_SHUTDOWN_GRACE_SECONDS),
    );
  });

  it('starts each service only once what it needs is healthy, and the apps only after the attributes are registered', () => {
    const expected: Record<string, Record<string, string>> = {
      temporal: { [postgresName]: 'service_healthy' },
      [setupName]: { temporal: 'service_healthy' },
      'temporal-ui': { temporal: 'service_healthy' },
      gateway: { temporal: 'service_healthy', mongo: 'service_healthy', [setupName]: 'service_completed_successfully' },
      worker: { temporal: 'service_healthy', mongo: 'service_healthy', [setupName]: 'service_completed_successfully' },
    };
    for (const [name, deps] of Object.entries(expected)) {
      expect({ service: name, depends_on: dependsOn(services[name]) }).toEqual({
        service: name,
        depends_on: expect.objectContaining(deps),
      });
    }
    // A service_healthy dependency needs a healthcheck to become healthy at all.
    for (const name of ['temporal', postgresName, 'mongo', 'gateway']) {
      const check = services[name].healthcheck;
      expect({ service: name, hasHealthcheck: Boolean(check?.test) && !check?.disable }).toEqual({
        service: name,
        hasHealthcheck: true,
      });
    }
  });

  it('restarts long-running services, never the one-shot setup job', () => {
    for (const name of longRunning) {
      expect({ service: name, restart: services[name].restart }).toEqual({
        service: name,
        restart: expect.stringMatching(/^(always|unless-stopped|on-failure(:\d+)?)$/),
      });
    }
    expect(services[setupName].restart ?? 'no').toMatch(/^(no|on-failure(:\d+)?)$/);
  });

  it('keeps PostgreSQL and MongoDB data in named volumes', () => {
    for (const [name, dataDir] of [
      [postgresName, '/var/lib/postgresql/data'],
      ['mongo', '/data/db'],
    ]) {
      const mount = (services[name].volumes ?? [])
        .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
        .find((v) => v.target === dataDir);
      expect({ service: name, mount: mount?.source }).toEqual({
        service: name,
        mount: expect.stringMatching(/^[A-Za-z0-9][\w.-]*$/),
      });
      expect(Object.keys(compose.volumes ?? {})).toContain(mount!.source);
    }
  });

  it('registers every search attribute of workflows/src/search-attributes.json, with its type, against temporal:7233', () => {
    const job = services[setupName];
    const script = [job.entrypoint, job.command].flat().filter(Boolean).join('\n');
    const jobEnv = envOf(job);
    expect(Object.keys(searchAttributes).length).toBeGreaterThan(0);
    expect(script).toMatch(/temporal operator search-attribute create/);
    expect(jobEnv.TEMPORAL_ADDRESS === 'temporal:7233' || script.includes('--address temporal:7233')).toBe(true);
    // An existing attribute is tolerated by a check in the script, not only mentioned in a message.
    const tolerates = script.split('\n').some((line) => /already exists/i.test(line) && !/^\s*echo\b/.test(line));
    expect(tolerates).toBe(true);
    for (const [name, type] of Object.entries(searchAttributes)) {
      // The attribute and its type on one line (`--name X --type T`, or a helper called as `X T`).
      const line = new RegExp(`\\b${name}\\b[^\\n]*\\b${type}\\b`);
      expect({ name, type, registered: line.test(script) }).toEqual({ name, type, registered: true });
    }
  });
});

// ---------------------------------------------------------------- Dockerfiles and .dockerignore

const workspaces = [
  'domain',
  'store',
  'workflows',
  'activities',
  'connectors',
  'services/gateway',
  'services/worker',
  'tools',
  'cli',
  'test',
];

describe.each([
  ['gateway', 'services/gateway/Dockerfile'],
  ['worker', 'services/worker/Dockerfile'],
])('the %s image', (name, file) => {
  const text = fs.existsSync(path.join(root, file)) ? read(file) : '';
  const instructions = parseDockerfile(text);
  const last = finalStage(instructions);

  it('exists and is multi-stage on a pinned node 20 bookworm-slim', () => {
    expect(text).not.toBe('');
    const froms = instructions.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const image = from.args.split(/\s+/)[0];
      expect({ image, problem: imageTagProblem(image) }).toEqual({ image, problem: null });
      expect(image).toMatch(/^node:20(\.\d+){0,2}-bookworm-slim$/);
    }
  });

  it('installs from the manifests before copying the sources, builds, then drops dev dependencies', () => {
    const build = instructions.filter((i) => i.stage === 0);
    const npmCi = build.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    const copyAll = build.findIndex((i) => i.op === 'COPY' && /^\.\s+\.\/?$/.test(i.args));
    expect(npmCi).toBeGreaterThan(-1);
    expect(copyAll).toBeGreaterThan(npmCi);
    for (const workspace of ['.', ...workspaces]) {
      const manifest = workspace === '.' ? 'package.json' : `${workspace}/package.json`;
      const at = build.findIndex((i) => i.op === 'COPY' && i.args.split(/\s+/).slice(0, -1).includes(manifest));
      expect({ manifest, beforeNpmCi: at > -1 && at < npmCi }).toEqual({ manifest, beforeNpmCi: true });
    }
    const runs = build
      .slice(copyAll)
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join(' && ');
    expect(runs).toMatch(/npm run build/);
    expect(runs).toMatch(/npm prune --omit=dev/);
    expect(runs.indexOf('npm prune')).toBeGreaterThan(runs.indexOf('npm run build'));
  });

  it('ships node_modules and the workspaces in their own folders, runs as a non-root user in production mode', () => {
    const runtime = instructions.filter((i) => i.stage === last);
    const copied = runtime.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=')).map((i) => i.args);
    expect(copied.some((args) => /\/app\/node_modules\s+\.?\/?node_modules\/?$/.test(args))).toBe(true);
    for (const workspace of workspaces) {
      expect({ workspace, manifest: copied.some((args) => args.includes(`/app/${workspace}/package.json`)) }).toEqual({
        workspace,
        manifest: true,
      });
    }
    expect(copied.some((args) => args.includes(`/app/services/${name}/dist`))).toBe(true);
    expect(runtime.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
    expect(envOfStage(instructions, last).NODE_ENV).toBe('production');
    const user = lastUser(instructions);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:.*)?$/);
    const lastUserAt = instructions.lastIndexOf(instructions.filter((i) => i.op === 'USER').pop()!);
    expect(instructions.slice(lastUserAt + 1).some((i) => i.op === 'USER' || i.op === 'FROM')).toBe(false);
    const cmd = instructions.filter((i) => i.op === 'CMD').pop();
    expect(cmd && JSON.parse(cmd.args)).toEqual(['node', `services/${name}/dist/main.js`]);
  });

  if (name === 'gateway') {
    it('exposes 3000, checks /health with node (no curl in slim) and never ships connectors', () => {
      const runtime = instructions.filter((i) => i.stage === last);
      expect(runtime.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes('3000'))).toBe(true);
      const health = runtime.find((i) => i.op === 'HEALTHCHECK');
      expect(health?.args).toMatch(/"node"/);
      expect(health?.args).toMatch(/\/health/);
      expect(runtime.some((i) => i.op === 'COPY' && i.args.includes('/app/connectors/dist'))).toBe(false);
    });
  } else {
    it('prebuilds the workflow bundle and points WORKFLOW_BUNDLE_PATH at it', () => {
      const bundle = 'services/worker/dist/workflow-bundle.js';
      const buildRuns = instructions
        .filter((i) => i.stage < last && i.op === 'RUN')
        .map((i) => i.args)
        .join(' ');
      expect(buildRuns).toMatch(/node services\/worker\/dist\/bundle\.js services\/worker\/dist\/workflow-bundle\.js/);
      const env = envOfStage(instructions, last);
      expect(env.WORKFLOW_BUNDLE_PATH).toBeDefined();
      expect(env.WORKFLOW_BUNDLE_PATH.endsWith(bundle)).toBe(true);
      expect(instructions.filter((i) => i.stage === last && i.op === 'EXPOSE')).toEqual([]);
    });
  }
});

describe('.dockerignore', () => {
  it('keeps build output, dependencies, local state and secrets out of the context, in every workspace', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    // `dist` alone would match only the root folder; a stale dist/.tsbuildinfo would make tsc skip the build.
    for (const nested of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '**/coverage', '**/*.log'])
      expect(patterns).toContain(nested);
    for (const top of ['.tools', '.data', '.nx', '.git', '.env'])
      expect(patterns.some((p) => p === top || p === `**/${top}`)).toBe(true);
    for (const dir of ['test-results', 'bench-results'])
      expect(patterns.some((p) => p === dir || p === `**/${dir}`)).toBe(true);
  });
});

// ---------------------------------------------------------------- the real parser, where installed

function composeCli(): boolean {
  const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 20_000 });
  return !probe.error && probe.status === 0;
}

const withComposeCli = composeCli() ? it : it.skip;

describe('docker compose config (skipped where the docker compose client is not installed)', () => {
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], {
      cwd: root,
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
  const baseEnv = () => {
    const env = { ...process.env };
    delete env.AUTH_JWT_SECRET;
    return env;
  };

  withComposeCli('accepts the file when AUTH_JWT_SECRET is set', () => {
    const result = run({ ...baseEnv(), AUTH_JWT_SECRET: 'x' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  });

  withComposeCli('refuses it when AUTH_JWT_SECRET is missing', () => {
    const result = run(baseEnv());
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/AUTH_JWT_SECRET/);
  });
});
