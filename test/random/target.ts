/**
 * The target application of the randomized checker: memberships kept in this process (so they survive a
 * worker restart), and the faults a schedule injects: a target that answers "try again" for a while
 * (retryable, so Temporal retries with backoff), and an entitlement whose grants the target refuses for
 * a while (permanent, so the ticket parks in `failed`). The invariant is checked against `members`, the
 * target itself, never against Gatehouse's read model.
 */
import type { App } from '@gatehouse/domain';
import { CONNECTOR_FAILURE, ConnectorFailure, type AccessChange, type Connector } from '@gatehouse/connectors';

export class RandomTarget {
  private readonly memberships = new Map<string, Set<string>>();
  private readonly unavailableUntil = new Map<string, number>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly calls = new Map<string, string[]>();

  /** Access the person held before Gatehouse ever granted it. */
  seed(appId: string, account: string, entitlement: string): void {
    this.set(appId, entitlement).add(account);
  }

  /** Every grant and revoke of this app fails with a retryable error for `ms`. */
  failFor(appId: string, ms: number): void {
    this.unavailableUntil.set(appId, Date.now() + ms);
  }

  /** Grants of this entitlement are refused for good (a permanent error) for `ms`. */
  refuseFor(appId: string, entitlement: string, ms: number): void {
    this.refusedUntil.set(`${appId}/${entitlement}`, Date.now() + ms);
  }

  /** Who is a member of each entitlement of this app, as `account/entitlement` pairs. */
  members(appId: string): Set<string> {
    const pairs = new Set<string>();
    for (const [key, accounts] of this.memberships) {
      const [app, entitlement] = key.split('\n');
      if (app !== appId) continue;
      for (const account of accounts) pairs.add(`${account}/${entitlement}`);
    }
    return pairs;
  }

  /** What the target was asked to do for this app, in order, for failure reports. */
  history(appId: string): string[] {
    return this.calls.get(appId) ?? [];
  }

  connectorFor(app: App): Connector {
    const check = (change: AccessChange, granting: boolean) => {
      if ((this.unavailableUntil.get(app.id) ?? 0) > Date.now())
        throw ConnectorFailure.retryable('the target is unavailable');
      const entitlement = change.entitlement.externalId;
      if (granting && (this.refusedUntil.get(`${app.id}/${entitlement}`) ?? 0) > Date.now()) {
        throw ConnectorFailure.permanent(CONNECTOR_FAILURE.REJECTED, `the target refuses ${entitlement} for now`);
      }
      return entitlement;
    };
    const record = <T>(what: string, change: AccessChange, work: () => T): T => {
      let calls = this.calls.get(app.id);
      if (!calls) this.calls.set(app.id, (calls = []));
      const line = `${new Date().toISOString().slice(11, 23)} ${what} ${change.account}/${change.entitlement.externalId}`;
      try {
        const result = work();
        calls.push(line);
        return result;
      } catch (err) {
        calls.push(`${line} refused: ${(err as Error).message}`);
        throw err;
      }
    };
    return {
      type: 'demo',
      // Like the real targets, a grant says whether the account was a member already.
      grant: async (change) =>
        record('grant', change, () => {
          const members = this.set(app.id, check(change, true));
          const alreadyHeld = members.has(change.account);
          members.add(change.account);
          return { alreadyHeld };
        }),
      revoke: async (change) => {
        record('revoke', change, () => this.set(app.id, check(change, false)).delete(change.account));
      },
      listMembers: async (entitlement) => [...this.set(app.id, entitlement.externalId)],
      checkConnection: async () => ({ ok: true, message: 'randomized checker target' }),
    };
  }

  private set(appId: string, entitlement: string): Set<string> {
    const key = `${appId}\n${entitlement}`;
    let accounts = this.memberships.get(key);
    if (!accounts) this.memberships.set(key, (accounts = new Set()));
    return accounts;
  }
}
