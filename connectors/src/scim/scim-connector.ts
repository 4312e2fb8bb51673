/**
 * Any SCIM 2.0 service provider (RFC 7643/7644) through plain `fetch`.
 *
 * - `group` entitlement: membership of the SCIM Group whose `id` is the `externalId`, changed with
 *   PATCH (`add` to `members`, `remove` at `members[value eq "<user id>"]`), which the server applies
 *   atomically, so concurrent grants cannot drop one another.
 * Accounts are what an admin copies from the IdP: a `userName`, an email (also looked up by
 *   `emails.value`) or the user's SCIM `id`, tried in that order.
 * `listMembers` answers the members' `userName`s.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { checkedConnection } from '../connection-check';
import { httpUrl, requireKind } from '../connector-config';
import {
  CONNECTOR_FAILURE,
  ConnectorFailure,
  secretFromEnv,
  type AccessChange,
  type ConnectionCheck,
  type Connector,
  type GrantOutcome,
  type TargetEntitlement,
} from '../connector';
import { retryAfterMs } from '../retry-after';
import type { ConnectorHttp } from '../registry';

const NAME = 'scim';
const REQUEST_TIMEOUT_MS = 30_000;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Ids per `id eq … or id eq …` filter when turning member ids into userNames. */
const IDS_PER_LOOKUP = 20;

export interface ScimConnectorConfig {
  /** The service provider's base, e.g. `https://idp.example.com/scim/v2`. */
  baseUrl: string;
  token: () => string;
  /** The outbound guard's fetch; absent, the global one. */
  fetch?: typeof fetch;
}

