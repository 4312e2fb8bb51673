/**
 * The SCIM 2.0 service provider's model (RFC 7643/7644) on the directory store. scimmy parses and
 * validates resources, applies filters' attribute selection, PatchOps, sorting and paging, and formats
 * responses; it leaves storage to the ingress/egress/degress handlers declared here, which hand each call
 * to the ScimDirectory passed as the call's context (scimmy's declarations are process-wide; the context
 * is per gateway).
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import SCIMMY from 'scimmy';
import {
  isStoreUnavailableError,
  Store,
  type DirectoryFilter,
  type DirectoryGroup,
  type UserDoc,
} from '@gatehouse/store';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';
import { OffboardingService } from '../users/offboarding.service';
import { DirectoryService } from './directory.service';

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_BASE = '/scim/v2';

type Json = Record<string, unknown>;
type PatchMessage = Parameters<InstanceType<typeof SCIMMY.Resources.User>['patch']>[0];
/** How scimmy takes a request's query (the constructor's types name only the `(id, config)` form). */
export interface ResourceConfig {
  filter?: string;
  attributes?: string;
  excludedAttributes?: string;
  sortBy?: string;
  sortOrder?: string;
  startIndex?: number;
  count?: number;
}
export interface ScimContext {
  directory: ScimDirectory;
  /** A group PATCH: the members the operations are applied to, so that only its own changes are written. */
  baseMembers?: string[];
}

interface ScimUser {
  userName: string;
  /** Okta sends one; Gatehouse signs no one in with it and never stores it. */
  password?: string;
  externalId?: string;
  active?: boolean;
  displayName?: string;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  emails?: { value?: string; primary?: boolean }[];
  [ENTERPRISE]?: {
    department?: string;
    costCenter?: string;
    employeeNumber?: string;
    manager?: { value?: string };
  };
}

interface ScimGroup {
  displayName: string;
  externalId?: string;
  members?: { value?: string }[];
}

/** A SCIM error; scimmy takes null for "no scimType", though its types want a string. */
export const scimError = (status: number, scimType: string | null, detail: string) =>
  new SCIMMY.Types.Error(status, scimType as string, detail);
const notFound = (id: string | undefined) => scimError(404, null, `Resource ${String(id).slice(0, 80)} not found`);
const plain = <T>(instance: unknown): T => JSON.parse(JSON.stringify(instance)) as T;
const text = (value: unknown, max = 300): string | null =>
  typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null;

/** Declares Users (with the enterprise extension) and Groups once per process, and the provider's configuration. */
function declareResources(): void {
  if (SCIMMY.Resources.declared(SCIMMY.Resources.User)) return;
  const handle =
    <A extends unknown[], R>(run: (ctx: ScimContext, ...args: A) => Promise<R>) =>
    (...args: [...A, ScimContext]): Promise<R> => {
      const ctx = args.pop() as ScimContext;
      return ctx.directory.guard(() => run(ctx, ...(args as unknown as A)));
    };
  type UserResource = InstanceType<typeof SCIMMY.Resources.User>;
  type GroupResource = InstanceType<typeof SCIMMY.Resources.Group>;
  SCIMMY.Resources.declare(
    SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false)
      .ingress(
        handle((c, r: UserResource, instance: unknown) =>
          c.directory.writeUser(r.id, plain<ScimUser>(instance)),
        ) as never,
      )
      .egress(handle((c, r: UserResource) => c.directory.readUsers(r.id, r.filter)) as never)
      .degress(handle((c, r: UserResource) => c.directory.deleteUser(r.id!)) as never),
  );
  SCIMMY.Resources.declare(
    SCIMMY.Resources.Group.ingress(
      handle((c, r: GroupResource, instance: unknown) =>
        c.directory.writeGroup(r.id, plain<ScimGroup>(instance), c.baseMembers),
      ) as never,
    )
      .egress(handle((c, r: GroupResource) => c.directory.readGroups(r.id, r.filter)) as never)
      .degress(handle((c, r: GroupResource) => c.directory.deleteGroup(r.id!)) as never),
  );
  SCIMMY.Config.set({
    patch: true,
    filter: { supported: true, maxResults: 200 },
    bulk: false,
    sort: true,
    etag: false,
    changePassword: false,
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'The bearer token configured for SCIM in Gatehouse (docs/identity.md)',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
      },
    ],
  });
  for (const resource of [
    SCIMMY.Resources.User,
    SCIMMY.Resources.Group,
    SCIMMY.Resources.Schema,
    SCIMMY.Resources.ResourceType,
    SCIMMY.Resources.ServiceProviderConfig,
  ])
    resource.basepath(SCIM_BASE);
}
declareResources();

