/**
 * A whole Gatehouse (gateway on a random port + worker) on the test servers, with its own database and
 * task queue, and an HTTP client that speaks to it as a given user.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createGateway, loadGatewayConfig, type Gateway } from '@gatehouse/gateway';
import type { Store } from '@gatehouse/store';
import { mintToken, type TokenClaims } from '@gatehouse/tools';
import type { App } from '@gatehouse/domain';
import { openTestStore, startTestWorker, testTemporalAddress, uniqueId, type RunningWorker } from './harness';
import type { GatehouseWorkerOptions } from '@gatehouse/worker';

export const TEST_SECRET = 'test-secret-for-gatehouse-e2e-0123456789';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestStack {
  url: string;
  store: Store;
  gateway: Gateway;
  worker: RunningWorker;
  token(claims: TokenClaims): Promise<string>;
  as(claims: TokenClaims | string): Client;
  stop(): Promise<void>;
}

export interface Client {
  get<T = any>(path: string, headers?: Record<string, string>): Promise<HttpResult<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>>;
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>>;
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpResult<T>>;
}

export const users = {
  alice: { sub: 'alice', name: 'Alice Requester', email: 'alice@example.com', roles: [], groups: ['engineering'] },
  bob: { sub: 'bob', name: 'Bob Beneficiary', roles: [], groups: [] },
  carol: { sub: 'carol', name: 'Carol Lead', roles: [], groups: ['leads'] },
  dave: { sub: 'dave', name: 'Dave IT', roles: [], groups: ['it-admins'] },
  erin: { sub: 'erin', name: 'Erin IT', roles: [], groups: ['it-admins'] },
  mallory: { sub: 'mallory', name: 'Mallory Outsider', roles: [], groups: ['sales'] },
  root: { sub: 'root', name: 'Root Admin', roles: ['admin'], groups: [] },
} satisfies Record<string, TokenClaims>;

export async function startTestStack(
  options: {
    worker?: Partial<GatehouseWorkerOptions>;
    env?: Record<string, string>;
    logger?: Logger;
    /** Where the gateway listens (default: any free port), for tests that must name its URL before it starts. */
    port?: number;
  } = {},
): Promise<TestStack> {
  const store = await openTestStore();
  const worker = await startTestWorker(store, options.worker ?? {});
  const config = loadGatewayConfig({
    AUTH_JWT_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: worker.taskQueue,
    LOG_LEVEL: 'silent',
    // Every test database numbers its tickets from 1, and workflow id = ticket id in one shared namespace:
    // each stack gets its own range so test files never start workflows with each other's ids.
    TICKET_NUMBER_START: String(1_000_000 + Math.floor(Math.random() * 1e12)),
    ...options.env,
  });
  const gateway = await createGateway(config, { store, logger: options.logger });
  await gateway.app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = (gateway.app.getHttpServer() as Server).address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const tokens = new Map<string, string>();

  async function token(claims: TokenClaims): Promise<string> {
    const key = JSON.stringify(claims);
    if (!tokens.has(key)) tokens.set(key, await mintToken(TEST_SECRET, claims));
    return tokens.get(key)!;
  }

  function as(who: TokenClaims | string): Client {
    const claims = typeof who === 'string' ? null : who;
    const request = async <T>(
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ): Promise<HttpResult<T>> => {
      const auth = typeof who === 'string' ? who : `Bearer ${await token(claims!)}`;
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(auth ? { authorization: auth } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (docs page)
      }
      return { status: res.status, body: parsed as T, headers: res.headers };
    };
    return {
      request,
      get: (path, headers) => request('GET', path, undefined, headers),
      post: (path, body, headers) => request('POST', path, body ?? {}, headers),
      put: (path, body, headers) => request('PUT', path, body, headers),
    };
  }

  return {
    url,
    store,
    gateway,
    worker,
    token,
    as,
    async stop() {
      await gateway.app.close();
      await worker.stop();
      await store.close();
    },
  };
}

/** An app body for PUT /apps/:id, modelled on a GitHub org with a lead step and an optional second step. */
export function appBody(
  overrides: Partial<Omit<App, 'id' | 'policy'>> & { policy?: Partial<App['policy']> } = {},
): Omit<App, 'id'> {
  const { policy, ...rest } = overrides;
  return {
    name: 'GitHub',
    connector: { type: 'demo', config: {} },
    entitlements: [
      { id: 'engineering-team', kind: 'group', name: 'engineering-team', description: 'All engineers' },
      { id: 'maintainer', kind: 'role', name: 'Maintainer' },
      {
        id: 'prod-deploy',
        kind: 'permission',
        name: 'Production deploy',
        fields: [
          { key: 'jira', label: 'Jira ticket', type: 'string', required: true, pattern: '^[A-Z]+-[0-9]+$' },
          { key: 'env', label: 'Environment', type: 'enum', options: ['eu', 'us'] },
        ],
      },
    ],
    licenses: [],
    ...rest,
    policy: {
      requireReason: true,
      maxDurationSeconds: 30 * 86400,
      approval: { steps: [{ name: 'Team lead', approvers: ['user:carol', 'group:it-admins'], minApprovals: 1 }] },
      ...policy,
    },
  };
}

/**
 * An app on the GitHub connector (the fake at `githubUrl`, its token in `tokenEnv`) with two teams, `platform`
 * and `ops`, whose single step carol approves; `policy` adds to or replaces that policy's fields.
 */
export function githubTeamsApp(
  githubUrl: string,
  tokenEnv: string,
  policy: Partial<App['policy']> = {},
): Parameters<typeof appBody>[0] {
  return {
    connector: { type: 'github', config: { org: 'acme', baseUrl: githubUrl, tokenEnv } },
    entitlements: [
      { id: 'platform', kind: 'group', name: 'Platform team' },
      { id: 'ops', kind: 'group', name: 'Ops team' },
    ],
    policy: {
      requireReason: false,
      approval: { steps: [{ name: 'Lead', approvers: ['user:carol'], minApprovals: 1 }] },
      ...policy,
    },
  };
}

export async function createApp(stack: TestStack, overrides: Parameters<typeof appBody>[0] = {}): Promise<string> {
  const id = uniqueId('app-');
  const res = await stack.as(users.root).put(`/apps/${id}`, appBody(overrides));
  if (res.status !== 201) throw new Error(`PUT /apps failed: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}

export function inHours(h: number, from = Date.now()): string {
  return new Date(from + h * 3600_000).toISOString();
}
