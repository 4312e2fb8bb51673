/**
 * A jsforce `Connection` to one org, authenticated with a given access token or with the OAuth 2.0
 * client credentials flow, and every call's failure mapped to a connector failure.
 *
 * jsforce's transport retries 420/429/5xx and network errors by itself (up to five times, with
 * backoff); we turn that off so that Temporal owns retries, and surface 429/5xx with their status
 * (jsforce's own errors for them carry no status) so that they become retryable failures.
 */
import { Connection, type HttpRequest, type HttpRequestOptions, type HttpResponse } from 'jsforce';
// jsforce's package entry exports only its default object: these two come from their own modules.
import { Transport } from 'jsforce/lib/transport';
import { StreamPromise } from 'jsforce/lib/util/promise';
import { ApplicationFailure } from '@temporalio/common';
import { CONNECTOR_FAILURE, ConnectorFailure } from '../connector';
import { retryAfterMs } from '../retry-after';

const REQUEST_TIMEOUT_MS = 30_000;

export type SalesforceAuth =
  | { kind: 'accessToken'; token: () => string }
  | { kind: 'clientCredentials'; clientId: () => string; clientSecret: () => string };

export interface SalesforceSessionConfig {
  instanceUrl: string;
  apiVersion: string;
  /** The outbound guard's fetch for the token request; absent, the global one. (jsforce's own requests use Node's default agents, which the worker guards.) */
  fetch?: typeof fetch;
  auth: SalesforceAuth;
}

/** A 429 or 5xx answer, raised by our transport before jsforce turns it into a status-less error. */
class SalesforceUnavailable extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`Salesforce answered ${status}`);
  }
}

class TemporalOwnsRetriesTransport extends Transport {
  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> {
    const inner = super.httpRequest(req, {
      ...options,
      timeout: REQUEST_TIMEOUT_MS,
      retry: { ...options.retry, maxRetries: 0, statusCodes: [], errorCodes: [] },
    });
    return StreamPromise.create(() => ({
      stream: inner.stream(),
      promise: inner.then((res) => {
        if (res.statusCode === 429 || res.statusCode >= 500)
          throw new SalesforceUnavailable(res.statusCode, res.headers['retry-after']);
        return res;
      }),
    }));
  }
}

/** jsforce's error for a REST API error answer: `errorCode` is Salesforce's (`INVALID_SESSION_ID`...). */
export function salesforceErrorCode(err: unknown): string | undefined {
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === 'string' ? code : undefined;
}

const AUTH_ERRORS = new Set([
  'INVALID_SESSION_ID',
  'INVALID_AUTH_HEADER',
  'INSUFFICIENT_ACCESS',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
  'API_DISABLED_FOR_ORG',
  'API_CURRENTLY_DISABLED',
  'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
]);
const TRANSIENT_ERRORS = new Set([
  'REQUEST_LIMIT_EXCEEDED',
  'SERVER_UNAVAILABLE',
  'UNABLE_TO_LOCK_ROW',
  'UNKNOWN_EXCEPTION',
  'QUERY_TIMEOUT',
]);
const MISCONFIGURATION_ERRORS = new Set([
  'MALFORMED_QUERY',
  'INVALID_FIELD',
  'INVALID_TYPE',
  'INVALID_QUERY_FILTER_OPERATOR',
  'NOT_FOUND',
]);

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Maps what a jsforce call threw; callers handle the codes whose meaning depends on the call first. */
export function salesforceFailure(err: unknown, action: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof SalesforceUnavailable) {
    return ConnectorFailure.retryable(
      `Salesforce answered ${err.status} while ${action}`,
      retryAfterMs(err.retryAfter),
    );
  }
  const code = salesforceErrorCode(err);
  if (code === undefined)
    return ConnectorFailure.unreachable(`Salesforce could not be reached while ${action}: ${errorText(err)}`);
  const detail = `${code}: ${errorText(err)}`;
  if (AUTH_ERRORS.has(code))
    return ConnectorFailure.permanent(
      CONNECTOR_FAILURE.UNAUTHORIZED,
      `Salesforce refused the credentials while ${action} (${detail})`,
    );
  if (TRANSIENT_ERRORS.has(code))
    return ConnectorFailure.retryable(`Salesforce is busy or over its limits while ${action} (${detail})`);
  if (MISCONFIGURATION_ERRORS.has(code))
    return ConnectorFailure.permanent(CONNECTOR_FAILURE.MISCONFIGURED, `Salesforce could not do ${action} (${detail})`);
  return ConnectorFailure.permanent(CONNECTOR_FAILURE.REJECTED, `Salesforce refused ${action} (${detail})`);
}

export class SalesforceSession {
  private connection: Connection | null = null;

  constructor(private readonly config: SalesforceSessionConfig) {}

  /**
   * Runs one step against the org. With client credentials, an expired or revoked token (401
   * INVALID_SESSION_ID) is replaced once and the step run again; each step is safe to repeat.
   */
  async run<T>(action: string, step: (conn: Connection) => Promise<T>): Promise<T> {
    try {
      return await step(await this.connect(action));
    } catch (err) {
      if (salesforceErrorCode(err) !== 'INVALID_SESSION_ID' || this.config.auth.kind !== 'clientCredentials') {
        throw salesforceFailure(err, action);
      }
    }
    this.connection = null;
    try {
      return await step(await this.connect(action));
    } catch (err) {
      throw salesforceFailure(err, action);
    }
  }

  private async connect(action: string): Promise<Connection> {
    if (this.connection) return this.connection;
    const { auth } = this.config;
    const accessToken = auth.kind === 'accessToken' ? auth.token() : await this.clientCredentialsToken(auth, action);
    const conn = new Connection({ instanceUrl: this.config.instanceUrl, version: this.config.apiVersion, accessToken });
    conn._transport = new TemporalOwnsRetriesTransport();
    this.connection = conn;
    return conn;
  }

  /** POST {instanceUrl}/services/oauth2/token with grant_type=client_credentials (the connected app's run-as user). */
  private async clientCredentialsToken(
    auth: Extract<SalesforceAuth, { kind: 'clientCredentials' }>,
    action: string,
  ): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clientId(),
      client_secret: auth.clientSecret(),
    });
    let response: Response;
    try {
      response = await (this.config.fetch ?? fetch)(`${this.config.instanceUrl}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw ConnectorFailure.retryable(
        `Salesforce token endpoint could not be reached while ${action}: ${errorText(err)}`,
      );
    }
    const payload = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    if (response.ok && typeof payload.access_token === 'string') return payload.access_token;
    const why =
      [payload.error, payload.error_description].filter((v) => typeof v === 'string').join(': ') ||
      `HTTP ${response.status}`;
    if (response.status === 429 || response.status >= 500) {
      throw ConnectorFailure.retryable(
        `Salesforce token endpoint answered ${response.status} while ${action}`,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.UNAUTHORIZED,
      `Salesforce refused the client credentials while ${action} (${why}); check the connected app's client credentials flow and run-as user`,
    );
  }
}