/** A non-2xx answer, with RFC 7644 §3.12 error details when the server sent them. */
class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | undefined,
    readonly detail: string | undefined,
    readonly retryAfter: string | null,
  ) {
    super(`SCIM answered ${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

interface ScimListResponse<T> {
  totalResults?: number;
  itemsPerPage?: number;
  startIndex?: number;
  Resources?: T[];
}

interface ScimUser {
  id: string;
  userName?: string;
}

interface ScimGroup {
  id: string;
  members?: Array<{ value?: string; type?: string }>;
}

/** A SCIM filter comparison value: a JSON string, so quotes and backslashes in it are escaped. */
function filterValue(value: string): string {
  return JSON.stringify(value);
}

function looksLikeEmail(account: string): boolean {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(account);
}

/** Maps an HTTP failure; 404 is the caller's (`undefined`), since only it knows what was missing. */
function scimFailure(err: ScimHttpError, action: string): ApplicationFailure | undefined {
  const { status } = err;
  if (status === 404) return undefined;
  if (status === 401 || status === 403)
    return ConnectorFailure.permanent(
      CONNECTOR_FAILURE.UNAUTHORIZED,
      `SCIM service refused the token while ${action} (${err.message})`,
    );
  if (status === 429 || status === 408 || status === 412 || status >= 500) {
    if (status === 501)
      return ConnectorFailure.permanent(
        CONNECTOR_FAILURE.MISCONFIGURED,
        `SCIM service does not implement what ${action} needs (${err.message})`,
      );
    return ConnectorFailure.retryable(
      `SCIM service is unavailable while ${action} (${err.message})`,
      retryAfterMs(err.retryAfter),
    );
  }
  if (status === 400 && ['invalidFilter', 'invalidPath', 'invalidSyntax', 'tooMany'].includes(err.scimType ?? '')) {
    return ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `SCIM service could not parse our request while ${action} (${err.message})`,
    );
  }
  return ConnectorFailure.permanent(CONNECTOR_FAILURE.REJECTED, `SCIM service refused ${action} (${err.message})`);
}

export class ScimConnector implements Connector {
  readonly type = 'scim' as const;

  constructor(private readonly config: ScimConnectorConfig) {}

  async grant(change: AccessChange): Promise<GrantOutcome> {
    requireKind(NAME, change.entitlement, ['group']);
    const userId = await this.findUserId(change.account);
    if (userId === null)
      throw ConnectorFailure.permanent(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT, `SCIM service has no user ${change.account}`);
    const group = await this.group(change.entitlement);
    // Some servers store a second copy of a member added twice: look first.
    if (group.members?.some((m) => m.value === userId)) return { alreadyHeld: true };
    const added = await this.patchMembers(change.entitlement, `adding ${change.account} to group ${group.id}`, {
      op: 'add',
      path: 'members',
      value: [{ value: userId }],
    });
    return { alreadyHeld: !added };
  }

  async revoke(change: AccessChange): Promise<void> {
    requireKind(NAME, change.entitlement, ['group']);
    const userId = await this.findUserId(change.account);
    if (userId === null) {
      // No such user holds nothing; the group must still exist, or the catalog points at nothing.
      await this.group(change.entitlement);
      return;
    }
    try {
      await this.patchMembers(
        change.entitlement,
        `removing ${change.account} from group ${change.entitlement.externalId}`,
        {
          op: 'remove',
          path: `members[value eq ${filterValue(userId)}]`,
        },
      );
    } catch (err) {
      // RFC 7644 §3.5.2.2: a remove whose filter matches no member may be answered 400 noTarget.
      if (err instanceof ScimHttpError && err.status === 400 && err.scimType === 'noTarget') return;
      throw err;
    }
  }

  async listMembers(entitlement: TargetEntitlement): Promise<string[]> {
    requireKind(NAME, entitlement, ['group']);
    const group = await this.group(entitlement);
    const ids = (group.members ?? [])
      .filter((m) => (m.type ?? 'User') === 'User' && m.value)
      .map((m) => m.value as string);
    const userNames = new Map<string, string>();
    for (let i = 0; i < ids.length; i += IDS_PER_LOOKUP) {
      const batch = ids.slice(i, i + IDS_PER_LOOKUP);
      const filter = batch.map((id) => `id eq ${filterValue(id)}`).join(' or ');
      for (const user of await this.searchUsers(filter, `resolving the members of group ${group.id}`)) {
        if (user.userName) userNames.set(user.id, user.userName);
      }
    }
    // Members whose user is gone are left out: they can hold nothing.
    return ids.flatMap((id) => (userNames.has(id) ? [userNames.get(id) as string] : []));
  }

  async checkConnection(): Promise<ConnectionCheck> {
    return checkedConnection(async () => {
      const noConfig = () =>
        ConnectorFailure.permanent(
          CONNECTOR_FAILURE.MISCONFIGURED,
          `no SCIM ServiceProviderConfig at ${this.config.baseUrl}`,
        );
      const config = await this.call<{ patch?: { supported?: boolean }; filter?: { supported?: boolean } }>(
        'GET',
        '/ServiceProviderConfig',
        'reading the ServiceProviderConfig',
        noConfig,
      );
      if (config?.patch?.supported !== true)
        throw ConnectorFailure.permanent(
          CONNECTOR_FAILURE.MISCONFIGURED,
          'SCIM service does not support PATCH, which this connector needs',
        );
      if (config.filter?.supported !== true)
        throw ConnectorFailure.permanent(
          CONNECTOR_FAILURE.MISCONFIGURED,
          'SCIM service does not support filtering, which this connector needs',
        );
      // Some servers serve /ServiceProviderConfig without authentication: make one authenticated call.
      await this.call('GET', '/Groups', 'listing groups', noConfig, { query: { startIndex: '1', count: '1' } });
      return `SCIM service at ${this.config.baseUrl} reachable; PATCH and filter supported`;
    });
  }

  /**
   * The `userName` of the one user whose `userName` is the email, else whose `emails.value` is; `null`
   * when none. More than one match is ACCOUNT_NOT_FOUND: we will not guess whose access it is.
   */
  async accountForEmail(email: string): Promise<string | null> {
    for (const filter of [`userName eq ${filterValue(email)}`, `emails.value eq ${filterValue(email)}`]) {
      const found = await this.searchUsers(filter, `looking up the user with email ${email}`);
      if (found.length > 1) {
        throw ConnectorFailure.permanent(
          CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
          `SCIM service has ${found.length} users matching ${email}; expected one`,
        );
      }
      if (found.length === 1) return found[0].userName ?? null;
    }
    return null;
  }

  /** One SCIM call: the parsed body of a 2xx answer, a `ScimHttpError` for any other, a retryable failure when unreachable. */
  private async request<T>(
    method: string,
    path: string,
    action: string,
    options: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<T | undefined> {
    const url = new URL(`${this.config.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const token = this.config.token();
    let response: Response;
    try {
      response = await (this.config.fetch ?? fetch)(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/scim+json, application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw ConnectorFailure.unreachable(
        `SCIM service could not be reached while ${action}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const text = await response.text().catch(() => '');
    let payload: unknown = undefined;
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = undefined;
      }
    }
    if (response.ok) return payload as T | undefined;
    const error = (payload ?? {}) as { scimType?: unknown; detail?: unknown };
    throw new ScimHttpError(
      response.status,
      typeof error.scimType === 'string' ? error.scimType : undefined,
      typeof error.detail === 'string' ? error.detail : undefined,
      response.headers.get('retry-after'),
    );
  }

  /** `request`, with every failure mapped; a 404 becomes `notFound()`. */
  private async call<T>(
    method: string,
    path: string,
    action: string,
    notFound: () => ApplicationFailure,
    options: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<T | undefined> {
    try {
      return await this.request<T>(method, path, action, options);
    } catch (err) {
      if (!(err instanceof ScimHttpError)) throw err;
      throw scimFailure(err, action) ?? notFound();
    }
  }

  private groupNotFound(entitlement: TargetEntitlement): () => ApplicationFailure {
    return () =>
      ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
        `SCIM service has no Group with id "${entitlement.externalId}" (entitlement ${entitlement.id})`,
      );
  }

  private async group(entitlement: TargetEntitlement): Promise<ScimGroup> {
    const path = `/Groups/${encodeURIComponent(entitlement.externalId)}`;
    const group = await this.call<ScimGroup>(
      'GET',
      path,
      `reading group ${entitlement.externalId}`,
      this.groupNotFound(entitlement),
    );
    if (!group?.id) throw ConnectorFailure.retryable(`SCIM service answered GET ${path} without a Group`);
    return group;
  }

  /** Applies one PATCH operation; false when an `add` found the member there already (409 uniqueness). */
  private async patchMembers(
    entitlement: TargetEntitlement,
    action: string,
    operation: Record<string, unknown>,
  ): Promise<boolean> {
    const path = `/Groups/${encodeURIComponent(entitlement.externalId)}`;
    try {
      await this.request('PATCH', path, action, { body: { schemas: [PATCH_OP], Operations: [operation] } });
      return true;
    } catch (err) {
      if (err instanceof ScimHttpError && err.status === 400 && err.scimType === 'noTarget') throw err;
      if (err instanceof ScimHttpError && err.status === 409 && operation.op === 'add') return false; // already a member (uniqueness)
      if (!(err instanceof ScimHttpError)) throw err;
      throw scimFailure(err, action) ?? this.groupNotFound(entitlement)();
    }
  }

  /** Every user a filter matches, page after page (`startIndex`/`count`, RFC 7644 §3.4.2.4). */
  private async searchUsers(filter: string, action: string): Promise<ScimUser[]> {
    const users: ScimUser[] = [];
    let startIndex = 1;
    for (;;) {
      const page = await this.call<ScimListResponse<ScimUser>>(
        'GET',
        '/Users',
        action,
        () =>
          ConnectorFailure.permanent(
            CONNECTOR_FAILURE.MISCONFIGURED,
            `SCIM service has no /Users endpoint at ${this.config.baseUrl}`,
          ),
        { query: { filter, startIndex: String(startIndex), count: '100' } },
      );
      const resources = page?.Resources ?? [];
      users.push(...resources);
      const total = page?.totalResults ?? resources.length;
      if (resources.length === 0 || users.length >= total) return users;
      startIndex += resources.length;
    }
  }

  /**
   * The SCIM id of the account: by userName, then by email when it looks like one, then as an id itself;
   * `null` when nobody matches.
   */
  private async findUserId(account: string): Promise<string | null> {
    const attempts = [
      `userName eq ${filterValue(account)}`,
      ...(looksLikeEmail(account) ? [`emails.value eq ${filterValue(account)}`] : []),
    ];
    for (const filter of attempts) {
      const found = await this.searchUsers(filter, `looking up user ${account}`);
      if (found.length > 1) {
        throw ConnectorFailure.permanent(
          CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
          `SCIM service has ${found.length} users matching ${account}; expected one`,
        );
      }
      if (found.length === 1) return found[0].id;
    }
    return this.userById(account);
  }

  /** The user whose `id` is the account (GET /Users/{id}); `null` when there is none. */
  private async userById(account: string): Promise<string | null> {
    try {
      const user = await this.request<ScimUser>(
        'GET',
        `/Users/${encodeURIComponent(account)}`,
        `looking up user ${account}`,
      );
      return user?.id === account ? user.id : null;
    } catch (err) {
      if (!(err instanceof ScimHttpError)) throw err;
      // 404: no such id. 400: not an id this server could have issued (some require a UUID).
      if (err.status === 404 || err.status === 400) return null;
      throw scimFailure(err, `looking up user ${account}`);
    }
  }
}

export function createScimConnector(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  http?: ConnectorHttp,
): ScimConnector {
  const baseUrl = httpUrl(NAME, config, 'baseUrl');
  return new ScimConnector({ baseUrl, token: () => secretFromEnv(config, 'tokenEnv', env), fetch: http?.fetch });
}
