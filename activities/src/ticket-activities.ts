/**
 * Activities of the ticket workflow: read-model writes, and applying or revoking access through the
 * app's connector. Each is idempotent, because Temporal runs an activity at least once.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  endFromGrant,
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
import type { Connector } from '@gatehouse/connectors';
import { claimKey, type Store, type User } from '@gatehouse/store';
import { createGrantHolders, type GrantTarget } from './grant-holders';
import { accessChange, connectorFactory, loadApp as loadAppFrom, requireAccount, type ActivityDeps } from './targets';

/**
 * Heartbeats every few seconds while `work` runs, so that a worker that dies mid-call is noticed within
 * the heartbeat timeout (seconds) instead of the whole start-to-close timeout (minutes). A local activity
 * (the revocation's first attempt) has no heartbeat: it lives within its workflow task.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  if (context.info.isLocal) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 3000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Writes a version of the ticket into the read model (`persistTicketState`, and the first half of
 * `writeTicket`). Safe to run again with the same version: the store keeps the newest, and claims are
 * released again.
 */
export async function persistTicket(store: Store, input: PersistTicketStateInput): Promise<void> {
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
}

export function createTicketActivities(deps: ActivityDeps): TicketActivities {
  const { store } = deps;
  const connectorFor = connectorFactory(deps);
  const loadApp = (appId: string) => loadAppFrom(store, appId);
  // Waiting for another worker's change of the same grant is part of this activity's work: keep heartbeating.
  const holders = createGrantHolders(store, () => {
    const context = Context.current();
    return {
      onWait: context.info.isLocal ? undefined : () => context.heartbeat(),
      signal: context.cancellationSignal,
    };
  });

  /** The beneficiary's grants as the holder functions reach them; connector and account are made once, when first needed. */
  function grantTargets(app: App, userId: string, userRead?: Promise<User | null>) {
    let connector: Connector | null = null;
    let account: Promise<string> | null = null;
    const target = () => (connector ??= connectorFor(app));
    const accountOf = () => (account ??= requireAccount(store, app, userId, target(), userRead));
    return {
      account: accountOf,
      of: (change: TicketChange): GrantTarget => ({
        appId: app.id,
        userId,
        entitlementId: change.entitlement.id,
        get connector() {
          return target();
        },
        change: async () => accessChange(app, await accountOf(), change),
      }),
    };
  }

  return {
    persistTicketState: (input: PersistTicketStateInput) => persistTicket(store, input),

    applyAccess: (input: ApplyAccessInput) => heartbeating(() => apply(input)),
    revokeAccess: (input: RevokeAccessInput) => heartbeating(() => revoke(input)),

    async reserveSeats(input: SeatsInput): Promise<void> {
      const app = await loadApp(input.appId);
      const taken: string[] = [];
      for (const licenseId of input.licenseIds) {
        const license = app.licenses.find((l) => l.id === licenseId);
        const reserved = license
          ? await store.seats.reserve(app.id, licenseId, license.seats, input.userId, input.ticketId)
          : false;
        if (!reserved) {
          // All or nothing: give back what this ticket took, not a seat the user held before it.
          for (const id of taken) await store.seats.release(app.id, id, input.userId);
          throw ApplicationFailure.create({
            type: 'NO_SEAT_AVAILABLE',
            message: license
              ? `No seat of ${license.name} is free (${license.seats} in use).`
              : `License ${licenseId} no longer exists in ${app.name}.`,
            nonRetryable: true,
          });
        }
        if (reserved === 'taken') taken.push(licenseId);
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
        await holders.moveEnd(input.appId, input.beneficiaryId, entitlementId, input.ticketId, input.end);
      }
    },
  };

  /** Grants every `add`, then removes every `remove`: a move never leaves the user with neither. */
  async function apply(input: ApplyAccessInput): Promise<ApplyAccessResult> {
    // The account needs the user as well as the app: read both at once (one round trip fewer per grant).
    const userRead = store.users.get(input.beneficiaryId);
    userRead.catch(() => undefined); // awaited through `targets.account()`; a failed app read must not leave it unhandled
    const ready = (async () => {
      const app = await loadApp(input.appId);
      const targets = grantTargets(app, input.beneficiaryId, userRead);
      // Fail before touching anything when the account cannot be found (a permanent failure, no retry).
      await targets.account();
      return { app, targets };
    })();
    ready.catch(() => undefined); // awaited by the first grant (under its lease) and below
    const grantedAt = new Date().toISOString();
    const limited = input.duration?.type === 'limited' ? input.duration : null;
    // Relative access ends `seconds` after this grant; the workflow takes the same end from `grantedAt`.
    const relativeEnd = input.duration?.type === 'relative' ? endFromGrant(input.duration, grantedAt) : null;
    const adds = input.changes.filter((c) => c.op === 'add');
    const removes = input.changes.filter((c) => c.op === 'remove');
    const alreadyHeld: string[] = [];
    for (const change of adds) {
      // The first grant takes its lease and reads the grant while the app and the account are looked up.
      const key = { appId: input.appId, userId: input.beneficiaryId, entitlementId: change.entitlement.id };
      const target = ready.then(({ targets }) => targets.of(change));
      target.catch(() => undefined); // awaited under the lease; a lease that is never taken must not leave it unhandled
      const held = await holders.hold(key, target, {
        ticketId: input.ticketId,
        start: limited?.start ?? grantedAt,
        end: limited?.end ?? relativeEnd,
      });
      if (held.alreadyHeld) alreadyHeld.push(change.entitlement.id);
    }
    const { app, targets } = await ready;
    for (const change of removes) await holders.remove(targets.of(change));
    await releaseUnneededSeats(
      app,
      input.beneficiaryId,
      removes.map((c) => c.entitlement.id),
    );
    return alreadyHeld.length ? { grantedAt, alreadyHeld } : { grantedAt };
  }

  /**
   * Ends this ticket's holding of each entitlement. The target is revoked only where no other ticket
   * holds it and the person did not hold it before Gatehouse (unless an admin revokes that too);
   * entitlements this ticket never held, or that a later ticket removed, are skipped.
   */
  async function revoke(input: RevokeAccessInput): Promise<RevokeAccessResult> {
    const app = await loadApp(input.appId);
    const targets = grantTargets(app, input.beneficiaryId);
    const skipped: string[] = [];
    const kept: string[] = [];
    for (const change of input.changes) {
      const outcome = await holders.release(
        targets.of(change),
        input.ticketId,
        input.reason,
        input.includePreexisting === true,
      );
      if (outcome === 'skipped') skipped.push(change.entitlement.id);
      if (outcome === 'kept') kept.push(change.entitlement.id);
    }
    await releaseUnneededSeats(
      app,
      input.beneficiaryId,
      input.changes.map((c) => c.entitlement.id),
    );
    return { revokedAt: new Date().toISOString(), skipped, ...(kept.length ? { kept } : {}) };
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