/** The equality filters the directory answers from its store (RFC 7644 §3.4.2.2 leaves the rest optional). */
const USER_FILTERS: Record<string, keyof DirectoryFilter> = {
  username: 'userName',
  externalid: 'externalId',
  'emails.value': 'email',
};
const GROUP_FILTERS: Record<string, keyof DirectoryFilter> = { displayname: 'displayName', externalid: 'externalId' };

/** Turns scimmy's parsed filter into store equalities: `attr eq "v"` joined by `and`; anything else is invalidFilter. */
function storeFilter(filter: unknown, supported: Record<string, keyof DirectoryFilter>): DirectoryFilter {
  const out: DirectoryFilter = {};
  if (!filter) return out;
  const expressions = filter as Json[];
  const unsupported = () =>
    scimError(
      400,
      'invalidFilter',
      `Supported filters: ${Object.values(supported)
        .map((a) => (a === 'email' ? 'emails.value' : a))
        .join(', ')} eq "value", joined by "and"`,
    );
  if (expressions.length !== 1) throw unsupported();
  const flatten = (node: Json, prefix: string): [string, unknown][] =>
    Object.entries(node).flatMap(([k, v]) =>
      Array.isArray(v) ? [[`${prefix}${k}`.toLowerCase(), v]] : flatten(v as Json, `${prefix}${k}.`),
    );
  for (const [path, comparison] of flatten(expressions[0], '')) {
    const [op, value] = comparison as [string, unknown];
    const attribute = supported[path];
    if (!attribute || String(op).toLowerCase() !== 'eq' || typeof value !== 'string') throw unsupported();
    out[attribute] = value;
  }
  return out;
}

