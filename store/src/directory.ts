/**
 * The directory an identity provider keeps through SCIM: its users are documents of `users` (carrying
 * the SCIM resource in `scim`), its groups documents of `groups`. Each member's `users.groups` holds the
 * names of its directory groups, so approver rules `group:<name>` resolve for notifications and Slack
 * decisions as for tokens.
 *
 * FerretDB has no transactions and loses concurrent updates to one document; only a unique `_id` insert
 * is atomic. So a user is created by inserting its id; each membership is a document of its own
 * (`<groupId>:<userId>`, inserted or deleted), so two changes to one group's members at once both land;
 * and every derived write (a member's group names) is recomputed from the memberships rather than
 * patched, so that running it again repairs a write that a concurrent one lost.
 */
import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { isDuplicateKeyError } from './connection';
import type { UserDoc } from './schemas';

export interface GroupDoc {
  _id: string;
  displayName: string;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A group with its members' Gatehouse user ids. */
export type DirectoryGroup = GroupDoc & { members: string[] };

const GroupSchema = new Schema<GroupDoc>(
  {
    _id: String,
    displayName: String,
    externalId: { type: String, default: null },
    createdAt: String,
    updatedAt: String,
  },
  { versionKey: false, minimize: false, collection: 'groups' },
);

/** One user in one group: `_id` is `<groupId>:<userId>` (neither id holds a colon). */
interface MembershipDoc {
  _id: string;
  groupId: string;
  userId: string;
}

const MembershipSchema = new Schema<MembershipDoc>(
  { _id: String, groupId: String, userId: String },
  { versionKey: false, collection: 'group_members' },
);
MembershipSchema.index({ groupId: 1 });
MembershipSchema.index({ userId: 1 });

/** An issued SCIM bearer token, by its SHA-256 (hex): the token itself is never stored. */
interface ScimTokenDoc {
  _id: string;
  createdAt: string;
}

const ScimTokenSchema = new Schema<ScimTokenDoc>(
  { _id: String, createdAt: String },
  { versionKey: false, collection: 'scim_tokens' },
);

/** What SCIM writes of a user; the rest of the document (accounts, roles, offboarding) is Gatehouse's. */
export interface DirectoryUserFields {
  userName: string;
  externalId: string | null;
  active: boolean;
  name: string | null;
  email: string | null;
  manager: string | null;
  department: string | null;
  costCenter: string | null;
  employeeNumber: string | null;
  /** The SCIM resource, as JSON text. */
  scim: string;
}

export interface DirectoryFilter {
  userName?: string;
  externalId?: string;
  email?: string;
  displayName?: string;
}

const now = () => new Date().toISOString();
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Case-insensitive equality (SCIM's userName, emails and displayName are not case-exact). */
const sameText = (s: string) => ({ $regex: `^${escapeRegex(s)}$`, $options: 'i' });

export class DirectoryRepository {
  readonly groups: Model<GroupDoc>;
  readonly memberships: Model<MembershipDoc>;
  readonly scimTokens: Model<ScimTokenDoc>;

  constructor(
    connection: Connection,
    private readonly users: Model<UserDoc>,
  ) {
    this.groups = connection.model<GroupDoc>('Group', GroupSchema);
    this.memberships = connection.model<MembershipDoc>('GroupMember', MembershipSchema);
    this.scimTokens = connection.model<ScimTokenDoc>('ScimToken', ScimTokenSchema);
  }

  // ---- SCIM tokens --------------------------------------------------------------------------------

  /** Makes `sha256` the one issued token: the ones issued before stop working. */
  async replaceScimToken(sha256: string): Promise<void> {
    await this.scimTokens.collection.insertOne({ _id: sha256, createdAt: now() } as never);
    await this.scimTokens.deleteMany({ _id: { $ne: sha256 } });
  }

  async isScimToken(sha256: string): Promise<boolean> {
    return (await this.scimTokens.findById(sha256, { _id: 1 }).lean().exec()) !== null;
  }

  // ---- users --------------------------------------------------------------------------------------

  /** A user SCIM can see: provisioned and not deleted. */
  async user(id: string): Promise<UserDoc | null> {
    const doc = await this.users.findById(id).lean<UserDoc>().exec();
    return doc?.scim && doc.userName ? doc : null;
  }

  async listUsers(filter: DirectoryFilter): Promise<UserDoc[]> {
    const q: Record<string, unknown> = { scim: { $ne: null }, userName: { $ne: null } };
    if (filter.userName !== undefined) q.userName = sameText(filter.userName);
    if (filter.externalId !== undefined) q.externalId = filter.externalId;
    if (filter.email !== undefined) q.email = filter.email.toLowerCase();
    return this.users.find(q).sort({ _id: 1 }).lean<UserDoc[]>().exec();
  }

  /** The visible user holding `userName` (any case), other than `exceptId`. */
  async userNameHolder(userName: string, exceptId?: string): Promise<string | null> {
    const docs = await this.users
      .find({ userName: sameText(userName), scim: { $ne: null } }, { _id: 1 })
      .lean<{ _id: string }[]>()
      .exec();
    return docs.find((d) => d._id !== exceptId)?._id ?? null;
  }

  /**
   * Creates a directory user under `id`, or takes over the document already there if it is not a
   * visible directory user (one a token or `PUT /users` created, or one SCIM deleted): tickets raised
   * under that id stay the user's. False when a visible directory user holds the id.
   */
  async createUser(id: string, fields: DirectoryUserFields): Promise<boolean> {
    const at = now();
    try {
      await this.users.collection.insertOne({
        _id: id,
        accounts: {},
        roles: [],
        groups: [],
        ...fields,
        updatedAt: at,
      } as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const res = await this.users.updateOne(
      { _id: id, $or: [{ scim: null }, { userName: null }] },
      { $set: { ...fields, updatedAt: at } },
    );
    return res.modifiedCount > 0;
  }

  async replaceUser(id: string, fields: DirectoryUserFields): Promise<void> {
    await this.users.updateOne({ _id: id }, { $set: { ...fields, updatedAt: now() } });
  }

  /**
   * SCIM DELETE: the document stays (tickets name the user; the leaver workflow needs it), inactive and
   * invisible to SCIM (`userName` cleared, which frees the name for a new hire), out of every group.
   */
  async deleteUser(id: string): Promise<void> {
    await this.users.updateOne({ _id: id }, { $set: { active: false, userName: null, updatedAt: now() } });
    await this.memberships.deleteMany({ userId: id });
    await this.syncGroupNames([id]);
  }

  /**
   * The user a bearer token names, by the matching rules of docs/identity.md: the directory user whose
   * `externalId` (else whose id) is the token's subject, else whose `userName` or primary email is the
   * token's email; else the plain Gatehouse user of that id (`PUT /users` may have deactivated it).
   */
  async forToken(sub: string, email: string | undefined): Promise<UserDoc | null> {
    const or: Record<string, unknown>[] = [{ externalId: sub }, { _id: sub }];
    if (email) {
      or.push({ scim: { $ne: null }, email: email.toLowerCase() });
      or.push({ scim: { $ne: null }, userName: sameText(email) });
    }
    const docs = await this.users.find({ $or: or }).lean<UserDoc[]>().exec();
    const lower = email?.toLowerCase();
    // A directory user before a document only a token or `PUT /users` wrote; a visible one before a deleted one.
    const rank = (d: UserDoc) =>
      (!d.scim ? 8 : d.externalId === sub ? 0 : d._id === sub ? 2 : d.userName?.toLowerCase() === lower ? 4 : 6) +
      (d.userName ? 0 : 1);
    return docs.sort((a, b) => rank(a) - rank(b))[0] ?? null;
  }

  // ---- groups -------------------------------------------------------------------------------------

  async group(id: string): Promise<DirectoryGroup | null> {
    const doc = await this.groups.findById(id).lean<GroupDoc>().exec();
    return doc ? (await this.withMembers([doc]))[0] : null;
  }

  async listGroups(filter: DirectoryFilter): Promise<DirectoryGroup[]> {
    const q: Record<string, unknown> = {};
    if (filter.displayName !== undefined) q.displayName = sameText(filter.displayName);
    if (filter.externalId !== undefined) q.externalId = filter.externalId;
    return this.withMembers(await this.groups.find(q).sort({ _id: 1 }).lean<GroupDoc[]>().exec());
  }

  private async withMembers(docs: GroupDoc[]): Promise<DirectoryGroup[]> {
    if (!docs.length) return [];
    const rows = await this.memberships
      .find({ groupId: { $in: docs.map((d) => d._id) } })
      .sort({ _id: 1 })
      .lean<MembershipDoc[]>()
      .exec();
    return docs.map((d) => ({ ...d, members: rows.filter((r) => r.groupId === d._id).map((r) => r.userId) }));
  }

  async displayNameHolder(displayName: string, exceptId?: string): Promise<string | null> {
    const docs = await this.groups
      .find({ displayName: sameText(displayName) }, { _id: 1 })
      .lean<{ _id: string }[]>()
      .exec();
    return docs.find((d) => d._id !== exceptId)?._id ?? null;
  }

  /** Of these ids, the ones that are not visible directory users. */
  async unknownUsers(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const found = await this.users
      .find({ _id: { $in: ids }, scim: { $ne: null }, userName: { $ne: null } }, { _id: 1 })
      .lean<{ _id: string }[]>()
      .exec();
    const known = new Set(found.map((d) => d._id));
    return ids.filter((id) => !known.has(id));
  }

  /**
   * Creates or replaces a group, then brings every affected member's group names in step. Members are
   * added and removed relative to `base` (the members a PATCH was applied to; a PUT's base is the group as
   * stored now), so a concurrent change to other members stands.
   */
  async putGroup(
    group: Omit<DirectoryGroup, 'createdAt' | 'updatedAt'>,
    created: boolean,
    base?: string[],
  ): Promise<DirectoryGroup> {
    const previous = created ? null : await this.group(group._id);
    const at = now();
    const doc: GroupDoc = {
      _id: group._id,
      displayName: group.displayName,
      externalId: group.externalId,
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
    };
    if (created) await this.groups.collection.insertOne(doc as never);
    else await this.groups.replaceOne({ _id: group._id }, doc);
    const before = new Set(base ?? previous?.members ?? []);
    const after = new Set(group.members);
    for (const userId of after) {
      if (before.has(userId)) continue;
      await this.memberships.collection
        .insertOne({ _id: `${group._id}:${userId}`, groupId: group._id, userId } as never)
        .catch((err: unknown) => {
          if (!isDuplicateKeyError(err)) throw err;
        });
    }
    const removed = [...before].filter((u) => !after.has(u));
    if (removed.length) await this.memberships.deleteMany({ _id: { $in: removed.map((u) => `${group._id}:${u}`) } });
    const added = [...after].filter((u) => !before.has(u));
    // Only the users this write moved (all of them on a rename): a concurrent write's users are its own.
    const renamed = previous && previous.displayName !== group.displayName ? [previous.displayName] : [];
    const affected = renamed.length ? [...new Set([...(previous?.members ?? []), ...after])] : [...added, ...removed];
    await this.syncGroupNames(affected, renamed);
    return (await this.group(group._id))!;
  }

  async deleteGroup(id: string): Promise<boolean> {
    const previous = await this.group(id);
    if (!previous) return false;
    await this.groups.deleteOne({ _id: id });
    await this.memberships.deleteMany({ groupId: id });
    await this.syncGroupNames(previous.members, [previous.displayName]);
    return true;
  }

  /**
   * Sets each user's `groups` to the names of the directory groups holding them plus the names that are
   * not directory groups (set with `PUT /users`). `dropped`: names that stopped being directory groups.
   */
  async syncGroupNames(userIds: string[], dropped: string[] = []): Promise<void> {
    if (!userIds.length) return;
    const all = await this.groups.find({}, { displayName: 1 }).lean<GroupDoc[]>().exec();
    const names = new Map(all.map((g) => [g._id, g.displayName]));
    const directoryNames = new Set([...names.values(), ...dropped]);
    const rows = await this.memberships
      .find({ userId: { $in: userIds } })
      .lean<MembershipDoc[]>()
      .exec();
    const docs = await this.users
      .find({ _id: { $in: userIds } }, { groups: 1 })
      .lean<Pick<UserDoc, '_id' | 'groups'>[]>()
      .exec();
    for (const doc of docs) {
      const own = (doc.groups ?? []).filter((g) => !directoryNames.has(g));
      const held = rows.filter((r) => r.userId === doc._id && names.has(r.groupId)).map((r) => names.get(r.groupId)!);
      const groups = [...new Set([...own, ...held])].sort();
      if (groups.join('\n') !== [...(doc.groups ?? [])].sort().join('\n'))
        await this.users.updateOne({ _id: doc._id }, { $set: { groups, updatedAt: now() } });
    }
  }
}
