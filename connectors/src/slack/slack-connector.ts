/**
 * Slack through its Web API with `@slack/web-api`.
 *
 * - `group` entitlement: membership of the user group whose id (`S…`) is the `externalId`.
 * - `permission` entitlement: membership of the (private) channel whose id (`C…`/`G…`) is the `externalId`.
 * Accounts are Slack user ids (`U…`/`W…`); an account with an `@` is looked up by email.
 *
 * `usergroups.users.update` replaces a group's whole member list, so adding or removing one member is a
 * read-modify-write. Within this process those run one at a time per group; across worker processes
 * the connector names the group as its `serializationKey`, and Gatehouse's activities run changes of one
 * group under a lease. Because someone outside Gatehouse may still write in between, every write is read
 * back and redone when our change did not stick.
 * Slack cannot empty a user group (its docs say to disable it instead), so removing the last member
 * disables the group, a disabled group counts as having no members, and the next grant writes the
 * list afresh before enabling the group again.
 *
 * The client's own retries and rate-limit waits are off: Temporal owns retries, and a 429 becomes a
 * retryable failure that waits Slack's Retry-After.
 */
import { ErrorCode, LogLevel, WebClient, type WebAPICallResult } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { checkedConnection } from '../connection-check';
import { httpUrl, optionalString, requireKind } from '../connector-config';
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
import { PerKeySerializer } from './per-key-serializer';
import type { ConnectorHttp } from '../registry';

const NAME = 'slack';
const REQUEST_TIMEOUT_MS = 30_000;
/** Writes of one user group that another writer undid before we give up this attempt (Temporal retries it). */
const MAX_USERGROUP_WRITES = 3;
const MEMBERS_PAGE_SIZE = 200;

const ACCOUNT_ERRORS = new Set(['user_not_found', 'users_not_found']);
const ENTITLEMENT_ERRORS = new Set(['no_such_subteam', 'subteam_not_found', 'channel_not_found']);
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'missing_scope',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'permission_denied',
  'not_allowed_token_type',
  'access_denied',
  'ekm_access_denied',
]);
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Serializes read-modify-writes of one user group across every Slack connector of this worker. */
const usergroupWrites = new PerKeySerializer();

export interface SlackConnectorConfig {
  /** `https://slack.com/api` unless pointed elsewhere (a proxy, a test server). */
  apiUrl: string;
  /** For org-wide (Enterprise Grid) tokens: the workspace the groups and channels belong to. */
  teamId?: string;
  token: () => string;
  /** The outbound guard's fetch; absent, the global one. */
  fetch?: typeof fetch;
}

interface SlackErrorLike {
  code?: unknown;
  message: string;
  retryAfter?: unknown;
  statusCode?: unknown;
  data?: { error?: unknown; needed?: unknown; response_metadata?: { retryAfter?: unknown } };
}

/** The Web API's error code (`channel_not_found`...) of a platform error, else undefined. */
function platformError(err: unknown): string | undefined {
  const e = err as SlackErrorLike;
  return e?.code === ErrorCode.PlatformError && typeof e.data?.error === 'string' ? e.data.error : undefined;
}

function slackFailure(err: unknown, action: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const e = err as SlackErrorLike;
  if (e?.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number') {
    return ConnectorFailure.retryable(`Slack rate limit while ${action}`, Math.max(e.retryAfter * 1000, 1000));
  }
  const error = platformError(err);
  if (error !== undefined) {
    if (error === 'ratelimited') {
      const seconds = e.data?.response_metadata?.retryAfter;
      return ConnectorFailure.retryable(
        `Slack rate limit while ${action}`,
        typeof seconds === 'number' ? Math.max(seconds * 1000, 1000) : undefined,
      );
    }
    if (ACCOUNT_ERRORS.has(error))
      return ConnectorFailure.permanent(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT, `Slack: ${error} while ${action}`);
    if (ENTITLEMENT_ERRORS.has(error))
      return ConnectorFailure.permanent(CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT, `Slack: ${error} while ${action}`);
    if (AUTH_ERRORS.has(error)) {
      const needed = typeof e.data?.needed === 'string' ? ` (needs scope ${e.data.needed})` : '';
      return ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNAUTHORIZED,
        `Slack refused the token: ${error}${needed} while ${action}`,
      );
    }
    if (TRANSIENT_ERRORS.has(error)) return ConnectorFailure.retryable(`Slack: ${error} while ${action}`);
    return ConnectorFailure.permanent(CONNECTOR_FAILURE.REJECTED, `Slack refused ${action}: ${error}`);
  }
  if (e?.code === ErrorCode.HTTPError && typeof e.statusCode === 'number') {
    if (e.statusCode === 401 || e.statusCode === 403) {
      return ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNAUTHORIZED,
        `Slack answered ${e.statusCode} while ${action}`,
      );
    }
    if (e.statusCode >= 500 || e.statusCode === 408)
      return ConnectorFailure.retryable(`Slack answered ${e.statusCode} while ${action}`);
    return ConnectorFailure.permanent(CONNECTOR_FAILURE.REJECTED, `Slack answered ${e.statusCode} while ${action}`);
  }
  // Request errors (Slack unreachable, a timeout) and anything unforeseen: worth another attempt.
  return ConnectorFailure.unreachable(`Slack could not be reached while ${action}: ${e?.message ?? String(err)}`);
}

