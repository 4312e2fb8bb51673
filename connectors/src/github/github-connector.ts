/**
 * GitHub (github.com or GitHub Enterprise Server) through its REST API with `@octokit/rest`.
 *
 * - `group` entitlement: membership of the team whose slug is the `externalId`.
 * - `role` entitlement: direct collaborator permission on a repository of the org, `externalId`
 *   `<repo>:<permission>` (pull, triage, push, maintain, admin, or a custom repository role). A user
 *   holds one direct permission per repository, so granting one replaces another, and revoking removes
 *   the collaborator (or the pending invitation) only while they still hold the permission revoked.
 *
 * `@octokit/rest` v20 carries neither the retry nor the throttling plugin, and we add neither: a 403/429
 * rate limit becomes a retryable failure whose delay is GitHub's own, and Temporal owns the retries.
 */
import { Octokit } from '@octokit/rest';
import { ApplicationFailure } from '@temporalio/common';
import { checkedConnection } from '../connection-check';
import { httpUrl, misconfiguredEntitlement, requireKind, requiredString } from '../connector-config';
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
import { retryAfterMs, untilEpochSecondsMs } from '../retry-after';
import type { ConnectorHttp } from '../registry';

const NAME = 'github';
const REQUEST_TIMEOUT_MS = 30_000;
/** GitHub asks for at least a minute when a secondary rate limit comes without retry-after. */
const SECONDARY_LIMIT_FALLBACK_MS = 60_000;

export interface GithubConnectorConfig {
  org: string;
  /** `https://api.github.com` unless this is GitHub Enterprise Server (`https://<host>/api/v3`). */
  baseUrl: string;
  token: () => string;
  /** The outbound guard's fetch; absent, the global one. */
  fetch?: typeof fetch;
}

/** What octokit throws for an HTTP error, or (status 500, no response) for a network failure. */
interface OctokitHttpError {
  status: number;
  message: string;
  response?: { headers: Record<string, string | undefined>; data?: unknown };
}

function isOctokitHttpError(err: unknown): err is OctokitHttpError {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

function githubMessage(err: OctokitHttpError): string {
  const data = err.response?.data as { message?: unknown } | undefined;
  return typeof data?.message === 'string' ? data.message : err.message;
}

/**
 * Maps an octokit error to a connector failure. 404s are left to the caller (`undefined`), because only
 * the caller knows whether the team, the repository or the user was missing.
 */
function githubFailure(err: unknown, action: string): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  // Octokit reports a request that got no response (network error, timeout) as status 500 without one.
  if (!isOctokitHttpError(err) || !err.response) {
    const message = err instanceof Error ? err.message : String(err);
    return ConnectorFailure.unreachable(`GitHub could not be reached while ${action}: ${message}`);
  }
  const headers = err.response?.headers ?? {};
  const message = githubMessage(err);
  const status = err.status;
  if (status === 403 || status === 429) {
    const retryAfter = retryAfterMs(headers['retry-after']);
    if (retryAfter !== undefined)
      return ConnectorFailure.retryable(`GitHub rate limit (${status}) while ${action}: ${message}`, retryAfter);
    if (headers['x-ratelimit-remaining'] === '0') {
      const untilReset = untilEpochSecondsMs(headers['x-ratelimit-reset']) ?? SECONDARY_LIMIT_FALLBACK_MS;
      return ConnectorFailure.retryable(
        `GitHub API rate limit exhausted while ${action}; it resets in ${Math.ceil(untilReset / 1000)}s`,
        untilReset,
      );
    }
    if (status === 429 || /rate limit/i.test(message)) {
      return ConnectorFailure.retryable(
        `GitHub secondary rate limit while ${action}: ${message}`,
        SECONDARY_LIMIT_FALLBACK_MS,
      );
    }
    return ConnectorFailure.permanent(CONNECTOR_FAILURE.UNAUTHORIZED, `GitHub refused ${action} (403): ${message}`);
  }
  if (status === 401)
    return ConnectorFailure.permanent(
      CONNECTOR_FAILURE.UNAUTHORIZED,
      `GitHub rejected the token while ${action} (401): ${message}`,
    );
  if (status === 404) return undefined;
  if (status >= 500 || status === 408 || status === 409) {
    const where = err.response ? `answered ${status}` : 'could not be reached';
    return ConnectorFailure.retryable(
      `GitHub ${where} while ${action}: ${message}`,
      retryAfterMs(headers['retry-after']),
    );
  }
  return ConnectorFailure.permanent(CONNECTOR_FAILURE.REJECTED, `GitHub refused ${action} (${status}): ${message}`);
}

/** `pull`/`push` are what the API takes, `read`/`write` what it reports; custom roles are names. */
function comparableRole(permission: string): string {
  const lower = permission.toLowerCase();
  if (lower === 'pull') return 'read';
  if (lower === 'push') return 'write';
  return lower;
}

interface RepoRole {
  repo: string;
  permission: string;
}

