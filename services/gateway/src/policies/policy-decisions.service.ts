import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Actor, App, Entitlement } from '@gatehouse/domain';
import { Store, type UserDoc } from '@gatehouse/store';
import { fail } from '../common/errors';
import { STORE } from '../tokens';
import {
  CompiledPolicySet,
  decide,
  decideAction,
  type PolicyContextInput,
  type PolicyDecision,
  type PolicyPrincipal,
  type PolicyResource,
  type PolicySource,
} from './cedar';

/**
 * How often each gateway asks the store whether some policy changed (one count of versions). A change made
 * through this gateway applies at once; one made through another gateway within this interval.
 */
export const POLICY_RELOAD_INTERVAL_MS = 5_000;

/** Users looked at, at most, by one `requesters` call: it evaluates the policies for each. */
const REQUESTERS_SCAN_LIMIT = 5_000;

/** The document versions a decision was made with: a ticket keeps these to name the policies that applied. */
export interface PolicySetVersion {
  id: string;
  revision: number;
}

export interface PolicyDecisionResult extends PolicyDecision {
  policySet: PolicySetVersion[];
}

export interface PolicyDecisionInput {
  principal: PolicyPrincipal;
  app: App;
  entitlementId: string;
  context: PolicyContextInput;
}

/** The entitlement of `app` as a policy resource; ENTITLEMENT_NOT_FOUND when the app has no such entitlement. */
export function resourceOf(app: App, entitlementId: string): PolicyResource {
  const e: (Entitlement & { risk?: unknown }) | undefined = app.entitlements.find((x) => x.id === entitlementId);
  if (!e) fail('ENTITLEMENT_NOT_FOUND', `${app.id} has no entitlement ${entitlementId.slice(0, 60)}.`);
  return {
    appId: app.id,
    appName: app.name,
    entitlementId: e.id,
    name: e.name,
    kind: e.kind,
    ...(typeof e.risk === 'string' ? { risk: e.risk } : {}),
  };
}

function principalFromDoc(
  doc: Pick<UserDoc, '_id' | 'email' | 'groups' | 'roles' | 'department' | 'manager' | 'active'>,
) {
  return {
    id: doc._id,
    email: doc.email ?? null,
    groups: doc.groups ?? [],
    roles: doc.roles ?? [],
    department: doc.department ?? null,
    manager: doc.manager ?? null,
    active: doc.active !== false,
  };
}

/**
 * Decides what the access policies (Cedar, `PUT /policies/:id`) let a user do with an entitlement:
 * request it, have it approved automatically, break glass. Holds the published policy set parsed in
 * memory and reloads it when a version is added, here at once and from other gateways by polling.
 */
@Injectable()
export class PolicyDecisions implements OnModuleInit, OnModuleDestroy {
  private static instances = 0;
  private readonly logger = new Logger('policies');
  /** Cedar's cache key for this instance's set: each reload replaces it. */
  private readonly cacheKey = `gateway-${PolicyDecisions.instances++}`;
  private active: CompiledPolicySet | null = null;
  private loadedCount = -1;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(@Inject(STORE) private readonly store: Store) {}