@Injectable()
export class ScimDirectory {
  private readonly logger = new Logger('scim');

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(OffboardingService) private readonly offboarding: OffboardingService,
    @Inject(DirectoryService) private readonly cache: DirectoryService,
  ) {}

  get context(): ScimContext {
    return { directory: this };
  }

  /** Store outages answer 503 (scimmy would call any other failure a 404); unexpected failures 500. */
  async guard<R>(run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof SCIMMY.Types.Error) throw err;
      if (isStoreUnavailableError(err)) throw scimError(503, null, 'MongoDB cannot be reached right now');
      this.logger.error(`SCIM handler failed: ${err instanceof Error ? err.stack : String(err)}`);
      throw scimError(500, null, 'Internal error');
    }
  }

  // ---- users --------------------------------------------------------------------------------------

  async readUsers(id: string | undefined, filter: unknown): Promise<Json | Json[]> {
    if (id !== undefined) {
      const doc = ID_PATTERN.test(id) ? await this.store.directory.user(id) : null;
      if (!doc) throw notFound(id);
      return toScimUser(doc);
    }
    return (await this.store.directory.listUsers(storeFilter(filter, USER_FILTERS))).map(toScimUser);
  }

  /** The user as SCIM shows it, or null. */
  async currentUser(id: string): Promise<Json | null> {
    const doc = ID_PATTERN.test(id) ? await this.store.directory.user(id) : null;
    return doc ? toScimUser(doc) : null;
  }

  /** POST (no id) or PUT, and PATCH after scimmy applied the operations to the current resource. */
  async writeUser(id: string | undefined, user: ScimUser): Promise<Json> {
    const previous = id === undefined ? null : ID_PATTERN.test(id) ? await this.store.directory.user(id) : null;
    if (id !== undefined && !previous) throw notFound(id);
    const holder = await this.store.directory.userNameHolder(user.userName, id);
    if (holder) throw scimError(409, 'uniqueness', `userName ${user.userName.slice(0, 200)} is already taken`);
    const fields = userFields(user, previous);
    let userId = id;
    if (userId !== undefined) {
      await this.store.directory.replaceUser(userId, fields);
    } else {
      userId = await this.create(fields);
    }
    this.cache.invalidate();
    if (previous && previous.active !== false && !fields.active) await this.offboarding.start(userId);
    return toScimUser((await this.store.directory.user(userId))!);
  }

  /**
   * A new user's Gatehouse id is its externalId when that is a valid id nobody in the directory holds:
   * identity providers send their own user id there and as the token's subject, so tickets keep one id
   * whether they were raised before or after provisioning. Otherwise a random id.
   */
  private async create(fields: ReturnType<typeof userFields>): Promise<string> {
    if (fields.externalId && ID_PATTERN.test(fields.externalId)) {
      if (await this.store.directory.createUser(fields.externalId, fields)) return fields.externalId;
    }
    const id = randomUUID();
    await this.store.directory.createUser(id, fields);
    return id;
  }

  async deleteUser(id: string): Promise<void> {
    const previous = ID_PATTERN.test(id) ? await this.store.directory.user(id) : null;
    if (!previous) throw notFound(id);
    await this.store.directory.deleteUser(id);
    this.cache.invalidate();
    if (previous.active !== false) await this.offboarding.start(id);
  }

  // ---- groups -------------------------------------------------------------------------------------

  async readGroups(id: string | undefined, filter: unknown): Promise<Json | Json[]> {
    if (id !== undefined) {
      const doc = ID_PATTERN.test(id) ? await this.store.directory.group(id) : null;
      if (!doc) throw notFound(id);
      return toScimGroup(doc);
    }
    return (await this.store.directory.listGroups(storeFilter(filter, GROUP_FILTERS))).map(toScimGroup);
  }

  /** The group's members now (null: no such group), for a PATCH to be applied to. */
  async currentMembers(id: string): Promise<string[] | null> {
    return ID_PATTERN.test(id) ? ((await this.store.directory.group(id))?.members ?? null) : null;
  }

  async writeGroup(id: string | undefined, group: ScimGroup, baseMembers?: string[]): Promise<Json> {
    if (id !== undefined && !(ID_PATTERN.test(id) && (await this.store.directory.group(id)))) throw notFound(id);
    const displayName = text(group.displayName, 200);
    if (!displayName) throw scimError(400, 'invalidValue', 'displayName is required');
    if (await this.store.directory.displayNameHolder(displayName, id))
      throw scimError(409, 'uniqueness', `displayName ${displayName} is already taken`);
    const members = [...new Set((group.members ?? []).map((m) => m.value).filter((v): v is string => !!v))];
    const unknown = await this.store.directory.unknownUsers(members);
    if (unknown.length) throw scimError(400, 'invalidValue', `members: no User ${unknown[0].slice(0, 80)}`);
    const doc = await this.store.directory.putGroup(
      { _id: id ?? randomUUID(), displayName, externalId: text(group.externalId), members },
      id === undefined,
      baseMembers,
    );
    this.cache.invalidate();
    return toScimGroup(doc);
  }

  async deleteGroup(id: string): Promise<void> {
    if (!(ID_PATTERN.test(id) && (await this.store.directory.deleteGroup(id)))) throw notFound(id);
    this.cache.invalidate();
  }
}

function toScimGroup(g: DirectoryGroup): Json {
  return {
    id: g._id,
    displayName: g.displayName,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    members: g.members.map((value) => ({ value, type: 'User' })),
    meta: { resourceType: 'Group', created: g.createdAt, lastModified: g.updatedAt },
  };
}