function parseRepoRole(entitlement: TargetEntitlement): RepoRole {
  const separator = entitlement.externalId.lastIndexOf(':');
  const repo = entitlement.externalId.slice(0, separator).trim();
  const permission = entitlement.externalId.slice(separator + 1).trim();
  if (separator <= 0 || !repo || !permission || repo.includes('/')) {
    throw misconfiguredEntitlement(
      NAME,
      entitlement,
      'a role externalId is "<repository>:<permission>", e.g. "api:push"',
    );
  }
  return { repo, permission };
}

export class GithubConnector implements Connector {
  readonly type = 'github' as const;
  private client: Octokit | null = null;

  constructor(private readonly config: GithubConnectorConfig) {}

  async grant(change: AccessChange): Promise<GrantOutcome> {
    const kind = requireKind(NAME, change.entitlement, ['group', 'role']);
    const alreadyHeld =
      kind === 'group'
        ? await this.addTeamMember(change.entitlement, change.account)
        : await this.setCollaborator(change.entitlement, change.account);
    return { alreadyHeld };
  }

  async revoke(change: AccessChange): Promise<void> {
    const kind = requireKind(NAME, change.entitlement, ['group', 'role']);
    if (kind === 'group') await this.removeTeamMember(change.entitlement, change.account);
    else await this.removeCollaborator(change.entitlement, change.account);
  }

  async listMembers(entitlement: TargetEntitlement): Promise<string[]> {
    const kind = requireKind(NAME, entitlement, ['group', 'role']);
    const { org } = this.config;
    if (kind === 'group') {
      const action = `listing the members of team ${org}/${entitlement.externalId}`;
      const members = await this.call(action, entitlement, () =>
        this.octokit().paginate(this.octokit().rest.teams.listMembersInOrg, {
          org,
          team_slug: entitlement.externalId,
          per_page: 100,
        }),
      );
      return members.map((m) => m.login);
    }
    const { repo, permission } = parseRepoRole(entitlement);
    const collaborators = await this.directCollaborators(entitlement, repo);
    return collaborators.filter((c) => comparableRole(c.role_name) === comparableRole(permission)).map((c) => c.login);
  }

  async checkConnection(): Promise<ConnectionCheck> {
    return checkedConnection(async () => {
      const { org, baseUrl } = this.config;
      const response = await this.call(`reading org ${org}`, null, () => this.octokit().rest.orgs.get({ org }));
      // Fine-grained tokens and GitHub App tokens carry no x-oauth-scopes header.
      const scopes = response.headers['x-oauth-scopes'];
      return `GitHub org "${response.data.login}" reachable at ${baseUrl}${scopes !== undefined ? `; token scopes: ${scopes || '(none)'}` : ''}`;
    });
  }

  private octokit(): Octokit {
    if (!this.client) {
      this.client = new Octokit({
        auth: this.config.token(),
        baseUrl: this.config.baseUrl,
        userAgent: 'gatehouse-connector',
        // Inert without the plugins; stated so that adding them later does not silently take retries from Temporal.
        retry: { enabled: false },
        throttle: { enabled: false },
        request: {
          fetch: (url: string, init: RequestInit) =>
            (this.config.fetch ?? fetch)(url, {
              ...init,
              signal: init.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            }),
        },
      });
    }
    return this.client;
  }

