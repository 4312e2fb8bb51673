import type { Connection, Model } from 'mongoose';
import type { App, DirectoryManager, OffboardingProgress } from '@gatehouse/domain';
import { AppRevisionSchema, RevisionConflictError, type AppRevisionDoc } from './app-revisions';
import { isDuplicateKeyError } from './connection';
import {
  AppSchema,
  DemoMembershipSchema,
  IdempotencySchema,
  OpenClaimSchema,
  SeatSchema,
  TicketNumberSchema,
  UserSchema,
  type AppDoc,
  type DemoMembershipDoc,
  type IdempotencyDoc,
  type OpenClaimDoc,
  type SeatDoc,
  type UserDoc,
} from './schemas';

const now = () => new Date().toISOString();

export { RevisionConflictError } from './app-revisions';

/** An app as stored, with the revision its next write must name to be accepted. */
export interface RevisionedApp {
  app: App;
  revision: number;
}

/** A claim older than this whose write never landed belongs to a writer that died: the next writer completes it. */
const STALE_CLAIM_MS = 30_000;
/** How often a write that names no revision re-reads after losing a claim race before it gives up. */
const UNGUARDED_ATTEMPTS = 40;

export class AppRepository {
  readonly model: Model<AppDoc>;
  readonly revisions: Model<AppRevisionDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<AppDoc>('App', AppSchema);
    this.revisions = connection.model<AppRevisionDoc>('AppRevision', AppRevisionSchema);
  }

  /**
   * Creates or replaces an app. With `expected`, only while the app is at that revision (0: while it does
   * not exist), else RevisionConflictError; without, after whatever write came before (last writer wins).
   */
  async put(app: App, expected?: number): Promise<{ created: boolean; revision: number }> {
    const { id, ...rest } = app;
    return this.write(id, rest, expected);
  }

  /** Deletes an app (same `expected` rule as put). `deleted: false` when there was no such app. */
  async delete(id: string, expected?: number): Promise<{ deleted: boolean; revision: number }> {
    const { created, revision } = await this.write(id, null, expected);
    return { deleted: !created, revision };
  }

  async get(id: string): Promise<App | null> {
    return (await this.getRevisioned(id))?.app ?? null;
  }

  async getRevisioned(id: string): Promise<RevisionedApp | null> {
    const doc = await this.model.findById(id).lean<AppDoc>().exec();
    return doc && !doc.deleted ? { app: appFromDoc(doc), revision: doc.revision ?? 0 } : null;
  }

  async list(): Promise<App[]> {
    return (await this.listRevisioned()).map((r) => r.app);
  }

  async listRevisioned(): Promise<RevisionedApp[]> {
    const docs = await this.model.find().sort({ _id: 1 }).lean<AppDoc[]>().exec();
    return docs.filter((d) => !d.deleted).map((doc) => ({ app: appFromDoc(doc), revision: doc.revision ?? 0 }));
  }

  /** Claims the next revision with a unique insert, then writes it (see app-revisions.ts). */
  private async write(
    id: string,
    body: Omit<App, 'id'> | null,
    expected: number | undefined,
  ): Promise<{ created: boolean; revision: number }> {
    for (let attempt = 1; ; attempt++) {
      const doc = await this.model.findById(id).lean<AppDoc>().exec();
      const current = doc?.revision ?? 0;
      const exists = Boolean(doc && !doc.deleted);
      const pending = await this.revisions
        .findById(`${id}:${current + 1}`)
        .lean<AppRevisionDoc>()
        .exec();
      if (pending && Date.parse(pending.at) < Date.now() - STALE_CLAIM_MS) {
        await this.land(id, pending.app, pending.revision);
        continue;
      }
      if (expected !== undefined && expected !== current && !(expected === 0 && !exists))
        throw new RevisionConflictError(id, expected, current);
      if (!body && !exists) return { created: false, revision: current };
      const next = current + 1;
      const written = body ? (JSON.parse(JSON.stringify(body)) as Record<string, unknown>) : null;
      if (pending || !(await this.claim(id, next, written))) {
        // Another writer claimed the next revision first: a conflict for a guarded write; an unguarded one
        // goes after it, once it landed.
        if (expected !== undefined || attempt >= UNGUARDED_ATTEMPTS) throw new RevisionConflictError(id, current, next);
        await new Promise((resolve) => setTimeout(resolve, 25 * Math.min(attempt, 8)));
        continue;
      }
      await this.land(id, written, next);
      return { created: !exists, revision: next };
    }
  }

  private async claim(id: string, revision: number, app: Record<string, unknown> | null): Promise<boolean> {
    try {
      await this.revisions.create({ _id: `${id}:${revision}`, appId: id, revision, app, at: now() });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /**
   * Writes a claimed revision into the app's document; a deletion keeps the document as a tombstone. Never
   * over a later revision: a writer that lost 30 s between its claim and this write was rolled forward,
   * and the app may have moved on since (the upsert then meets the existing `_id`).
   */
  private async land(id: string, app: Record<string, unknown> | null, revision: number): Promise<void> {
    const doc = app ? { ...app, revision, updatedAt: now() } : { revision, deleted: true, updatedAt: now() };
    const older = { _id: id, $or: [{ revision: { $lt: revision } }, { revision: { $exists: false } }] };
    try {
      await this.model.replaceOne(older, doc, { upsert: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}

function appFromDoc(doc: AppDoc): App {
  return {
    id: doc._id,
    name: doc.name,
    connector: doc.connector as App['connector'],
    entitlements: doc.entitlements as App['entitlements'],
    licenses: doc.licenses as App['licenses'],
    policy: doc.policy as App['policy'],
  };
}

export interface User {
  id: string;
  name: string | null;
  email: string | null;
  accounts: Record<string, string>;
  /**
   * The directory's view of the user, set with `PUT /users/:id` (a directory sync). Approver rules
   * `role:`/`group:` resolve against these for notifications and Slack decisions, which carry no token.
   */
  roles: string[];
  groups: string[];
  /** Directory attributes (SCIM); null on users no directory provisioned. */
  externalId: string | null;
  userName: string | null;
  /** false: a leaver, whose tokens are refused (USER_INACTIVE). */
  active: boolean;
  /** The Gatehouse user id of the user's manager. */
  manager: string | null;
  department: string | null;
  costCenter: string | null;
  employeeNumber: string | null;
}

export class UserRepository {
  readonly model: Model<UserDoc>;
  /** Ids this process has made sure exist: `remember` never changes a stored user, so once is enough. */
  private readonly known = new Set<string>();
  constructor(connection: Connection) {
    this.model = connection.model<UserDoc>('User', UserSchema);
  }

  async put(
    id: string,
    patch: {
      name?: string;
      email?: string;
      accounts?: Record<string, string>;
      roles?: string[];
      groups?: string[];
      active?: boolean;
      manager?: string | null;
    },
  ): Promise<User> {
    const set: Record<string, unknown> = { updatedAt: now() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.accounts !== undefined) set.accounts = patch.accounts;
    // Omitted lists are kept; a user written without them reads as [] (userFromDoc).
    if (patch.roles !== undefined) set.roles = patch.roles;
    if (patch.groups !== undefined) set.groups = patch.groups;
    if (patch.active !== undefined) set.active = patch.active;
    if (patch.manager !== undefined) set.manager = patch.manager;
    const doc = await this.model
      .findOneAndUpdate({ _id: id }, { $set: set }, { upsert: true, new: true })
      .lean<UserDoc>()
      .exec();
    return userFromDoc(doc!);
  }

  /** Active users some approver rule (`user:<id>`, `group:<name>`, `role:<name>`) names. */
  async matchingRules(rules: string[]): Promise<User[]> {
    const ids = rules.filter((r) => r.startsWith('user:')).map((r) => r.slice(5));
    const groups = rules.filter((r) => r.startsWith('group:')).map((r) => r.slice(6));
    const roles = rules.filter((r) => r.startsWith('role:')).map((r) => r.slice(5));
    const or: Record<string, unknown>[] = [];
    if (ids.length) or.push({ _id: { $in: ids } });
    if (groups.length) or.push({ groups: { $in: groups } });
    if (roles.length) or.push({ roles: { $in: roles } });
    if (!or.length) return [];
    const docs = await this.model
      .find({ $or: or, active: { $ne: false } })
      .lean<UserDoc[]>()
      .exec();
    return docs.map(userFromDoc);
  }

  async byEmail(email: string): Promise<User | null> {
    const doc = await this.model.findOne({ email: email.toLowerCase() }).lean<UserDoc>().exec();
    if (doc) return userFromDoc(doc);
    // Emails stored before they were lower-cased: compare case-insensitively (an exact, escaped match).
    const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const loose = await this.model
      .findOne({ email: { $regex: `^${escaped}$`, $options: 'i' } })
      .lean<UserDoc>()
      .exec();
    return loose ? userFromDoc(loose) : null;
  }

  /** Remembers a caller's name and email from their token, without overwriting what an admin set. */
  async remember(id: string, claims: { name?: string; email?: string }): Promise<void> {
    if (this.known.has(id)) return; // a write per ticket that changes nothing (it only ever inserts)
    await this.model
      .updateOne(
        { _id: id },
        {
          $setOnInsert: {
            name: claims.name ?? null,
            email: claims.email ?? null,
            accounts: {},
            roles: [],
            groups: [],
            updatedAt: now(),
          },
        },
        { upsert: true },
      )
      .catch((err: unknown) => {
        if (!isDuplicateKeyError(err)) throw err;
      });
    if (this.known.size >= 10_000) this.known.clear();
    this.known.add(id);
  }

  async get(id: string): Promise<User | null> {
    const doc = await this.model.findById(id).lean<UserDoc>().exec();
    return doc ? userFromDoc(doc) : null;
  }

  /**
   * The user's managers up the directory's chain, nearest first, at most `levels` of them (approver rules
   * `manager`, `manager:2`). A manager the directory names but Gatehouse has not stored counts as active.
   */
  async managers(userId: string, levels: number): Promise<DirectoryManager[]> {
    const chain: DirectoryManager[] = [];
    let managerId =
      levels > 0 ? ((await this.model.findById(userId, { manager: 1 }).lean<UserDoc>().exec())?.manager ?? null) : null;
    while (managerId && chain.length < levels) {
      const doc = await this.model.findById(managerId, { active: 1, manager: 1 }).lean<UserDoc>().exec();
      chain.push({ id: managerId, active: doc?.active !== false });
      managerId = doc?.manager ?? null;
    }
    return chain;
  }

  /** The leaver workflow's progress on this user, or null when none ran. */
  async offboarding(id: string): Promise<OffboardingProgress | null> {
    const doc = await this.model.findById(id, { offboarding: 1 }).lean<UserDoc>().exec();
    return doc?.offboarding ?? null;
  }

  /**
   * One page of users by id, for the admin console: `q` matches id, name, email or userName (any case,
   * anywhere in it). Keyset paging on `_id` (`cursor`: the last id of the previous page), so a page costs
   * the same however deep it is, and users added meanwhile never shift what the next page shows.
   */
  async page(options: {
    q?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: User[]; nextCursor: string | null }> {
    const filter: Record<string, unknown> = {};
    if (options.cursor) filter._id = { $gt: options.cursor };
    if (options.q) {
      const anywhere = { $regex: options.q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
      filter.$or = [{ _id: anywhere }, { name: anywhere }, { email: anywhere }, { userName: anywhere }];
    }
    const docs = await this.model
      .find(filter, { scim: 0 })
      .sort({ _id: 1 })
      .limit(options.limit + 1)
      .lean<UserDoc[]>()
      .exec();
    const items = docs.slice(0, options.limit).map(userFromDoc);
    return { items, nextCursor: docs.length > options.limit ? items[items.length - 1].id : null };
  }

  /** Written by the leaver workflow only (one writer per user at a time), never creating a user. */
  async setOffboarding(id: string, progress: OffboardingProgress): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { offboarding: progress } }).exec();
  }
}

function userFromDoc(doc: UserDoc): User {
  return {
    id: doc._id,
    name: doc.name,
    email: doc.email,
    accounts: doc.accounts ?? {},
    roles: doc.roles ?? [],
    groups: doc.groups ?? [],
    externalId: doc.externalId ?? null,
    userName: doc.userName ?? null,
    active: doc.active !== false,
    manager: doc.manager ?? null,
    department: doc.department ?? null,
    costCenter: doc.costCenter ?? null,
    employeeNumber: doc.employeeNumber ?? null,
  };
}

/**
 * Ticket numbers. FerretDB (v1.24, SQLite) loses concurrent updates to one document, so a counter
 * document with `$inc` hands out the same number twice under load. A unique `_id` insert is atomic on
 * every backend, so a number is taken by inserting it; on a clash the next one is tried.
 */
export class TicketNumberRepository {
  readonly model: Model<{ _id: number; at: string }>;
  /** The last number this process handed out: concurrent calls in one process never clash. */
  private last = 0;
  private loaded: Promise<void> | null = null;

  constructor(connection: Connection) {
    this.model = connection.model('TicketNumber', TicketNumberSchema);
  }

  private async catchUp(): Promise<void> {
    const top = await this.model.findOne({}, { _id: 1 }).sort({ _id: -1 }).lean<{ _id: number }>().exec();
    this.last = Math.max(this.last, top?._id ?? 0);
  }

  async next(): Promise<number> {
    await (this.loaded ??= this.catchUp());
    for (let attempt = 0; attempt < 1000; attempt++) {
      const n = ++this.last;
      try {
        await this.model.collection.insertOne({ _id: n, at: now() } as never);
        return n;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        await this.catchUp(); // another replica took it: jump past what exists
      }
    }
    throw new Error('could not allocate a ticket number');
  }
}

/**
 * License seats as slot documents `<app>:<license>#<k>`, k = 1…seats, each taken by a unique insert:
 * two approvals racing for the last seat cannot both win, on FerretDB (no transactions, lost
 * concurrent updates) as on MongoDB. A user holds at most one slot per license.
 */
export class SeatRepository {
  readonly model: Model<SeatDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<SeatDoc>('Seat', SeatSchema);
  }

  private license(appId: string, licenseId: string) {
    return `${appId}:${licenseId}`;
  }

  /**
   * Takes a seat for the user. Idempotent: a user who holds one keeps it, answered `held` when another ticket
   * took it (the user held it before this ticket), `taken` when this ticket did (now, or in an earlier
   * attempt). False when none is free.
   */
  async reserve(
    appId: string,
    licenseId: string,
    seats: number,
    userId: string,
    ticketId: string,
  ): Promise<'taken' | 'held' | false> {
    const license = this.license(appId, licenseId);
    const own = await this.model.findOne({ license, userId }, { ticketId: 1 }).lean<{ ticketId: string }>().exec();
    if (own) return own.ticketId === ticketId ? 'taken' : 'held';
    const taken = new Set(
      (await this.model.find({ license }, { slot: 1 }).lean<{ slot: number }[]>().exec()).map((d) => d.slot),
    );
    for (let slot = 1; slot <= seats; slot++) {
      if (taken.has(slot)) continue;
      try {
        await this.model.collection.insertOne({
          _id: `${license}#${slot}`,
          license,
          slot,
          userId,
          ticketId,
          at: now(),
        } as never);
        return 'taken';
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    return false;
  }

  async release(appId: string, licenseId: string, userId: string): Promise<void> {
    await this.model.deleteMany({ license: this.license(appId, licenseId), userId });
  }

  async used(appId: string, licenseId: string): Promise<number> {
    return this.model.countDocuments({ license: this.license(appId, licenseId) }).exec();
  }
}

export class IdempotencyRepository {
  readonly model: Model<IdempotencyDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<IdempotencyDoc>('Idempotency', IdempotencySchema);
  }

  async get(id: string): Promise<IdempotencyDoc | null> {
    return this.model.findById(id).lean<IdempotencyDoc>().exec();
  }

  /** Drops a key's record if it still names this ticket (whose id turned out to be unusable). */
  async forget(id: string, ticketId: string): Promise<void> {
    const record = await this.get(id);
    if (record?.ticketId === ticketId) await this.model.deleteOne({ _id: id });
  }

  /** Records a key; if another request recorded it first, returns that record instead. */
  async insertOrGet(doc: IdempotencyDoc): Promise<IdempotencyDoc> {
    try {
      await this.model.create(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await this.get(doc._id))!;
    }
  }
}

export function claimKey(beneficiaryId: string, appId: string, entitlementId: string): string {
  return `${beneficiaryId}:${appId}:${entitlementId}`;
}

export class OpenClaimRepository {
  readonly model: Model<OpenClaimDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<OpenClaimDoc>('OpenClaim', OpenClaimSchema);
  }

  /**
   * Claims every key for a ticket. Returns the ticket already holding a key, if any, having released
   * the keys this call took. `isStale(ticketId)` lets a claim left by a crashed request be taken over;
   * `requestKey` names the request taking them, so that its own retry can tell them apart.
   */
  async claim(
    keys: string[],
    ticketId: string,
    isStale: (holder: OpenClaimDoc) => Promise<boolean>,
    requestKey?: string,
  ): Promise<string | null> {
    const taken: string[] = [];
    const by = requestKey ? { requestKey } : {};
    for (const key of keys) {
      try {
        await this.model.create({ _id: key, ticketId, createdAt: now(), ...by });
        taken.push(key);
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const holder = await this.model.findById(key).lean<OpenClaimDoc>().exec();
        if (holder && holder.ticketId !== ticketId && !(await isStale(holder))) {
          await this.model.deleteMany({ _id: { $in: taken }, ticketId });
          return holder.ticketId;
        }
        // A stale claim (its request crashed before starting a workflow) or our own: take it over.
        await this.model.updateOne(
          { _id: key, ticketId: holder?.ticketId },
          requestKey
            ? { $set: { ticketId, createdAt: now(), requestKey } }
            : { $set: { ticketId, createdAt: now() }, $unset: { requestKey: 1 } },
          { upsert: !holder },
        );
        taken.push(key);
      }
    }
    return null;
  }

  /** Releases the keys a ticket holds (by `_id`: FerretDB scans the collection for any other filter). */
  async release(ticketId: string, keys: string[]): Promise<void> {
    for (const key of keys) {
      const holder = await this.model.findById(key).lean<OpenClaimDoc>().exec();
      if (holder?.ticketId === ticketId) await this.model.deleteOne({ _id: key });
    }
  }
}

export class DemoMembershipRepository {
  readonly model: Model<DemoMembershipDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<DemoMembershipDoc>('DemoMembership', DemoMembershipSchema);
  }

  private key(appId: string, account: string, entitlement: string) {
    return `${appId}:${account}:${entitlement}`;
  }

  /** Adds a membership; `false` when it was there already. */
  async add(appId: string, account: string, entitlement: string): Promise<boolean> {
    try {
      await this.model.collection.insertOne({
        _id: this.key(appId, account, entitlement),
        appId,
        account,
        entitlement,
        grantedAt: now(),
      } as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
  }

  async remove(appId: string, account: string, entitlement: string): Promise<void> {
    await this.model.deleteOne({ _id: this.key(appId, account, entitlement) });
  }

  async members(appId: string, entitlement: string): Promise<string[]> {
    const docs = await this.model.find({ appId, entitlement }).sort({ account: 1 }).lean<DemoMembershipDoc[]>().exec();
    return docs.map((d) => d.account);
  }
}
