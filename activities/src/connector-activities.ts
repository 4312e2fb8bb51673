/**
 * Activities of the connector workflows: checking an app's connection, computing its drift report
 * (the target's members against Gatehouse's active grants) and re-applying one grant in the target.
 * Like every activity they may run more than once: the check and the report only read the target, and
 * a re-applied grant is a connector grant, which is idempotent.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  CONNECTOR_ACTIVITY_FAILURES,
  type CheckConnectionInput,
  type CheckConnectionResult,
  type ComputeDriftInput,
  type ComputeDriftResult,
  type ConnectorActivities,
  type DriftError,
  type DriftMissing,
  type DriftUnmanaged,
  type ReapplyGrantInput,
  type ReapplyGrantResult,
  type TicketChange,
} from '@gatehouse/domain';
import type { Connector } from '@gatehouse/connectors';
import type { Grant } from '@gatehouse/store';
import {
  accountFor,
  connectorFactory,
  loadApp as loadAppFrom,
  requireAccount,
  requireEntitlement,
  targetEntitlement,
  type ActivityDeps,
} from './targets';

const norm = (account: string) => account.toLowerCase();

export function createConnectorActivities(deps: ActivityDeps): ConnectorActivities {
  const { store } = deps;
  const connectorFor = connectorFactory(deps);
  const loadApp = (appId: string) => loadAppFrom(store, appId);

  const activeGrants = (appId: string): Promise<Grant[]> => store.grants.activeIn(appId);

  return {
    async checkConnection(input: CheckConnectionInput): Promise<CheckConnectionResult> {
      const app = await loadApp(input.appId);
      let result: { ok: boolean; message: string };
      try {
        // Building the connector reads its config: a malformed one is an answer here, not an error.
        result = await connectorFor(app).checkConnection();
      } catch (err) {
        result = {
          ok: false,
          message:
            err instanceof ApplicationFailure
              ? err.message
              : `connection check failed: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
      return { ok: result.ok, message: result.message, checkedAt: new Date().toISOString() };
    },

    async computeDrift(input: ComputeDriftInput): Promise<ComputeDriftResult> {
      const app = await loadApp(input.appId);
      let target: Connector | null = null;
      const connector = () => (target ??= connectorFor(app));
      const type = app.connector.type;

      // Whose accounts these are: every user whose `accounts` name one in this kind of target.
      const owners = new Map<string, string>();
      const mapped = await store.users.model
        .find({ [`accounts.${type}`]: { $exists: true } })
        .lean()
        .exec();
      for (const u of mapped) {
        const account = (u.accounts as Record<string, unknown> | undefined)?.[type];
        if (typeof account === 'string' && account) owners.set(norm(account), u._id);
      }
      // The account of each user holding a grant (set by an admin, the user id for demo, or found by email).
      const holderAccounts = new Map<string, string | null>();
      const accountOfHolder = async (userId: string) => {
        if (!holderAccounts.has(userId)) {
          const account = await accountFor(store, app, userId, connector);
          holderAccounts.set(userId, account);
          if (account && !owners.has(norm(account))) owners.set(norm(account), userId);
        }
        return holderAccounts.get(userId) ?? null;
      };

      const before = await activeGrants(app.id);
      for (const g of before) await accountOfHolder(g.userId);

      const unmanaged: DriftUnmanaged[] = [];
      const missing: DriftMissing[] = [];
      const errors: DriftError[] = [];
      for (const entitlement of app.entitlements) {
        let members: string[];
        try {
          members = await connector().listMembers(targetEntitlement(entitlement));
        } catch (err) {
          // An entitlement that cannot be listed (its externalId points at nothing, a kind the connector
          // does not manage) is reported; a failure that may pass fails the run, and Temporal retries it.
          if (err instanceof ApplicationFailure && err.nonRetryable) {
            errors.push({ entitlementId: entitlement.id, code: err.type ?? 'CONNECTOR_FAILED', message: err.message });
            continue;
          }
          throw err;
        }
        const listed = new Map(members.map((m) => [norm(m), m]));
        const grants = before.filter((g) => g.entitlementId === entitlement.id);
        const held = new Set<string>();
        for (const g of grants) {
          const account = holderAccounts.get(g.userId) ?? null;
          if (account) held.add(norm(account));
          if (!account || !listed.has(norm(account)))
            missing.push({ entitlementId: entitlement.id, userId: g.userId, ticketId: g.ticketId });
        }
        for (const [key, account] of listed) {
          if (!held.has(key))
            unmanaged.push({
              entitlementId: entitlement.id,
              account,
              userId: owners.get(key) ?? (type === 'demo' ? account : null),
            });
        }
      }

      // Access granted or revoked while we listed is not drift: keep only what the grants still say.
      const after = await activeGrants(app.id);
      const stillActive = new Set(after.map((g) => `${g.entitlementId}\n${g.userId}\n${g.ticketId}`));
      const heldAfter = new Set<string>();
      for (const g of after) {
        const account = await accountOfHolder(g.userId);
        if (account) heldAfter.add(`${g.entitlementId}\n${norm(account)}`);
      }
      const report = {
        appId: app.id,
        generatedAt: new Date().toISOString(),
        unmanaged: unmanaged.filter((u) => !heldAfter.has(`${u.entitlementId}\n${norm(u.account)}`)),
        missing: missing.filter((m) => stillActive.has(`${m.entitlementId}\n${m.userId}\n${m.ticketId}`)),
        errors,
      };
      await store.driftReports.save(report);
      return {
        appId: app.id,
        generatedAt: report.generatedAt,
        unmanaged: report.unmanaged.length,
        missing: report.missing.length,
        errors: errors.length,
      };
    },

    async reapplyGrant(input: ReapplyGrantInput): Promise<ReapplyGrantResult> {
      const app = await loadApp(input.appId);
      const noGrant = () =>
        ApplicationFailure.create({
          type: CONNECTOR_ACTIVITY_FAILURES.GRANT_NOT_FOUND,
          message: `${input.userId} holds no active grant of ${input.entitlementId} in ${app.id}`,
          nonRetryable: true,
        });
      const entitlement = requireEntitlement(app, input.entitlementId);
      const connector = connectorFor(app);
      const account = await requireAccount(store, app, input.userId, connector);
      // Under the grant's lease: no ticket's revoke can end the access between our check and our grant.
      const ticketId = await store.grants.exclusive(app.id, input.userId, input.entitlementId, async () => {
        const owner = await store.grants.activeOwner(app.id, input.userId, input.entitlementId);
        if (!owner) throw noGrant();
        // The owner ticket's fields for this entitlement, as its grant was applied with them.
        const ticket = await store.tickets.get(owner);
        const change = (ticket?.changes as TicketChange[] | undefined)?.find(
          (c) => c.op === 'add' && c.entitlement.id === entitlement.id,
        );
        const access = { account, entitlement: targetEntitlement(entitlement), fields: change?.fields ?? {} };
        const key = connector.serializationKey?.(access.entitlement);
        await (key ? store.leases.withLease(`target:${key}`, () => connector.grant(access)) : connector.grant(access));
        return owner;
      });
      return { ticketId, reappliedAt: new Date().toISOString() };
    },
  };
}