  /** Runs one GitHub call, mapping its failure; a 404 here means the entitlement (or, without one, the org) is missing. */
  private async call<T>(action: string, entitlement: TargetEntitlement | null, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const failure = githubFailure(err, action);
      if (failure) throw failure;
      const what = entitlement
        ? `entitlement ${entitlement.id} ("${entitlement.externalId}") in org ${this.config.org}`
        : `org ${this.config.org}`;
      throw ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
        `GitHub has no ${what}, or the token cannot see it (404 while ${action})`,
      );
    }
  }

  /** Runs a call whose 404 may mean "no such user" as much as "no such team/repo": `null` then. */
  private async callAllowingNotFound<T>(action: string, run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (err) {
      const failure = githubFailure(err, action);
      if (failure) throw failure;
      return null;
    }
  }

  /** Adds the user to the team; true when they were an active member already. */
  private async addTeamMember(entitlement: TargetEntitlement, username: string): Promise<boolean> {
    const { org } = this.config;
    const team_slug = entitlement.externalId;
    const action = `adding ${username} to team ${org}/${team_slug}`;
    // The PUT answers the same for a new and an existing membership: ask first (a 404 is "not a member").
    const existing = await this.callAllowingNotFound(
      `reading the membership of ${username} in team ${org}/${team_slug}`,
      () => this.octokit().rest.teams.getMembershipForUserInOrg({ org, team_slug, username }),
    );
    if (existing?.data.state === 'active') return true;
    // PUT is idempotent: an existing membership is returned as is. A user outside the org gets an
    // invitation (state "pending") and becomes a member on accepting it.
    const done = await this.callAllowingNotFound(action, () =>
      this.octokit().rest.teams.addOrUpdateMembershipForUserInOrg({ org, team_slug, username, role: 'member' }),
    );
    if (done) return false;
    await this.requireTeam(entitlement, action);
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
      `GitHub has no user "${username}" (404 while ${action})`,
    );
  }

  private async removeTeamMember(entitlement: TargetEntitlement, username: string): Promise<void> {
    const { org } = this.config;
    const team_slug = entitlement.externalId;
    const action = `removing ${username} from team ${org}/${team_slug}`;
    const done = await this.callAllowingNotFound(action, async () => {
      await this.octokit().rest.teams.removeMembershipForUserInOrg({ org, team_slug, username });
      return true;
    });
    if (done) return;
    // The team exists, so the 404 was the user: not a member (or no such user), which is what we wanted.
    await this.requireTeam(entitlement, action);
  }

  private async requireTeam(entitlement: TargetEntitlement, action: string): Promise<void> {
    const { org } = this.config;
    await this.call(`${action} (checking the team exists)`, entitlement, () =>
      this.octokit().rest.teams.getByName({ org, team_slug: entitlement.externalId }),
    );
  }

  private async requireRepo(entitlement: TargetEntitlement, repo: string, action: string): Promise<void> {
    const { org } = this.config;
    await this.call(`${action} (checking the repository exists)`, entitlement, () =>
      this.octokit().rest.repos.get({ owner: org, repo }),
    );
  }

  /** Gives the user the permission; true when they held it directly already. */
  private async setCollaborator(entitlement: TargetEntitlement, username: string): Promise<boolean> {
    const { org } = this.config;
    const { repo, permission } = parseRepoRole(entitlement);
    const action = `giving ${username} "${permission}" on ${org}/${repo}`;
    const login = username.toLowerCase();
    const held = (await this.directCollaborators(entitlement, repo)).some(
      (c) => c.login.toLowerCase() === login && comparableRole(c.role_name) === comparableRole(permission),
    );
    if (held) return true;
    // 204: already a collaborator or an org member, permission set; 201: an invitation was created or
    // updated. Either way the PUT replaces whatever direct permission the user held on this repository.
    const done = await this.callAllowingNotFound(action, async () => {
      await this.octokit().rest.repos.addCollaborator({ owner: org, repo, username, permission });
      return true;
    });
    if (done) return false;
    await this.requireRepo(entitlement, repo, action);
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
      `GitHub has no user "${username}" (404 while ${action})`,
    );
  }

  private async removeCollaborator(entitlement: TargetEntitlement, username: string): Promise<void> {
    const { org } = this.config;
    const { repo, permission } = parseRepoRole(entitlement);
    const wanted = comparableRole(permission);
    const login = username.toLowerCase();

    const collaborator = (await this.directCollaborators(entitlement, repo)).find(
      (c) => c.login.toLowerCase() === login,
    );
    if (collaborator && comparableRole(collaborator.role_name) === wanted) {
      const action = `removing ${username} from ${org}/${repo}`;
      await this.call(action, entitlement, () =>
        this.octokit().rest.repos.removeCollaborator({ owner: org, repo, username }),
      );
    }

    // A grant to someone outside the org is an invitation until accepted: revoking must withdraw it,
    // or it could still be accepted after the access ended.
    const listAction = `listing the invitations of ${org}/${repo}`;
    const invitations = await this.call(listAction, entitlement, () =>
      this.octokit().paginate(this.octokit().rest.repos.listInvitations, { owner: org, repo, per_page: 100 }),
    );
    for (const invitation of invitations) {
      if (invitation.invitee?.login.toLowerCase() !== login || comparableRole(invitation.permissions) !== wanted)
        continue;
      const action = `withdrawing the invitation of ${username} to ${org}/${repo}`;
      await this.callAllowingNotFound(action, () =>
        this.octokit().rest.repos.deleteInvitation({ owner: org, repo, invitation_id: invitation.id }),
      );
    }
  }

  private async directCollaborators(
    entitlement: TargetEntitlement,
    repo: string,
  ): Promise<Array<{ login: string; role_name: string }>> {
    const { org } = this.config;
    const collaborators = await this.call(`listing the collaborators of ${org}/${repo}`, entitlement, () =>
      this.octokit().paginate(this.octokit().rest.repos.listCollaborators, {
        owner: org,
        repo,
        affiliation: 'direct',
        per_page: 100,
      }),
    );
    return collaborators.map((c) => ({ login: c.login, role_name: c.role_name ?? '' }));
  }
}

export function createGithubConnector(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  http?: ConnectorHttp,
): GithubConnector {
  const org = requiredString(NAME, config, 'org');
  const baseUrl = httpUrl(NAME, config, 'baseUrl', 'https://api.github.com');
  // Read when first needed, so that checkConnection can report an unset variable instead of throwing.
  return new GithubConnector({ org, baseUrl, token: () => secretFromEnv(config, 'tokenEnv', env), fetch: http?.fetch });
}
