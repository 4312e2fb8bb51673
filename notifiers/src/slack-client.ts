/**
 * The few Slack Web API methods notifications use, over fetch (docs.slack.dev/reference/methods): a
 * `POST <apiUrl>/<method>` with the bot token as a bearer token, a JSON body for the `chat.*` writes and a
 * form-encoded one for the `users.*` reads (the content type every method accepts). Slack answers HTTP
 * 200 with `{ ok: false, error }` for API errors and HTTP 429 with `Retry-After` (seconds) when rate limited.
 *
 * Errors say whether another attempt may succeed; callers own retries (Temporal for the worker).
 */
import type { SlackBlock } from './slack-messages';

const DEFAULT_TIMEOUT_MS = 10_000;

/** Slack errors a later attempt may not get (docs.slack.dev/reference/methods, "Errors"). */
const TRANSIENT_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

export class SlackApiError extends Error {
  constructor(
    readonly method: string,
    /** Slack's `error` (`channel_not_found`, `invalid_auth`…), or `http_<status>` / `unreachable`. */
    readonly error: string,
    readonly retryable: boolean,
    /** Rate limited: how long Slack asked us to wait. */
    readonly retryAfterMs?: number,
    detail?: string,
  ) {
    super(
      `Slack ${method} failed: ${error}${detail ? ` (${detail})` : ''}${retryAfterMs !== undefined ? `; Slack asks to retry after ${Math.round(retryAfterMs / 1000)} s` : ''}`,
    );
    this.name = 'SlackApiError';
  }
}

export interface SlackUser {
  id: string;
  /** Present with the `users:read.email` scope. */
  email: string | null;
  deleted: boolean;
  isBot: boolean;
}

export interface SlackClientOptions {
  token: string;
  /** `https://slack.com/api`, or a test server. */
  apiUrl: string;
  timeoutMs?: number;
  /** The outbound guard's fetch (`OutboundHttp`); absent, the global one. */
  fetch?: typeof fetch;
}

interface SlackUserJson {
  id?: unknown;
  deleted?: unknown;
  is_bot?: unknown;
  profile?: { email?: unknown };
}

function userOf(json: SlackUserJson | undefined): SlackUser | null {
  if (!json || typeof json.id !== 'string') return null;
  return {
    id: json.id,
    email: typeof json.profile?.email === 'string' ? json.profile.email : null,
    deleted: json.deleted === true,
    isBot: json.is_bot === true,
  };
}

export class SlackClient {
  private readonly base: string;

  constructor(private readonly options: SlackClientOptions) {
    this.base = options.apiUrl.replace(/\/$/, '');
  }

  /** One Web API call; resolves with Slack's answer when `ok` is true. */
  async call<T extends Record<string, unknown>>(
    method: string,
    args: Record<string, unknown>,
    encoding: 'json' | 'form' = 'json',
  ): Promise<T> {
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(`${this.base}/${method}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.token}`,
          'content-type': encoding === 'json' ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded',
        },
        body:
          encoding === 'json' ? JSON.stringify(args) : new URLSearchParams(args as Record<string, string>).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (err) {
      throw new SlackApiError(method, 'unreachable', true, undefined, (err as Error)?.message);
    }
    if (res.status === 429) {
      const seconds = Number(res.headers.get('retry-after'));
      await res.body?.cancel();
      throw new SlackApiError(
        method,
        'ratelimited',
        true,
        Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new SlackApiError(method, `http_${res.status}`, res.status >= 500 || res.status === 408);
    }
    const body = (await res.json().catch(() => null)) as
      ({ ok?: unknown; error?: unknown; needed?: unknown } & T) | null;
    if (!body || typeof body !== 'object') throw new SlackApiError(method, 'invalid_response', true);
    if (body.ok !== true) {
      const error = typeof body.error === 'string' ? body.error : 'unknown_error';
      throw new SlackApiError(
        method,
        error,
        TRANSIENT_ERRORS.has(error),
        undefined,
        typeof body.needed === 'string' ? `needs scope ${body.needed}` : undefined,
      );
    }
    return body;
  }

  /** Posts a message; `channel` may be a user id (`U…`), which posts to the app's DM with them. */
  async postMessage(args: {
    channel: string;
    text: string;
    blocks?: SlackBlock[];
  }): Promise<{ channel: string; ts: string }> {
    const res = await this.call<{ channel: string; ts: string }>('chat.postMessage', { ...args, unfurl_links: false });
    return { channel: res.channel, ts: res.ts };
  }

  /** Replaces a message; `channel` must be the conversation id (a DM's `D…`, not the user's id). */
  async update(args: { channel: string; ts: string; text: string; blocks: SlackBlock[] }): Promise<void> {
    await this.call('chat.update', args);
  }

  /** A message only `user` sees, in `channel`. */
  async postEphemeral(args: { channel: string; user: string; text: string }): Promise<void> {
    await this.call('chat.postEphemeral', args);
  }

  /** The workspace member with this email, or null when there is none. */
  async lookupByEmail(email: string): Promise<SlackUser | null> {
    try {
      return userOf((await this.call<{ user: SlackUserJson }>('users.lookupByEmail', { email }, 'form')).user);
    } catch (err) {
      if (err instanceof SlackApiError && err.error === 'users_not_found') return null;
      throw err;
    }
  }

  async userInfo(user: string): Promise<SlackUser | null> {
    try {
      return userOf((await this.call<{ user: SlackUserJson }>('users.info', { user }, 'form')).user);
    } catch (err) {
      if (err instanceof SlackApiError && err.error === 'user_not_found') return null;
      throw err;
    }
  }
}
