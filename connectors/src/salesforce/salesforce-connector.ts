/**
 * Salesforce through its REST API with `jsforce`.
 *
 * - `permission` entitlement: a permission set (`externalId` its Id `0PS…` or its API name), held
 *   through a PermissionSetAssignment.
 * - `role` entitlement: a role (`externalId` its Id `00E…` or its DeveloperName), held as the user's
 *   `UserRoleId`. A user has one role: granting one replaces the previous, and revoking clears it only
 *   while the user still has the role revoked.
 * Accounts are usernames; an account that looks like a User Id (`005…`) is taken as one.
 * `listMembers` answers usernames.
 */
import type { Connection, QueryResult } from 'jsforce';
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
import { SalesforceSession, salesforceErrorCode, type SalesforceAuth } from './salesforce-session';
import { KEY_PREFIX, isSalesforceId, soqlLiteral } from './soql';
import type { ConnectorHttp } from '../registry';

const NAME = 'salesforce';
const DEFAULT_API_VERSION = '61.0';

interface SalesforceUser {
  Id: string;
  Username: string;
  UserRoleId: string | null;
}

export class SalesforceConnector implements Connector {
  readonly type = 'salesforce' as const;

  constructor(
    private readonly session: SalesforceSession,
    private readonly instanceUrl: string,
  ) {}

  async grant(change: AccessChange): Promise<GrantOutcome> {
    const kind = requireKind(NAME, change.entitlement, ['permission', 'role']);
    const user = await this.findUser(change.account);
    if (!user)
      throw ConnectorFailure.permanent(CONNECTOR_FAILURE.UNKNOWN_ACCOUNT, `Salesforce has no user ${change.account}`);
    const alreadyHeld =
      kind === 'permission'
        ? await this.assignPermissionSet(change.entitlement, user)
        : await this.setRole(change.entitlement, user);
    return { alreadyHeld };
  }

  async revoke(change: AccessChange): Promise<void> {
    const kind = requireKind(NAME, change.entitlement, ['permission', 'role']);
    const user = await this.findUser(change.account);
    // The entitlement is checked even then: a catalog entry pointing at nothing must not pass for a revoke.
    if (kind === 'permission') {
      const permissionSetId = await this.permissionSetId(change.entitlement);
      if (user) await this.removePermissionSet(permissionSetId, user);
    } else {
      const roleId = await this.roleId(change.entitlement);
      if (user) await this.clearRole(roleId, user);
    }
  }

  async listMembers(entitlement: TargetEntitlement): Promise<string[]> {
    const kind = requireKind(NAME, entitlement, ['permission', 'role']);
    if (kind === 'permission') {
      const permissionSetId = await this.permissionSetId(entitlement);
      const assignments = await this.queryAll<{ Assignee: { Username: string } | null }>(
        `listing the assignees of permission set ${entitlement.externalId}`,
        `SELECT Assignee.Username FROM PermissionSetAssignment WHERE PermissionSetId = ${soqlLiteral(permissionSetId)}`,
      );
      return assignments.flatMap((a) => (a.Assignee ? [a.Assignee.Username] : []));
    }
    const roleId = await this.roleId(entitlement);
    const users = await this.queryAll<{ Username: string }>(
      `listing the users with role ${entitlement.externalId}`,
      `SELECT Username FROM User WHERE UserRoleId = ${soqlLiteral(roleId)}`,
    );
    return users.map((u) => u.Username);
  }

  async checkConnection(): Promise<ConnectionCheck> {
    return checkedConnection(async () => {
      const limits = await this.session.run('reading the org limits', (conn) => conn.limits());
      const daily = limits.DailyApiRequests;
      return `Salesforce org at ${this.instanceUrl} reachable${daily ? `; ${daily.Remaining} of ${daily.Max} daily API requests left` : ''}`;
    });
  }

  /** Salesforce usernames are email-shaped and usually the user's email: the user whose Username is this email. */
  async accountForEmail(email: string): Promise<string | null> {
    const users = await this.queryAll<{ Username: string }>(
      `looking up the user with username ${email}`,
      `SELECT Username FROM User WHERE Username = ${soqlLiteral(email)}`,
    );
    return users[0]?.Username ?? null;
  }

  /** Every record of a query, following `nextRecordsUrl` page after page. */
  private async queryAll<T>(action: string, soql: string): Promise<T[]> {
    type Row = T & Record<string, unknown>;
    let page: QueryResult<Row> = await this.session.run(action, async (conn) => await conn.query<Row>(soql));
    const records: T[] = [...page.records];
    while (!page.done && page.nextRecordsUrl) {
      const next = page.nextRecordsUrl;
      page = await this.session.run(action, async (conn) => await conn.queryMore<Row>(next));
      records.push(...page.records);
    }
    return records;
  }

  private async findUser(account: string): Promise<SalesforceUser | null> {
    const byId = isSalesforceId(account, KEY_PREFIX.user);
    const users = await this.queryAll<SalesforceUser>(
      `looking up user ${account}`,
      `SELECT Id, Username, UserRoleId FROM User WHERE ${byId ? 'Id' : 'Username'} = ${soqlLiteral(account)}`,
    );
    return users[0] ?? null;
  }