  async onModuleInit(): Promise<void> {
    // A store that is down at start must not stop the gateway: decisions load the set when first asked.
    await this.reload().catch((err: unknown) => this.logger.warn(`policies not loaded yet: ${String(err)}`));
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.logger.warn(`policy reload failed: ${String(err)}`));
    }, POLICY_RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reloads when the store holds a different number of versions than the loaded set was built from. */
  async refresh(): Promise<void> {
    if ((await this.store.policies.changeCount()) !== this.loadedCount) await this.reload();
  }

  /** Loads and parses the current version of every document (one load at a time; callers share it). */
  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        // Counted first: a version added meanwhile is either loaded now or makes the next refresh reload.
        const count = await this.store.policies.changeCount();
        const current = await this.store.policies.current();
        const set = new CompiledPolicySet(
          current.map((v) => ({ id: v.policyId, revision: v.revision, cedar: v.cedar })),
        ).preparse(this.cacheKey);
        if (set.broken.length) this.logger.error(`policy documents that no longer parse: ${set.broken.join(', ')}`);
        this.active = set;
        this.loadedCount = count;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** The loaded set; loads it first when it never was (so a decision never runs without the policies). */
  private async current(): Promise<CompiledPolicySet> {
    if (!this.active) await this.reload();
    return this.active!;
  }

  /**
   * The decisions for one user and entitlement under the published policies. With no policy published,
   * everyone may request and nobody is auto-approved or may break glass (Gatehouse without policies).
   */
  async decide(input: PolicyDecisionInput): Promise<PolicyDecisionResult> {
    const set = await this.current();
    return this.decideWith(set, input.principal, resourceOf(input.app, input.entitlementId), input.context);
  }

  /** The same decision under the published set with one document replaced by a draft (not stored). */
  async decideWithDraft(input: PolicyDecisionInput, draft: PolicySource): Promise<PolicyDecisionResult> {
    const sources = (await this.current()).sources.filter((s) => s.id !== draft.id);
    const set = new CompiledPolicySet([...sources, draft]);
    return this.decideWith(set, input.principal, resourceOf(input.app, input.entitlementId), input.context);
  }

  private decideWith(
    set: CompiledPolicySet,
    principal: PolicyPrincipal,
    resource: PolicyResource,
    context: PolicyContextInput,
  ): PolicyDecisionResult {
    return {
      ...decide(set, principal, resource, context),
      policySet: set.sources.map((s) => ({ id: s.id, revision: s.revision })),
    };
  }

  /**
   * The user as policies see them: the directory's stored user, with the groups and roles of their token
   * when `actor` is that user (tokens may carry groups the directory does not). Null for an unknown user
   * without a token.
   */
  async principalOf(userId: string, actor?: Actor): Promise<PolicyPrincipal | null> {
    const stored = await this.store.users.get(userId);
    const own = actor && actor.id === userId ? actor : undefined;
    if (!stored && !own) return null;
    const union = (a: string[] = [], b: string[] = []) => [...new Set([...a, ...b])];
    return {
      id: userId,
      email: stored?.email ?? own?.email ?? null,
      groups: union(stored?.groups, own?.groups),
      roles: union(stored?.roles, own?.roles),
      department: stored?.department ?? own?.directory?.department ?? null,
      manager: stored?.manager ?? own?.directory?.manager ?? null,
      active: stored?.active ?? true,
    };
  }

  /** The principal of `principalOf`, or one with no groups, roles or manager for a user the directory does not know. */
  async principalFor(userId: string, actor?: Actor): Promise<PolicyPrincipal> {
    return (
      (await this.principalOf(userId, actor)) ?? {
        id: userId,
        email: null,
        groups: [],
        roles: [],
        department: null,
        manager: null,
        active: true,
      }
    );
  }

  /** Whether the policies let the user request the entitlement: `decide`'s `request.allowed`, deciding nothing else. */
  async mayRequest(
    principal: PolicyPrincipal,
    app: App,
    entitlementId: string,
    context: PolicyContextInput,
  ): Promise<boolean> {
    return decideAction(await this.current(), 'Request', principal, resourceOf(app, entitlementId), context).allowed;
  }

  /** True when some policy document is published: without one every decision is the default. */
  async published(): Promise<boolean> {
    return (await this.current()).sources.length > 0;
  }

  /**
   * Active directory users the policies let request the entitlement (now, for no set duration, with no
   * reason and not on call), in id order, at most `limit`. Looks at no more than a bounded number of users:
   * `complete` is true only when every user was looked at (more may qualify otherwise).
   */
  async requesters(
    app: App,
    entitlementId: string,
    limit: number,
  ): Promise<{ users: { id: string; email: string | null }[]; complete: boolean }> {
    const resource = resourceOf(app, entitlementId);
    const set = await this.current();
    const found: { id: string; email: string | null }[] = [];
    const context: PolicyContextInput = { at: new Date() };
    let after = '';
    let scanned = 0;
    while (found.length < limit && scanned < REQUESTERS_SCAN_LIMIT) {
      const batch = await this.store.users.model
        .find(
          { _id: { $gt: after }, active: { $ne: false } },
          { email: 1, groups: 1, roles: 1, department: 1, manager: 1, active: 1 },
        )
        .sort({ _id: 1 })
        .limit(Math.min(500, REQUESTERS_SCAN_LIMIT - scanned))
        .lean<UserDoc[]>()
        .exec();
      if (!batch.length) return { users: found, complete: true };
      for (const doc of batch) {
        scanned++;
        after = doc._id;
        const principal = principalFromDoc(doc);
        if (decideAction(set, 'Request', principal, resource, context).allowed)
          found.push({ id: doc._id, email: principal.email });
        if (found.length === limit) return { users: found, complete: false };
      }
    }
    return { users: found, complete: false };
  }
}
