import { loadNotifierSettings, NotifierSettingsError, type NotifierSettings } from '@gatehouse/notifiers';
import type { ListSource } from '@gatehouse/store';
import { loadOnCallSettings, type OnCallSettings } from './oncall/pagerduty-oncall';

/** Gateway configuration, from the environment, validated once at boot. */
export interface GatewayConfig {
  port: number;
  host: string;
  production: boolean;
  mongoUri: string;
  mongoDb: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  /** Base URL of the Temporal Web UI, for links from tickets to their workflows. */
  temporalUiUrl: string;
  /**
   * How long a workflow start and an Update may take before the caller gets 503. Updates may wait on an
   * activity (a seat, a revocation against a slow target), so theirs is longer.
   */
  temporalDeadlines: { startMs: number; updateMs: number };
  auth: {
    jwtSecret: string | null;
    jwksUrl: string | null;
    issuer: string | null;
    audience: string | null;
    /** True when the dev default secret is in use (never in production). */
    usingDevSecret: boolean;
    /**
     * OIDC_ISSUER: the `iss` that tokens verified by the JWKS must carry (unless AUTH_JWT_ISSUER is set), and,
     * without AUTH_JWKS_URL, where the JWKS is found (its discovery document's `jwks_uri`).
     */
    oidcIssuer?: string | null;
    /** OIDC_AUDIENCE: the `aud` that tokens verified by the JWKS must carry (unless AUTH_JWT_AUDIENCE is set). */
    oidcAudience?: string | null;
    /** Where a token's groups and roles are read, and which groups make an admin (docs/identity.md). */
    claims?: ClaimsMapping;
  };
  /** Single sign-on for the dashboard, offered at GET /auth/config; null when OIDC_ISSUER is not set. */
  oidc?: OidcSettings | null;
  /** Largest accepted request body. */
  bodyLimit: string;
  /** Requests per minute per caller, and how many callers one gateway remembers at once (its memory bound). */
  rateLimit: { perMinute: number; maxCallers: number };
  logLevel: string;
  /** Static files of the dashboard, served at `/` when present. */
  dashboardDir: string | null;
  /** `npm run dev` only: a file of demo tokens served at GET /dev/demo-tokens for one-click demo sign-in. */
  devTokensFile: string | null;
  /** Ticket numbers start after this (TCK-1001 by default). Deployments sharing a Temporal namespace need disjoint ranges. */
  ticketNumberStart: number;
  /** Slack's signing secret and Web API, the dashboard's public URL (docs/notifications.md). */
  notifier: NotifierSettings;
  /**
   * Where the lists with an in-memory index read: tracker tickets, audit log, admin grants (`LIST_SOURCE`,
   * formerly `TICKET_LIST_SOURCE`; absent: `auto`, memory on FerretDB, the database on MongoDB).
   */
  listSource?: ListSource;
  /** GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>` when set, and is open otherwise. */
  metricsToken?: string | null;
  /** Traces, when an OTLP endpoint is set (the standard `OTEL_*` variables); null: tracing off. */
  tracing?: TracingSettings | null;
  /** SCIM 2.0 at /scim/v2 (docs/identity.md). */
  directory?: DirectorySettings;
  /** PagerDuty on-call lookups for the access policies (docs/policy.md, "On-call"); off without a token. */
  onCall?: OnCallSettings;
}

export interface DirectorySettings {
  /** The bearer token the identity provider sends to /scim/v2 (`SCIM_TOKEN`); null: only tokens an admin issued. */
  scimToken: string | null;
  /** How long a gateway reuses a caller's directory entry (`DIRECTORY_CACHE_SECONDS`; 0: every request looks). */
  cacheMs: number;
}

export interface ClaimsMapping {
  /** AUTH_GROUPS_CLAIM: a claim name, or a dotted path into nested claims (`realm_access.groups`). */
  groups: string;
  /** AUTH_ROLES_CLAIM: likewise (`realm_access.roles` for Keycloak realm roles). */
  roles: string;
  /** AUTH_ADMIN_GROUPS: members of these groups get the `admin` role. */
  adminGroups: string[];
}

/** What the dashboard needs to sign in with the identity provider: public values only. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Space-separated, as OAuth sends them. */
  scopes: string;
  audience: string | null;
  /** OIDC_CLI_CLIENT_ID: the public client `gatehouse login` signs in as (device flow); null: the dashboard's. */
  cliClientId: string | null;
}

export interface TracingSettings {
  /** The `service.name` of the spans (OTEL_SERVICE_NAME; default `gatehouse-gateway`). */
  serviceName: string;
}

