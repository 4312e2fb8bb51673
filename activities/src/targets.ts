/**
 * What activities need to reach an app's target: its connector, the beneficiary's account there, and an
 * entitlement as the target names it. Shared by the ticket activities and the connector activities.
 */
import { ApplicationFailure } from '@temporalio/common';
import { NON_RETRYABLE_FAILURES, type App, type Entitlement, type TicketChange } from '@gatehouse/domain';
import {
  createConnector,
  type AccessChange,
  type Connector,
  type ConnectorDeps,
  type TargetEntitlement,
} from '@gatehouse/connectors';
import type { Store, User } from '@gatehouse/store';

export interface ActivityDeps {
  store: Store;
  connectors: ConnectorDeps;
  /** Overrides connector construction (fault tests wrap the real connector). */
  connectorFor?: (app: App, deps: ConnectorDeps) => Connector;
}

/** The connector of an app, built from its settings (or by the override the deps carry). */
export function connectorFactory(deps: ActivityDeps): (app: App) => Connector {
  const build = deps.connectorFor ?? ((app: App, d: ConnectorDeps) => createConnector(app.id, app.connector, d));
  return (app) => build(app, deps.connectors);
}

export async function loadApp(store: Store, appId: string): Promise<App> {
  const app = await store.apps.get(appId);
  if (!app) {
    throw ApplicationFailure.create({
      type: NON_RETRYABLE_FAILURES.APP_NOT_FOUND,
      message: `application ${appId} no longer exists`,
      nonRetryable: true,
    });
  }
  return app;
}

/**
 * A user's identity in an app's target: the account an admin set (`PUT /users/:id` `accounts`), else
 * the Gatehouse id for the demo connector, else the account the target finds by the user's email
 * (where the connector can look users up by email); `null` when none of these gives one.
 */
export async function accountFor(
  store: Store,
  app: App,
  userId: string,
  connector: () => Connector,
  userRead?: Promise<User | null>,
): Promise<string | null> {
  const user = await (userRead ?? store.users.get(userId));
  const account = user?.accounts?.[app.connector.type];
  if (account) return account;
  if (app.connector.type === 'demo') return userId;
  const target = connector();
  if (!user?.email || !target.accountForEmail) return null;
  return target.accountForEmail(user.email);
}

/** Why `accountFor` found nothing, and how an admin fixes it: for the ACCOUNT_NOT_FOUND failure. */
export async function noAccountMessage(store: Store, app: App, userId: string, connector: Connector): Promise<string> {
  const type = app.connector.type;
  const email = (await store.users.get(userId))?.email ?? null;
  const lookup = !connector.accountForEmail
    ? ` (the ${type} connector cannot look users up by email)`
    : email
      ? ` and ${type} has no user with email ${email}`
      : ' and no email on record to look it up by';
  return `${userId} has no ${type} account on record${lookup}: set it with PUT /users/${userId} { "accounts": { "${type}": "…" } }`;
}

/** `accountFor`, or a non-retryable ACCOUNT_NOT_FOUND naming the fix. */
export async function requireAccount(
  store: Store,
  app: App,
  userId: string,
  connector: Connector,
  /** The user, when the caller already started reading it (read here otherwise). */
  userRead?: Promise<User | null>,
): Promise<string> {
  const account = await accountFor(store, app, userId, () => connector, userRead);
  if (account) return account;
  throw ApplicationFailure.create({
    type: NON_RETRYABLE_FAILURES.ACCOUNT_NOT_FOUND,
    message: await noAccountMessage(store, app, userId, connector),
    nonRetryable: true,
  });
}

export function targetEntitlement(entitlement: Entitlement): TargetEntitlement {
  return {
    id: entitlement.id,
    externalId: entitlement.externalId ?? entitlement.id,
    kind: entitlement.kind,
    name: entitlement.name,
  };
}

/** The app's entitlement by id, or a non-retryable ENTITLEMENT_NOT_FOUND (removed from the catalog since). */
export function requireEntitlement(app: App, entitlementId: string): Entitlement {
  const entitlement = app.entitlements.find((e) => e.id === entitlementId);
  if (!entitlement) {
    throw ApplicationFailure.create({
      type: NON_RETRYABLE_FAILURES.ENTITLEMENT_NOT_FOUND,
      message: `${entitlementId} is no longer an entitlement of ${app.id}`,
      nonRetryable: true,
    });
  }
  return entitlement;
}

export function accessChange(app: App, account: string, change: TicketChange): AccessChange {
  return {
    account,
    entitlement: targetEntitlement(requireEntitlement(app, change.entitlement.id)),
    fields: change.fields,
  };
}
