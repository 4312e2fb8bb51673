import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '@gatehouse/domain';
import { Store, type UserDoc } from '@gatehouse/store';
import type { GatewayConfig } from '../config';
import { fail } from '../common/errors';
import { GATEWAY_CONFIG, STORE } from '../tokens';

/** Bounds the cache's memory: past this many callers, it starts over. */
const MAX_CACHED = 10_000;

/**
 * Completes a verified caller from the directory: the directory user the token names (docs/identity.md,
 * "Matching") gives the actor its Gatehouse id, adds the directory's groups and roles, and refuses a
 * deactivated user (USER_INACTIVE) however fresh their token.
 *
 * One lookup per request at most, and usually none: entries are reused for `DIRECTORY_CACHE_SECONDS`,
 * and every directory write made through this gateway empties the cache, so this gateway applies its own
 * writes at once; other gateways apply them within the cache time.
 */
@Injectable()
export class DirectoryService {
  private readonly cache = new Map<string, { doc: UserDoc | null; until: number }>();
  private readonly ttlMs: number;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.ttlMs = config.directory?.cacheMs ?? 10_000;
  }

  async complete(actor: Actor): Promise<Actor> {
    const doc = await this.lookup(actor.id, actor.email);
    if (!doc) return actor;
    if (doc.active === false) fail('USER_INACTIVE', 'This user has been deactivated in the directory.');
    if (!doc.scim) return actor; // a user only PUT /users wrote: the token alone says who they are
    return {
      ...actor,
      id: doc._id,
      name: actor.name ?? doc.name ?? undefined,
      email: actor.email ?? doc.email ?? undefined,
      roles: union(actor.roles, doc.roles),
      groups: union(actor.groups, doc.groups),
      directory: { manager: doc.manager ?? null, department: doc.department ?? null },
    };
  }

  /** Forgets every cached entry: called after each directory write this gateway makes. */
  invalidate(): void {
    this.cache.clear();
  }

  private async lookup(sub: string, email: string | undefined): Promise<UserDoc | null> {
    const key = `${sub}\n${email ?? ''}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.doc;
    const doc = await this.store.directory.forToken(sub, email);
    if (this.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, { doc, until: Date.now() + this.ttlMs });
    }
    return doc;
  }
}

function union(a: string[], b: string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])])];
}
