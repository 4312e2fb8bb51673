/**
 * Where notifications go, read from the environment by the worker (sending) and the gateway (Slack's
 * requests). A channel without its settings is off; nothing else changes.
 *
 * | variable | meaning |
 * |---|---|
 * | `PUBLIC_URL` | base URL of the dashboard, for links in messages (default `http://localhost:3000`) |
 * | `SLACK_BOT_TOKEN` | bot token (`xoxb-…`) with `chat:write`, `users:read`, `users:read.email`: Slack messages on |
 * | `SLACK_API_URL` | Slack Web API base (default `https://slack.com/api`; tests point it at a fake) |
 * | `SLACK_SIGNING_SECRET` | gateway: verifies requests to `POST /slack/interactions` (absent: the endpoint answers 404) |
 * | `SMTP_URL` | `smtp://user:pass@host:port` or `smtps://…`: email on |
 * | `EMAIL_FROM` | sender of emails (default `Gatehouse <gatehouse@localhost>`) |
 * | `WEBHOOK_TIMEOUT_MS` | how long one webhook POST may take (default 10000) |
 * | `WEBHOOK_MAX_ATTEMPTS` | attempts before a delivery is failed (default 12: about an hour of backoff) |
 * | `OUTBOUND_ALLOWLIST` | production: non-public hosts, addresses or CIDRs that webhooks and Slack may reach (outbound.ts) |
 */
import {
  createOutboundHttp,
  loadOutboundPolicy,
  OutboundSettingsError,
  type OutboundHttp,
  type OutboundPolicy,
} from './outbound';

export interface NotifierSettings {
  publicUrl: string;
  slack: { token: string; apiUrl: string } | null;
  slackSigningSecret: string | null;
  email: { smtpUrl: string; from: string } | null;
  webhooks: { timeoutMs: number; maxAttempts: number };
  /** HTTP for webhooks and Slack, guarded in production; absent, the global fetch (settings built by hand in tests). */
  outbound?: OutboundHttp;
}

export class NotifierSettingsError extends Error {}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new NotifierSettingsError(`${name} must be an integer ≥ 1, got "${raw}"`);
  return value;
}

function urlOf(env: NodeJS.ProcessEnv, name: string, fallback: string | null): string | null {
  const raw = env[name] || fallback;
  if (!raw) return null;
  try {
    new URL(raw);
  } catch {
    throw new NotifierSettingsError(`${name} must be a URL, got "${raw}"`);
  }
  return raw.replace(/\/$/, '');
}

function outboundPolicy(env: NodeJS.ProcessEnv): OutboundPolicy {
  try {
    return loadOutboundPolicy(env);
  } catch (err) {
    if (err instanceof OutboundSettingsError) throw new NotifierSettingsError(err.message);
    throw err;
  }
}

export function loadNotifierSettings(
  env: NodeJS.ProcessEnv = process.env,
): NotifierSettings & { outbound: OutboundHttp } {
  const slackToken = env.SLACK_BOT_TOKEN || null;
  const smtpUrl = urlOf(env, 'SMTP_URL', null);
  return {
    publicUrl: urlOf(env, 'PUBLIC_URL', 'http://localhost:3000')!,
    slack: slackToken ? { token: slackToken, apiUrl: urlOf(env, 'SLACK_API_URL', 'https://slack.com/api')! } : null,
    slackSigningSecret: env.SLACK_SIGNING_SECRET || null,
    email: smtpUrl ? { smtpUrl, from: env.EMAIL_FROM || 'Gatehouse <gatehouse@localhost>' } : null,
    webhooks: {
      timeoutMs: positiveInt(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
      maxAttempts: positiveInt(env, 'WEBHOOK_MAX_ATTEMPTS', 12),
    },
    outbound: createOutboundHttp(outboundPolicy(env)),
  };
}
