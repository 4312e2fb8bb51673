/**
 * Access held by tickets. A grant (app, user, entitlement) has holders, one per ticket whose access is
 * active; the target is granted when the first holder comes and revoked when the last one goes, unless
 * the person held that access in the target before Gatehouse granted it (`preexisting`), which only an
 * admin's explicit revoke removes.
 *
 * Each change of a grant reads the grant, calls the target and saves the grant under the grant's lease,
 * so two tickets' activities on any workers never interleave on one grant. A target call whose connector
 * names a serialization key (a Slack user group) also runs under that key's lease.
 *
 * The crash window between a target's grant and the grant's save: a ticket marks its grant in flight
 * (`granting`) before the call. A retry then finds the target already granted by this very ticket, and
 * must not take that for access the person held before. An attempt the target refused (it answered,
 * and applied nothing) takes its mark back, so its retry can still tell access held before.
 */
import { targetRefused, type AccessChange, type Connector, type GrantOutcome } from '@gatehouse/connectors';
import type { GrantRecord, GrantState, LeaseOptions, Store } from '@gatehouse/store';
import { newGrantRecord, withRelease } from '@gatehouse/store';

export interface GrantTarget {
  appId: string;
  userId: string;
  entitlementId: string;
  connector: Connector;
  /** The target change; built only when the target is called (it may need to look the account up). */
  change: () => Promise<AccessChange>;
}

export type ReleaseOutcome = 'skipped' | 'revoked' | 'kept';

export function createGrantHolders(store: Store, lease: () => LeaseOptions) {
  /** Runs a target call alone among every worker when the connector says the target needs it. */
  async function inTarget<T>(connector: Connector, change: AccessChange, call: () => Promise<T>): Promise<T> {
    const key = connector.serializationKey?.(change.entitlement);
    return key ? store.leases.withLease(`target:${key}`, call, lease()) : call();
  }

  /** Runs `work` alone among every worker for this grant, on the grant as stored (null: none yet). */
  function underLease<T>(
    { appId, userId, entitlementId }: Pick<GrantTarget, 'appId' | 'userId' | 'entitlementId'>,
    work: (record: GrantRecord | null) => Promise<T>,
  ): Promise<T> {
    return store.grants.exclusive(
      appId,
      userId,
      entitlementId,
      async () => work(await store.grants.read(appId, userId, entitlementId)),
      lease(),
    );
  }

  return {
    /**
     * Makes `ticketId` a holder for its period, granting in the target (always: a grant is idempotent,
     * and it repairs access removed in the target behind Gatehouse's back). Answers whether the person
     * held the access before Gatehouse granted it. The grant's lease is taken and the grant read while
     * `targetReady` is still being made: one round trip fewer in a row on the way to the target.
     */
    async hold(
      key: Pick<GrantTarget, 'appId' | 'userId' | 'entitlementId'>,
      targetReady: Promise<GrantTarget>,
      holder: { ticketId: string; start: string; end: string | null },
    ): Promise<{ alreadyHeld: boolean }> {
      const { appId, userId, entitlementId } = key;
      return underLease(key, async (stored) => {
        // The lease and the read need only the grant's key; nothing is written before the target is known
        // (its app and the person's account, which the caller looks up meanwhile and may fail to find).
        const target = await targetReady;
        // Read under the lease: no grant yet means no revision yet, so the saves below need not look it up.
        const record = stored ?? { ...newGrantRecord(appId, userId, entitlementId), revision: 0 };
        const holding = record.holders.some((h) => h.ticketId === holder.ticketId);
        // Only a grant that no ticket holds or may have made can find access the person held before.
        const first = record.holders.length === 0 && record.granting.length === 0;
        const marks = !holding && !record.granting.includes(holder.ticketId);
        // The mark's feed row lands while the target is called: the save after the call supersedes it.
        let markFed: Promise<void> = Promise.resolve();
        if (marks) {
          record.granting = [...record.granting, holder.ticketId];
          markFed = (await store.grants.saveBeforeFeed(record)).fed;
        }
        let called = false;
        let outcome: GrantOutcome | void;
        try {
          const change = await target.change();
          outcome = await inTarget(target.connector, change, () => {
            called = true;
            return target.connector.grant(change);
          });
        } catch (err) {
          // This attempt granted nothing when the target was never called or answered with a refusal:
          // take its mark back, or the retry would take access the person held before for this
          // ticket's own (and revoke it at expiry). A call without an answer keeps the mark.
          if (marks && (!called || targetRefused(err))) {
            record.granting = record.granting.filter((t) => t !== holder.ticketId);
            await store.grants.save(record);
          }
          await markFed;
          throw err;
        }
        if (first) record.preexisting = outcome?.alreadyHeld === true;
        if (!holding) record.holders = [...record.holders, holder];
        record.granting = record.granting.filter((t) => t !== holder.ticketId);
        const saved = await store.grants.save(record);
        await markFed;
        return { alreadyHeld: saved.preexisting };
      });
    },

    /**
     * Ends `ticketId`'s holding. The target is revoked only when no holder remains and the access was
     * not the person's before Gatehouse (unless `includePreexisting`: an admin's revoke, which also stops
     * the remaining holders' access from outliving them as the person's own).
     */
    async release(
      target: GrantTarget,
      ticketId: string,
      endedAs: Exclude<GrantState, 'active'>,
      includePreexisting: boolean,
    ): Promise<ReleaseOutcome> {
      return underLease(target, async (record): Promise<ReleaseOutcome> => {
        if (!record) return 'skipped';
        const holding = record.holders.some((h) => h.ticketId === ticketId);
        // A ticket whose grant was in flight when it failed may have granted the target: undo that too.
        const inFlight = record.granting.includes(ticketId);
        // Released already (a retry whose first attempt saved, then failed to answer): answer as it did.
        if (!holding && !inFlight) return record.released.find((r) => r.ticketId === ticketId)?.outcome ?? 'skipped';
        record.holders = record.holders.filter((h) => h.ticketId !== ticketId);
        record.granting = record.granting.filter((t) => t !== ticketId);
        if (includePreexisting) record.preexisting = false;
        let outcome: ReleaseOutcome = 'kept';
        if (record.holders.length === 0 && !record.preexisting) {
          // Target first, then the grant: a crash in between retries the (idempotent) revoke.
          const change = await target.change();
          await inTarget(target.connector, change, () => target.connector.revoke(change));
          outcome = 'revoked';
        }
        record.released = withRelease(record.released, ticketId, outcome);
        await store.grants.save(record, record.holders.length === 0 ? endedAs : undefined);
        return outcome;
      });
    },

    /** A `remove` the person asked for: revoked in the target whoever holds it, and every holder ends. */
    async remove(target: GrantTarget): Promise<void> {
      await underLease(target, async (record) => {
        const change = await target.change();
        await inTarget(target.connector, change, () => target.connector.revoke(change));
        if (!record || (record.holders.length === 0 && !record.preexisting)) return;
        await store.grants.save({ ...record, holders: [], preexisting: false }, 'removed');
      });
    },

    /** Moves the end of `ticketId`'s holding (an approved extension); other holders keep theirs. */
    async moveEnd(appId: string, userId: string, entitlementId: string, ticketId: string, end: string): Promise<void> {
      await underLease({ appId, userId, entitlementId }, async (record) => {
        if (!record?.holders.some((h) => h.ticketId === ticketId)) return;
        record.holders = record.holders.map((h) => (h.ticketId === ticketId ? { ...h, end } : h));
        await store.grants.save(record);
      });
    },
  };
}

export type GrantHolders = ReturnType<typeof createGrantHolders>;