function userFields(user: ScimUser, previous: UserDoc | null) {
  const enterprise = user[ENTERPRISE] ?? {};
  const emails = user.emails ?? [];
  const email = text((emails.find((e) => e.primary) ?? emails[0])?.value, 320)?.toLowerCase() ?? null;
  const given = [user.name?.givenName, user.name?.familyName].filter(Boolean).join(' ');
  const manager = text(enterprise.manager?.value, 128);
  if (manager && !ID_PATTERN.test(manager)) throw scimError(400, 'invalidValue', 'manager.value is not a User id');
  const created = previous?.scim ? (JSON.parse(previous.scim) as { meta?: { created?: string } }).meta?.created : null;
  const kept: ScimUser = { ...user };
  delete kept.password;
  return {
    userName: user.userName,
    externalId: text(user.externalId),
    active: user.active !== false,
    name: text(user.displayName, 200) ?? text(user.name?.formatted, 200) ?? text(given, 200) ?? user.userName,
    email,
    manager,
    department: text(enterprise.department),
    costCenter: text(enterprise.costCenter),
    employeeNumber: text(enterprise.employeeNumber),
    scim: JSON.stringify({ ...kept, meta: { created: created ?? new Date().toISOString() } }),
  };
}

/** The stored resource, with what Gatehouse itself may have changed since (`PUT /users`: active, manager). */
function toScimUser(doc: UserDoc): Json {
  const stored = JSON.parse(doc.scim!) as Json & { meta?: { created?: string } };
  const enterprise = { ...((stored[ENTERPRISE] as Json | undefined) ?? {}) };
  if (doc.manager) enterprise.manager = { value: doc.manager };
  else delete enterprise.manager;
  return {
    ...stored,
    id: doc._id,
    userName: doc.userName,
    ...(doc.externalId ? { externalId: doc.externalId } : {}),
    active: doc.active !== false,
    ...(Object.keys(enterprise).length ? { [ENTERPRISE]: enterprise } : {}),
    meta: { resourceType: 'User', created: stored.meta?.created, lastModified: doc.updatedAt },
  };
}

/** `emails[type eq "work"].value`: a multi-valued attribute, the one sub-attribute filtered on, its value, the target. */
const FILTERED_PATH = /^(\w+)\[(\w+) eq "([^"]*)"\]\.(\w+)$/i;

/**
 * What Microsoft Entra and Okta send that RFC 7644 does not allow, made standard before scimmy reads it:
 * booleans as strings (`"active": "False"`), a manager given as a bare id, and an add or replace through
 * a filter that matches no entry of `current` (Entra's `emails[type eq "work"].value` for a user with no
 * work email), which adds the entry instead of failing with noTarget.
 */
export function normalizePatch(body: unknown, current: Json | null = null): PatchMessage {
  // scimmy validates the message itself: this only rewrites what it would refuse.
  if (typeof body !== 'object' || body === null || !Array.isArray((body as Json).Operations))
    return body as PatchMessage;
  const bool = (v: unknown) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v);
  const operations = ((body as Json).Operations as unknown[]).map((op) => {
    if (typeof op !== 'object' || op === null) return op;
    const { path, value } = op as { path?: unknown; value?: unknown };
    const last = typeof path === 'string' ? path.split(/[.:]/).pop()!.toLowerCase() : '';
    if (last === 'active') return { ...op, value: bool(value) };
    if (last === 'manager' && typeof value === 'string') return { ...op, value: { value } };
    const filtered = typeof path === 'string' ? FILTERED_PATH.exec(path) : null;
    const verb = String((op as { op?: unknown }).op).toLowerCase();
    if (filtered && current && (verb === 'add' || verb === 'replace')) {
      const [, attribute, key, wanted, target] = filtered;
      const entries = Array.isArray(current[attribute]) ? (current[attribute] as Json[]) : [];
      if (!entries.some((e) => String(e[key]).toLowerCase() === wanted.toLowerCase()))
        return { op: 'add', path: attribute, value: [{ [key]: wanted, [target]: value }] };
    }
    if (path === undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const v = value as Json;
      return { ...op, value: 'active' in v ? { ...v, active: bool(v.active) } : v };
    }
    return op;
  });
  return { ...(body as Json), Operations: operations } as PatchMessage;
}