  /** The Id of the record an entitlement names by Id (with the object's key prefix) or by name. */
  private async resolve(
    entitlement: TargetEntitlement,
    object: 'PermissionSet' | 'UserRole',
    prefix: string,
    nameField: string,
  ): Promise<string> {
    const { externalId } = entitlement;
    const field = isSalesforceId(externalId, prefix) ? 'Id' : nameField;
    const found = await this.queryAll<{ Id: string }>(
      `looking up ${object} ${externalId}`,
      `SELECT Id FROM ${object} WHERE ${field} = ${soqlLiteral(externalId)}`,
    );
    if (!found[0]) {
      throw ConnectorFailure.permanent(
        CONNECTOR_FAILURE.UNKNOWN_ENTITLEMENT,
        `Salesforce has no ${object} with ${field} "${externalId}" (entitlement ${entitlement.id})`,
      );
    }
    return found[0].Id;
  }

  private permissionSetId(entitlement: TargetEntitlement): Promise<string> {
    return this.resolve(entitlement, 'PermissionSet', KEY_PREFIX.permissionSet, 'Name');
  }

  private roleId(entitlement: TargetEntitlement): Promise<string> {
    return this.resolve(entitlement, 'UserRole', KEY_PREFIX.userRole, 'DeveloperName');
  }

  private async assignments(permissionSetId: string, user: SalesforceUser): Promise<string[]> {
    const found = await this.queryAll<{ Id: string }>(
      `reading the assignments of permission set ${permissionSetId} to ${user.Username}`,
      `SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = ${soqlLiteral(user.Id)} AND PermissionSetId = ${soqlLiteral(permissionSetId)}`,
    );
    return found.map((a) => a.Id);
  }

  /** Assigns the permission set; true when the user had it already. */
  private async assignPermissionSet(entitlement: TargetEntitlement, user: SalesforceUser): Promise<boolean> {
    const permissionSetId = await this.permissionSetId(entitlement);
    if ((await this.assignments(permissionSetId, user)).length > 0) return true;
    const action = `assigning permission set ${entitlement.externalId} to ${user.Username}`;
    return this.session.run(action, async (conn) => {
      try {
        await conn.sobject('PermissionSetAssignment').create({ AssigneeId: user.Id, PermissionSetId: permissionSetId });
        return false;
      } catch (err) {
        // Assigned by someone else since we looked: what we wanted.
        if (salesforceErrorCode(err) !== 'DUPLICATE_VALUE') throw err;
        return true;
      }
    });
  }

  private async removePermissionSet(permissionSetId: string, user: SalesforceUser): Promise<void> {
    for (const assignmentId of await this.assignments(permissionSetId, user)) {
      await this.session.run(`removing permission set ${permissionSetId} from ${user.Username}`, async (conn) => {
        try {
          await conn.sobject('PermissionSetAssignment').destroy(assignmentId);
        } catch (err) {
          const code = salesforceErrorCode(err);
          if (code !== 'NOT_FOUND' && code !== 'ENTITY_IS_DELETED') throw err;
        }
      });
    }
  }

  /** Gives the user the role; true when they had it already. */
  private async setRole(entitlement: TargetEntitlement, user: SalesforceUser): Promise<boolean> {
    const roleId = await this.roleId(entitlement);
    if (user.UserRoleId === roleId) return true;
    await this.updateRole(user, roleId, `giving ${user.Username} role ${entitlement.externalId}`);
    return false;
  }

  private async clearRole(roleId: string, user: SalesforceUser): Promise<void> {
    // Another grant may have replaced the role since: that role is not ours to clear.
    if (user.UserRoleId !== roleId) return;
    await this.updateRole(user, null, `clearing role ${roleId} of ${user.Username}`);
  }

  private async updateRole(user: SalesforceUser, roleId: string | null, action: string): Promise<void> {
    await this.session.run(action, async (conn: Connection) => {
      try {
        await conn.sobject('User').update({ Id: user.Id, UserRoleId: roleId });
      } catch (err) {
        const code = salesforceErrorCode(err);
        if (code === 'NOT_FOUND' || code === 'ENTITY_IS_DELETED') {
          throw ConnectorFailure.permanent(
            CONNECTOR_FAILURE.UNKNOWN_ACCOUNT,
            `Salesforce has no user ${user.Username} any more (${code})`,
          );
        }
        throw err;
      }
    });
  }
}

export function createSalesforceConnector(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  http?: ConnectorHttp,
): SalesforceConnector {
  const instanceUrl = httpUrl(NAME, config, 'instanceUrl');
  if (/\.lightning\.force\.com$/i.test(new URL(instanceUrl).hostname)) {
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `${NAME} connector: "instanceUrl" is a Lightning URL; use the org's My Domain URL (https://<domain>.my.salesforce.com)`,
    );
  }
  const apiVersion = optionalString(NAME, config, 'apiVersion') ?? DEFAULT_API_VERSION;
  if (!/^\d+\.\d$/.test(apiVersion)) {
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `${NAME} connector: "apiVersion" looks like "61.0"`,
    );
  }
  const usesClientCredentials = config.clientIdEnv !== undefined || config.clientSecretEnv !== undefined;
  if (usesClientCredentials === (config.tokenEnv !== undefined)) {
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `${NAME} connector: config needs either "tokenEnv" (an access token) or "clientIdEnv" and "clientSecretEnv" (client credentials flow)`,
    );
  }
  // Secrets are read when first needed, so that checkConnection can report an unset variable instead of throwing.
  const auth: SalesforceAuth = usesClientCredentials
    ? {
        kind: 'clientCredentials',
        clientId: () => secretFromEnv(config, 'clientIdEnv', env),
        clientSecret: () => secretFromEnv(config, 'clientSecretEnv', env),
      }
    : { kind: 'accessToken', token: () => secretFromEnv(config, 'tokenEnv', env) };
  return new SalesforceConnector(
    new SalesforceSession({ instanceUrl, apiVersion, auth, fetch: http?.fetch }),
    instanceUrl,
  );
}
