import type { AccessChange, ConnectionCheck, Connector, GrantOutcome, TargetEntitlement } from '../connector';

/** Where the demo connector keeps memberships (MongoDB in the worker; injected, so connectors stay free of our store). */
export interface DemoMembershipStore {
  /** Adds a membership; `false` when it was there already. */
  add(appId: string, account: string, entitlement: string): Promise<boolean | void>;
  remove(appId: string, account: string, entitlement: string): Promise<void>;
  members(appId: string, entitlement: string): Promise<string[]>;
}

/** The embedded default target: memberships kept by Gatehouse itself, so "has access" is real without a SaaS. */
export class DemoConnector implements Connector {
  readonly type = 'demo' as const;

  constructor(
    private readonly appId: string,
    private readonly memberships: DemoMembershipStore,
  ) {}

  async grant(change: AccessChange): Promise<GrantOutcome> {
    const added = await this.memberships.add(this.appId, change.account, change.entitlement.externalId);
    return { alreadyHeld: added === false };
  }

  async revoke(change: AccessChange): Promise<void> {
    await this.memberships.remove(this.appId, change.account, change.entitlement.externalId);
  }

  async listMembers(entitlement: TargetEntitlement): Promise<string[]> {
    return this.memberships.members(this.appId, entitlement.externalId);
  }

  async checkConnection(): Promise<ConnectionCheck> {
    return { ok: true, message: 'demo connector: memberships are kept by Gatehouse' };
  }
}