interface UsergroupView {
  id: string;
  enabled: boolean;
}

export class SlackConnector implements Connector {
  readonly type = 'slack' as const;
  private client: WebClient | null = null;

  constructor(private readonly config: SlackConnectorConfig) {}

  async grant(change: AccessChange): Promise<GrantOutcome> {
    const kind = requireKind(NAME, change.entitlement, ['group', 'permission']);
    const userId = await this.userIdOf(change.account);
    if (userId === null)
      throw ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
        `Slack has no user with email ${change.account}`,
      );
    const alreadyHeld =
      kind === 'group'
        ? await this.addToUsergroup(change.entitlement, userId)
        : await this.inviteToChannel(change.entitlement, userId);
    return { alreadyHeld };
  }

  /**
   * A user group's member list is rewritten whole on every change: changes of one group must not
   * interleave, in this worker or another. Channel invites and kicks change one member each.
   */
  serializationKey(entitlement: TargetEntitlement): string | undefined {
    return entitlement.kind === 'group' ? `slack|${this.usergroupKey(entitlement)}` : undefined;
  }

  private usergroupKey(entitlement: TargetEntitlement): string {
    return `${this.config.apiUrl}|${this.config.teamId ?? ''}|${entitlement.externalId}`;
  }

  async revoke(change: AccessChange): Promise<void> {
    const kind = requireKind(NAME, change.entitlement, ['group', 'permission']);
    const userId = await this.userIdOf(change.account);
    // An email Slack does not know belongs to no one who could hold access.
    if (userId === null) return;
    if (kind === 'group') await this.removeFromUsergroup(change.entitlement, userId);
    else await this.removeFromChannel(change.entitlement, userId);
  }

  async listMembers(entitlement: TargetEntitlement): Promise<string[]> {
    const kind = requireKind(NAME, entitlement, ['group', 'permission']);
    if (kind === 'group') {
      const group = await this.usergroup(entitlement);
      return group.enabled ? this.usergroupMembers(group) : [];
    }
    const members: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call(`listing the members of channel ${entitlement.externalId}`, () =>
        this.slack().conversations.members({
          channel: entitlement.externalId,
          limit: MEMBERS_PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        }),
      );
      members.push(...(page.members ?? []));
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return members;
  }

  async checkConnection(): Promise<ConnectionCheck> {
    return checkedConnection(async () => {
      const auth = await this.call('checking the token (auth.test)', () => this.slack().auth.test());
      const scopes = auth.response_metadata?.scopes;
      return `Slack workspace "${auth.team ?? auth.team_id ?? '?'}" reachable as ${auth.user ?? auth.user_id ?? '?'}${scopes ? `; token scopes: ${scopes.join(', ')}` : ''}`;
    });
  }

  /** `users.lookupByEmail` (scope `users:read.email`): the Slack user id, or `null` when nobody has the email. */
  async accountForEmail(email: string): Promise<string | null> {
    return email.includes('@') ? this.userIdOf(email) : null;
  }

  private slack(): WebClient {
    if (!this.client) {
      this.client = new WebClient(this.config.token(), {
        slackApiUrl: `${this.config.apiUrl}/`,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: REQUEST_TIMEOUT_MS,
        allowAbsoluteUrls: false,
        logLevel: LogLevel.ERROR,
        ...(this.config.fetch ? { fetch: this.config.fetch } : {}),
        ...(this.config.teamId ? { teamId: this.config.teamId } : {}),
      });
    }
    return this.client;
  }

  private async call<T extends WebAPICallResult>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw slackFailure(err, action);
    }
  }

  /** A Slack user id as is; an email looked up (`null` when no user has it). */
  private async userIdOf(account: string): Promise<string | null> {
    if (!account.includes('@')) return account;
    try {
      const found = await this.slack().users.lookupByEmail({ email: account });
      if (found.user?.id) return found.user.id;
      return null;
    } catch (err) {
      if (ACCOUNT_ERRORS.has(platformError(err) ?? '')) return null;
      throw slackFailure(err, `looking up the Slack user with email ${account}`);
    }
  }

  private async usergroup(entitlement: TargetEntitlement): Promise<UsergroupView> {
    const id = entitlement.externalId;
    const listed = await this.call(`reading user group ${id}`, () =>
      this.slack().usergroups.list({ include_disabled: true }),
    );
    const group = listed.usergroups?.find((g) => g.id === id);
    if (!group) {
      throw ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
        `Slack has no user group ${id} (entitlement ${entitlement.id})`,
      );
    }
    return { id, enabled: !group.date_delete };
  }

  private async usergroupMembers(group: UsergroupView): Promise<string[]> {
    const listed = await this.call(`listing the members of user group ${group.id}`, () =>
      this.slack().usergroups.users.list({ usergroup: group.id, include_disabled: true }),
    );
    return listed.users ?? [];
  }

  /** Adds the user to the group; true when they were a member already. */
  private async addToUsergroup(entitlement: TargetEntitlement, userId: string): Promise<boolean> {
    return usergroupWrites.run(this.usergroupKey(entitlement), async () => {
      for (let write = 1; write <= MAX_USERGROUP_WRITES; write++) {
        const group = await this.usergroup(entitlement);
        // A disabled group's stored list grants nothing, and must not come back to life with it.
        const current = group.enabled ? await this.usergroupMembers(group) : [];
        if (group.enabled && current.includes(userId)) return write === 1;
        await this.writeUsergroup(group.id, [...current, userId], `adding ${userId} to user group ${group.id}`, userId);
        if (!group.enabled)
          await this.call(`enabling user group ${group.id}`, () =>
            this.slack().usergroups.enable({ usergroup: group.id }),
          );
        if ((await this.usergroupMembers(group)).includes(userId)) return false;
        // Another writer replaced the list between our read and our write: read again, write again.
      }
      throw ConnectorFailure.retryable(
        `Slack user group ${entitlement.externalId} kept being rewritten by another writer; ${userId} was not added after ${MAX_USERGROUP_WRITES} writes`,
      );
    });
  }

  private async removeFromUsergroup(entitlement: TargetEntitlement, userId: string): Promise<void> {
    await usergroupWrites.run(this.usergroupKey(entitlement), async () => {
      for (let write = 1; write <= MAX_USERGROUP_WRITES; write++) {
        const group = await this.usergroup(entitlement);
        if (!group.enabled) return;
        const current = await this.usergroupMembers(group);
        if (!current.includes(userId)) return;
        const remaining = current.filter((u) => u !== userId);
        if (remaining.length === 0) {
          await this.call(`disabling user group ${group.id} (removing its last member, ${userId})`, () =>
            this.slack().usergroups.disable({ usergroup: group.id }),
          );
          if (!(await this.usergroup(entitlement)).enabled) return;
        } else {
          await this.writeUsergroup(group.id, remaining, `removing ${userId} from user group ${group.id}`);
          if (!(await this.usergroupMembers(group)).includes(userId)) return;
        }
      }
      throw ConnectorFailure.retryable(
        `Slack user group ${entitlement.externalId} kept being rewritten by another writer; ${userId} was not removed after ${MAX_USERGROUP_WRITES} writes`,
      );
    });
  }

  /** Replaces a group's member list; `added` is the user whose refusal (`invalid_users`) is theirs, not the list's. */
  private async writeUsergroup(usergroup: string, users: string[], action: string, added?: string): Promise<void> {
    try {
      await this.slack().usergroups.users.update({ usergroup, users: users.join(',') });
    } catch (err) {
      if (added !== undefined && platformError(err) === 'invalid_users') {
        throw ConnectorFailure.permanent(
          CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
          `Slack refused ${added} as a member of user group ${usergroup} (invalid_users: no such user, or a guest or bot)`,
        );
      }
      throw slackFailure(err, action);
    }
  }

  /** Invites the user; true when they were in the channel already. */
  private async inviteToChannel(entitlement: TargetEntitlement, userId: string): Promise<boolean> {
    const channel = entitlement.externalId;
    try {
      await this.slack().conversations.invite({ channel, users: userId });
      return false;
    } catch (err) {
      const error = platformError(err);
      if (error === 'already_in_channel') return true;
      if (error === 'not_in_channel') {
        // For invite this means the caller, not the invitee, is outside the channel.
        throw ConnectorFailure.permanent(
          CONNECTOR_FAILURE.UNAUTHORIZED,
          `Slack: the app is not a member of channel ${channel}, so it cannot invite anyone; add the app to the channel`,
        );
      }
      throw slackFailure(err, `inviting ${userId} to channel ${channel}`);
    }
  }

  private async removeFromChannel(entitlement: TargetEntitlement, userId: string): Promise<void> {
    const channel = entitlement.externalId;
    try {
      await this.slack().conversations.kick({ channel, user: userId });
    } catch (err) {
      const error = platformError(err);
      // Not in the channel (any more), or no such user: nothing left to remove.
      if (error === 'not_in_channel' || (error !== undefined && ACCOUNT_ERRORS.has(error))) return;
      throw slackFailure(err, `removing ${userId} from channel ${channel}`);
    }
  }
}

export function createSlackConnector(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  http?: ConnectorHttp,
): SlackConnector {
  const apiUrl = httpUrl(NAME, config, 'apiUrl', 'https://slack.com/api');
  const teamId = optionalString(NAME, config, 'teamId');
  return new SlackConnector({
    apiUrl,
    teamId,
    token: () => secretFromEnv(config, 'tokenEnv', env),
    fetch: http?.fetch,
  });
}