/** Dev-only default: signs the demo tokens `npm run dev` prints. Refused in production. */
export const DEV_JWT_SECRET = 'gatehouse-dev-secret-DO-NOT-USE-IN-PRODUCTION';

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  if (!raw) return null;
  try {
    new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`);
  }
  return raw;
}

function devTokensFile(env: NodeJS.ProcessEnv, production: boolean): string | null {
  const file = env.DEV_TOKENS_FILE || null;
  if (file && production)
    throw new ConfigError('DEV_TOKENS_FILE hands out tokens to anyone and is refused with NODE_ENV=production');
  return file;
}

function notifierSettings(env: NodeJS.ProcessEnv): NotifierSettings {
  try {
    return loadNotifierSettings(env);
  } catch (err) {
    if (err instanceof NotifierSettingsError) throw new ConfigError(err.message);
    throw err;
  }
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const jwksUrl = url(env, 'AUTH_JWKS_URL');
  const oidc = oidcSettings(env, production);
  let jwtSecret = env.AUTH_JWT_SECRET || null;
  if (jwtSecret !== null && jwtSecret.length < 32 && production) {
    throw new ConfigError('AUTH_JWT_SECRET must be at least 32 characters in production');
  }
  let usingDevSecret = false;
  if (!jwtSecret && !jwksUrl && !oidc) {
    if (production)
      throw new ConfigError(
        'NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (or OIDC_ISSUER): refusing to start without token verification',
      );
    jwtSecret = DEV_JWT_SECRET;
    usingDevSecret = true;
  }
  return {
    port: int(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    production,
    mongoUri: env.MONGODB_URI || 'mongodb://127.0.0.1:27017/',
    mongoDb: env.MONGODB_DB || 'gatehouse',
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'gatehouse-tickets',
    temporalUiUrl: (url(env, 'TEMPORAL_UI_URL') ?? 'http://localhost:8233').replace(/\/$/, ''),
    temporalDeadlines: { startMs: 5_000, updateMs: int(env, 'TEMPORAL_UPDATE_TIMEOUT_MS', 30_000, 1000) },
    auth: {
      // With a JWKS too, tokens are verified by their `alg`: HS256 with the secret, RS256/ES256 with the JWKS.
      jwtSecret,
      jwksUrl,
      issuer: env.AUTH_JWT_ISSUER || null,
      audience: env.AUTH_JWT_AUDIENCE || null,
      usingDevSecret,
      oidcIssuer: oidc?.issuer ?? null,
      oidcAudience: oidc?.audience ?? null,
      claims: claimsMapping(env),
    },
    oidc,
    bodyLimit: env.BODY_LIMIT || '64kb',
    rateLimit: { perMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 600, 1), maxCallers: 10_000 },
    logLevel: env.LOG_LEVEL || 'info',
    dashboardDir: env.DASHBOARD_DIR || null,
    ticketNumberStart: int(env, 'TICKET_NUMBER_START', 1000),
    devTokensFile: devTokensFile(env, production),
    notifier: notifierSettings(env),
    listSource: listSource(env),
    metricsToken: metricsToken(env),
    tracing: tracingSettings(env),
    directory: { scimToken: scimToken(env), cacheMs: int(env, 'DIRECTORY_CACHE_SECONDS', 10) * 1000 },
    onCall: onCallSettings(env),
  };
}

function onCallSettings(env: NodeJS.ProcessEnv): OnCallSettings {
  try {
    return loadOnCallSettings(env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function scimToken(env: NodeJS.ProcessEnv): string | null {
  const token = env.SCIM_TOKEN || null;
  if (token !== null && (token.length < 32 || /\s/.test(token)))
    throw new ConfigError('SCIM_TOKEN must be at least 32 characters, without spaces');
  return token;
}

function oidcSettings(env: NodeJS.ProcessEnv, production: boolean): OidcSettings | null {
  const issuer = url(env, 'OIDC_ISSUER');
  if (issuer === null) return null;
  const clientId = env.OIDC_CLIENT_ID;
  if (!clientId) throw new ConfigError('OIDC_CLIENT_ID is required with OIDC_ISSUER (the dashboard signs in as it)');
  const audience = env.OIDC_AUDIENCE || null;
  // An identity provider signs tokens for every application it serves: only the audience tells Gatehouse's apart.
  if (production && !audience && !env.AUTH_JWT_AUDIENCE)
    throw new ConfigError(
      'OIDC_ISSUER needs OIDC_AUDIENCE (or AUTH_JWT_AUDIENCE) in production: otherwise tokens the identity provider issues to any other application would be accepted',
    );
  const scopes = (env.OIDC_SCOPES || 'openid profile email groups').split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError(`OIDC_SCOPES must include openid, got "${env.OIDC_SCOPES}"`);
  return { issuer, clientId, scopes: scopes.join(' '), audience, cliClientId: env.OIDC_CLI_CLIENT_ID || null };
}

function claimsMapping(env: NodeJS.ProcessEnv): ClaimsMapping {
  const claim = (name: string, fallback: string) => {
    const value = env[name] || fallback;
    if (!/^[^\s]{1,200}$/.test(value))
      throw new ConfigError(`${name} must be a claim name or a dotted path, got "${value}"`);
    return value;
  };
  return {
    groups: claim('AUTH_GROUPS_CLAIM', 'groups'),
    roles: claim('AUTH_ROLES_CLAIM', 'roles'),
    adminGroups: (env.AUTH_ADMIN_GROUPS ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
  };
}

function metricsToken(env: NodeJS.ProcessEnv): string | null {
  const token = env.METRICS_TOKEN || null;
  if (token !== null && (token.length < 16 || /\s/.test(token)))
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters, without spaces');
  return token;
}

/** Tracing is on once an OTLP endpoint is set, unless the standard variables turn it off. */
function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | null {
  const exporter = env.OTEL_TRACES_EXPORTER || 'otlp';
  if (env.OTEL_SDK_DISABLED === 'true' || exporter === 'none') return null;
  if (exporter !== 'otlp') throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp or none, got "${exporter}"`);
  const name = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = url(env, name);
  if (endpoint === null) return null;
  // OTLP over HTTP: the exporter speaks nothing else.
  if (!/^https?:$/.test(new URL(endpoint).protocol))
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${endpoint}"`);
  return { serviceName: env.OTEL_SERVICE_NAME || 'gatehouse-gateway' };
}

/** `LIST_SOURCE`; `TICKET_LIST_SOURCE`, its name when it chose for tracker lists alone, is still read when it is unset. */
function listSource(env: NodeJS.ProcessEnv): ListSource {
  const name = env.LIST_SOURCE ? 'LIST_SOURCE' : env.TICKET_LIST_SOURCE ? 'TICKET_LIST_SOURCE' : null;
  const value = name ? env[name] : 'auto';
  if (value === 'auto' || value === 'memory' || value === 'database') return value;
  throw new ConfigError(`${name} must be auto, memory or database, got "${value}"`);
}
