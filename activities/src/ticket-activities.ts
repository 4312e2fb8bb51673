/**
 * Activities of the ticket workflow: read-model writes, and applying or revoking access through the
 * app's connector. Each is idempotent, because Temporal runs an activity at least once.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  NON_RETRYABLE_FAILURES,
  type App,
  type ApplyAccessInput,
  type ApplyAccessResult,
  type PersistTicketStateInput,
  type RevokeAccessInput,
  type RevokeAccessResult,
  type ExtendGrantInput,
  type SeatsInput,
  type TicketActivities,
  type TicketChange,
} from '@gatehouse/domain';
import { createConnector, type AccessChange, type Connector, type ConnectorDeps } from '@gatehouse/connectors';
import { claimKey, type Store } from '@gatehouse/store';
import { accountFor, noAccountMessage } from './connector-activities';

export interface ActivityDeps {
  store: Store;
  connectors: ConnectorDeps;
  /** Overrides connector construction (fault tests wrap the real connector). */
  connectorFor?: (app: App, deps: ConnectorDeps) => Connector;
}

/**
 * Heartbeats every few seconds while `work` runs, so that a worker that dies mid-call is noticed within
 * the heartbeat timeout (seconds) instead of the whole start-to-close timeout (minutes).
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 3000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createTicketActivities(deps: ActivityDeps): TicketActivities {
  const { store } = deps;
  const connectorFor = deps.connectorFor ?? ((app: App, d: ConnectorDeps) => createConnector(app.id, app.connector, d));

  async function loadApp(appId: string): Promise<App> {
    const app = await store.apps.get(appId);
    if (!app)
      throw ApplicationFailure.create({
        type: NON_RETRYABLE_FAILURES.APP_NOT_FOUND,
        message: `application ${appId} no longer exists`,
        nonRetryable: true,
      });
    return app;
  }

  /**
   * The beneficiary's identity in the target app: the account an admin set, their Gatehouse id (demo),
   * or the account the target finds by their email; else a non-retryable ACCOUNT_NOT_FOUND naming the fix.
   */
  async function accountOf(app: App, userId: string, connector: Connector): Promise<string> {
    const account = await accountFor(store, app, userId, () => connector);
    if (account) return account;
    throw ApplicationFailure.create({
      type: NON_RETRYABLE_FAILURES.ACCOUNT_NOT_FOUND,
      message: await noAccountMessage(store, app, userId, connector),
      nonRetryable: true,
    });
  }

  function toAccessChange(app: App, account: string, change: TicketChange): AccessChange {
    const entitlement = app.entitlements.find((e) => e.id === change.entitlement.id);
    if (!entitlement) {
      throw ApplicationFailure.create({
        type: NON_RETRYABLE_FAILURES.ENTITLEMENT_NOT_FOUND,
        message: `${change.entitlement.id} is no longer an entitlement of ${app.id}`,
        nonRetryable: true,
      });
    }
    return {
      account,
      entitlement: {
        id: entitlement.id,
        externalId: entitlement.externalId ?? entitlement.id,
        kind: entitlement.kind,
        name: entitlement.name,
      },
      fields: change.fields,
    };
  }

  return {
    async persistTicketState(input: PersistTicketStateInput): Promise<void> {
      const { written, previousStatus } = await store.tickets.persistState(input);
      // Claims end when the ticket leaves `pending`. Once a later state is written over an already decided
      // one, the earlier persist (completed before this one started: the workflow persists in order)
      // released them; a retried write (written = false) releases again, in case it crashed before.
      const releasedBefore = written && previousStatus !== null && previousStatus !== 'pending';
      if (input.state.status !== 'pending' && !releasedBefore) {
        const t = input.ticket;
        await store.claims.release(
          input.ticketId,
          t.changes.map((c) => claimKey(t.beneficiary.id, t.app.id, c.entitlement.id)),
        );
      }
    },

    applyAccess: (input: ApplyAccessInput) => heartbeating(() => apply(input)),
    revokeAccess: (input: RevokeAccessInput) => heartbeating(() => revoke(input)),

    async reserveSeats(input: SeatsInput): Promise<void> {
      const app = await loadApp(input.appId);
      const taken: string[] = [];
      for (const licenseId of input.licenseIds) {
        const license = app.licenses.find((l) => l.id === licenseId);
        const ok = license
          ? await store.seats.reserve(app.id, licenseId, license.seats, input.userId, input.ticketId)
          : false;
        if (!ok) {
          // All or nothing: give back what this call took, unless the user held it before.
          for (const id of taken) await store.seats.release(app.id, id, input.userId);
          throw ApplicationFailure.create({
            type: 'NO_SEAT_AVAILABLE',
            message: license
              ? `No seat of ${license.name} is free (${license.seats} in use).`
              : `License ${licenseId} no longer exists in ${app.name}.`,
            nonRetryable: true,
          });
        }
        taken.push(licenseId);
      }
    },

    async releaseSeats(input: SeatsInput): Promise<void> {
      const app = await loadApp(input.appId);
      const entitlementIds = app.entitlements
        .filter((e) => e.licenseId && input.licenseIds.includes(e.licenseId))
        .map((e) => e.id);
      await releaseUnneededSeats(app, input.userId, entitlementIds);
    },

    async extendGrant(input: ExtendGrantInput): Promise<void> {
      for (const entitlementId of input.entitlementIds) {
        await store.grants.setEnd(input.appId, input.beneficiaryId, entitlementId, input.ticketId, input.end);
      }
    },
  };

  /** Grants every `add`, then removes every `remove`: a move never leaves the user with neither. */
  async function apply(input: ApplyAccessInput): Promise<ApplyAccessResult> {
    const app = await loadApp(input.appId);
    const connector = connectorFor(app, deps.connectors);
    const account = await accountOf(app, input.beneficiaryId, connector);
    const grantedAt = new Date().toISOString();
    const limited = input.duration?.type === 'limited' ? input.duration : null;
    const adds = input.changes.filter((c) => c.op === 'add');
    const removes = input.changes.filter((c) => c.op === 'remove');
    for (const change of adds) {
      await connector.grant(toAccessChange(app, account, change));
      await store.grants.activate({
        userId: input.beneficiaryId,
        appId: app.id,
        entitlementId: change.entitlement.id,
        start: limited?.start ?? grantedAt,
        end: limited?.end ?? null,
        ticketId: input.ticketId,
      });
    }
    for (const change of removes) {
      await connector.revoke(toAccessChange(app, account, change));
      await store.grants.end(app.id, input.beneficiaryId, change.entitlement.id, 'removed');
    }
    await releaseUnneededSeats(
      app,
      input.beneficiaryId,
      removes.map((c) => c.entitlement.id),
    );
    return { grantedAt };
  }

  /** Revokes what this ticket still owns; access re-granted or removed by a later ticket is left alone. */
  async function revoke(input: RevokeAccessInput): Promise<RevokeAccessResult> {
    const app = await loadApp(input.appId);
    const skipped: string[] = [];
    let connector: Connector | null = null;
    let account: string | null = null;
    for (const change of input.changes) {
      const owner = await store.grants.activeOwner(app.id, input.beneficiaryId, change.entitlement.id);
      if (owner !== input.ticketId) {
        skipped.push(change.entitlement.id);
        continue;
      }
      connector ??= connectorFor(app, deps.connectors);
      account ??= await accountOf(app, input.beneficiaryId, connector);
      // Target first, then the grant: a crash in between retries the (idempotent) revoke.
      await connector.revoke(toAccessChange(app, account, change));
      await store.grants.end(app.id, input.beneficiaryId, change.entitlement.id, input.reason, input.ticketId);
    }
    await releaseUnneededSeats(
      app,
      input.beneficiaryId,
      input.changes.map((c) => c.entitlement.id),
    );
    return { revokedAt: new Date().toISOString(), skipped };
  }

  /** Gives back the seats of these entitlements' licenses that no other active access of the user still needs. */
  async function releaseUnneededSeats(app: App, userId: string, entitlementIds: string[]): Promise<void> {
    const licenses = new Set(
      app.entitlements.filter((e) => entitlementIds.includes(e.id) && e.licenseId).map((e) => e.licenseId!),
    );
    if (licenses.size === 0) return;
    const held = await store.grants.activeFor(userId, app.id);
    for (const licenseId of licenses) {
      const stillNeeded = app.entitlements.some((e) => e.licenseId === licenseId && held.has(e.id));
      if (!stillNeeded) await store.seats.release(app.id, licenseId, userId);
    }
  }
}
