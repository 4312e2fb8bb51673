/**
 * A fake of a Salesforce org's REST API (developer.salesforce.com/docs/atlas.en-us.api_rest.meta), for
 * what the Salesforce connector calls: the OAuth 2.0 client credentials token endpoint, SOQL queries
 * (a small subset: `SELECT f, rel.f FROM Object [WHERE f = 'v' [AND ...]] [LIMIT n]`) paginated with
 * `nextRecordsUrl`, sObject create/update/delete for PermissionSetAssignment and User, and limits.
 * Errors are Salesforce's: a JSON array of `{ message, errorCode, fields }` (INVALID_SESSION_ID with a
 * 401, DUPLICATE_VALUE, NOT_FOUND, FIELD_INTEGRITY_EXCEPTION, MALFORMED_QUERY, INVALID_FIELD...).
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import {
  FaultQueue,
  listenOnLoopback,
  presentedToken,
  recordRequests,
  type RecordedRequest,
  type RunningFake,
} from './fake-http';

type SObjectRecord = Record<string, string | boolean | null>;

interface SObjectTable {
  prefix: string;
  fields: string[];
  /** Relationship name → the object it points at and the field holding the Id (Assignee → User via AssigneeId). */
  relationships: Record<string, { object: string; via: string }>;
  rows: Map<string, SObjectRecord>;
}

export interface SalesforceFakeState {
  /** Access tokens the org accepts (a static one from the seed, and those issued by the token endpoint). */
  validTokens: Set<string>;
  clientId: string;
  clientSecret: string;
  tables: Record<'User' | 'PermissionSet' | 'UserRole' | 'PermissionSetAssignment', SObjectTable>;
  /** Records per query page (Salesforce's default batch is 2000). */
  pageSize: number;
  apiRequests: number;
  faults: FaultQueue;
  requests: RecordedRequest[];
  userId(username: string): string;
  permissionSetId(name: string): string;
  roleId(developerName: string): string;
  /** Usernames holding the permission set named `name`. */
  assigneesOf(name: string): string[];
  /** The DeveloperName of the user's role, or null. */
  roleOf(username: string): string | null;
}

export interface SalesforceFakeSeed {
  /** An access token the org accepts from the start (the connector's `tokenEnv` mode). */
  accessToken?: string;
  /** The connected app's credentials (the connector's client credentials mode). */
  clientId?: string;
  clientSecret?: string;
  users?: Array<{ username: string; role?: string }>;
  permissionSets?: string[];
  roles?: string[];
  pageSize?: number;
}

class SalesforceError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

function table(prefix: string, fields: string[], relationships: SObjectTable['relationships'] = {}): SObjectTable {
  return { prefix, fields: ['Id', ...fields], relationships, rows: new Map() };
}

interface ParsedQuery {
  fields: string[];
  object: string;
  where: Array<{ field: string; value: string | boolean | null }>;
  limit?: number;
}

/** Parses the SOQL subset; throws MALFORMED_QUERY for anything else. */
function parseSoql(soql: string): ParsedQuery {
  const malformed = () => new SalesforceError(400, 'MALFORMED_QUERY', `unexpected token in: ${soql}`);
  const head = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)\s*(.*)$/is.exec(soql);
  if (!head) throw malformed();
  const fields = head[1].split(',').map((f) => f.trim());
  if (fields.some((f) => !/^\w+(\.\w+)?$/.test(f))) throw malformed();
  let rest = head[3];
  const where: ParsedQuery['where'] = [];
  const whereMatch = /^WHERE\s+/i.exec(rest);
  if (whereMatch) {
    rest = rest.slice(whereMatch[0].length);
    for (;;) {
      const cond = /^(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|null|true|false)\s*/i.exec(rest);
      if (!cond) throw malformed();
      const literal = cond[2];
      const value = literal.startsWith("'")
        ? literal.slice(1, -1).replace(/\\(.)/g, '$1')
        : literal.toLowerCase() === 'null'
          ? null
          : literal.toLowerCase() === 'true';
      where.push({ field: cond[1], value });
      rest = rest.slice(cond[0].length);
      const and = /^AND\s+/i.exec(rest);
      if (!and) break;
      rest = rest.slice(and[0].length);
    }
  }
  let limit: number | undefined;
  const limitMatch = /^LIMIT\s+(\d+)\s*/i.exec(rest);
  if (limitMatch) {
    limit = Number(limitMatch[1]);
    rest = rest.slice(limitMatch[0].length);
  }
  if (rest.trim()) throw malformed();
  return { fields, object: head[2], where, limit };
}

function sfError(res: Response, err: SalesforceError): void {
  res.status(err.status).json([{ message: err.message, errorCode: err.errorCode, fields: err.fields }]);
}

export async function startSalesforceServer(seed: SalesforceFakeSeed): Promise<RunningFake<SalesforceFakeState>> {
  const counters = new Map<string, number>();
  const newId = (prefix: string) => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return `${prefix}FAKE${String(n).padStart(11, '0')}`;
  };
  const tables: SalesforceFakeState['tables'] = {
    User: table('005', ['Username', 'UserRoleId', 'IsActive'], { UserRole: { object: 'UserRole', via: 'UserRoleId' } }),
    PermissionSet: table('0PS', ['Name', 'Label']),
    UserRole: table('00E', ['Name', 'DeveloperName']),
    PermissionSetAssignment: table('0Pa', ['AssigneeId', 'PermissionSetId'], {
      Assignee: { object: 'User', via: 'AssigneeId' },
      PermissionSet: { object: 'PermissionSet', via: 'PermissionSetId' },
    }),
  };
  const insert = (object: keyof SalesforceFakeState['tables'], values: SObjectRecord) => {
    const Id = newId(tables[object].prefix);
    tables[object].rows.set(Id, { Id, ...values });
    return Id;
  };
  const find = (object: keyof SalesforceFakeState['tables'], field: string, value: string) => {
    for (const row of tables[object].rows.values()) if (row[field] === value) return row;
    throw new Error(`no ${object} with ${field} ${value} in the fake`);
  };

  for (const name of seed.permissionSets ?? []) insert('PermissionSet', { Name: name, Label: name });
  for (const name of seed.roles ?? []) insert('UserRole', { Name: name, DeveloperName: name });
  for (const user of seed.users ?? []) {
    insert('User', {
      Username: user.username,
      IsActive: true,
      UserRoleId: user.role ? (find('UserRole', 'DeveloperName', user.role).Id as string) : null,
    });
  }

  const state: SalesforceFakeState = {
    validTokens: new Set(seed.accessToken ? [seed.accessToken] : []),
    clientId: seed.clientId ?? '',
    clientSecret: seed.clientSecret ?? '',
    tables,
    pageSize: seed.pageSize ?? 2000,
    apiRequests: 0,
    faults: new FaultQueue(),
    requests: [],
    userId: (username) => find('User', 'Username', username).Id as string,
    permissionSetId: (name) => find('PermissionSet', 'Name', name).Id as string,
    roleId: (developerName) => find('UserRole', 'DeveloperName', developerName).Id as string,
    assigneesOf: (name) => {
      const psId = state.permissionSetId(name);
      return [...tables.PermissionSetAssignment.rows.values()]
        .filter((a) => a.PermissionSetId === psId)
        .map((a) => tables.User.rows.get(a.AssigneeId as string)!.Username as string)
        .sort();
    },
    roleOf: (username) => {
      const roleId = find('User', 'Username', username).UserRoleId;
      return roleId ? (tables.UserRole.rows.get(roleId as string)!.DeveloperName as string) : null;
    },
  };

  /** Query results still to be fetched with `nextRecordsUrl`: locator → remaining rows. */
  const cursors = new Map<string, { rows: unknown[]; totalSize: number }>();
  let baseUrl = '';

  const recordUrl = (version: string, object: string, id: string) =>
    `/services/data/${version}/sobjects/${object}/${id}`;

  const runQuery = (version: string, soql: string) => {
    const query = parseSoql(soql);
    const source = (tables as Record<string, SObjectTable>)[query.object];
    if (!source) throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${query.object}' is not supported.`);
    for (const f of [...query.where.map((w) => w.field), ...query.fields]) {
      const [first, second] = f.split('.');
      const rel = second !== undefined ? source.relationships[first] : undefined;
      const known =
        second === undefined
          ? source.fields.includes(first)
          : !!rel && (tables as Record<string, SObjectTable>)[rel.object].fields.includes(second);
      if (!known) throw new SalesforceError(400, 'INVALID_FIELD', `No such column '${f}' on entity '${query.object}'.`);
    }
    for (const w of query.where) {
      if (
        w.field.endsWith('Id') &&
        typeof w.value === 'string' &&
        !/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(w.value)
      ) {
        throw new SalesforceError(400, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${w.value}`);
      }
    }
    let rows = [...source.rows.values()].filter((row) => query.where.every((w) => (row[w.field] ?? null) === w.value));
    if (query.limit !== undefined) rows = rows.slice(0, query.limit);
    return rows.map((row) => {
      const out: Record<string, unknown> = {
        attributes: { type: query.object, url: recordUrl(version, query.object, row.Id as string) },
      };
      for (const f of query.fields) {
        const [first, second] = f.split('.');
        if (second === undefined) {
          out[first] = row[first] ?? null;
          continue;
        }
        const rel = source.relationships[first];
        const target = (tables as Record<string, SObjectTable>)[rel.object].rows.get(row[rel.via] as string);
        if (!target) out[first] = null;
        else {
          const nested = (out[first] as Record<string, unknown> | undefined) ?? {
            attributes: { type: rel.object, url: recordUrl(version, rel.object, target.Id as string) },
          };
          nested[second] = target[second] ?? null;
          out[first] = nested;
        }
      }
      return out;
    });
  };

  const page = (version: string, rows: unknown[], totalSize: number) => {
    const batch = rows.slice(0, state.pageSize);
    const remaining = rows.slice(state.pageSize);
    if (remaining.length === 0) return { totalSize, done: true, records: batch };
    const locator = `01gFAKE${randomUUID().replace(/-/g, '').slice(0, 8)}-${totalSize - remaining.length}`;
    cursors.set(locator, { rows: remaining, totalSize });
    return { totalSize, done: false, nextRecordsUrl: `/services/data/${version}/query/${locator}`, records: batch };
  };

  const app = express();
  app.use(express.urlencoded({ extended: false }), express.json());
  app.use(recordRequests(state.requests));
  app.use('/services/data', (req, res, next) => {
    const token = presentedToken(req, ['bearer', 'oauth']);
    if (!token || !state.validTokens.has(token))
      return sfError(res, new SalesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'));
    state.apiRequests += 1;
    next();
  });
  app.use(state.faults.middleware());

  app.post('/services/oauth2/token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!req.is('application/x-www-form-urlencoded'))
      return void res
        .status(400)
        .json({ error: 'invalid_request', error_description: 'must use application/x-www-form-urlencoded' });
    if (body.grant_type !== 'client_credentials')
      return void res
        .status(400)
        .json({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    if (!state.clientId || body.client_id !== state.clientId || body.client_secret !== state.clientSecret) {
      return void res.status(400).json({ error: 'invalid_client', error_description: 'invalid client credentials' });
    }
    const accessToken = `00DFAKE!${randomUUID()}`;
    state.validTokens.add(accessToken);
    res.json({
      access_token: accessToken,
      instance_url: baseUrl,
      id: `${baseUrl}/id/00DFAKE/005FAKE`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: 'fake',
    });
  });

  const handle = (run: (req: Request, res: Response) => void) => (req: Request, res: Response) => {
    try {
      run(req, res);
    } catch (err) {
      if (err instanceof SalesforceError) return sfError(res, err);
      throw err;
    }
  };

  app.get(
    '/services/data/:version/limits',
    handle((_req, res) => void res.json({ DailyApiRequests: { Max: 15000, Remaining: 15000 - state.apiRequests } })),
  );

  app.get(
    '/services/data/:version/query',
    handle((req, res) => {
      const soql = req.query.q;
      if (typeof soql !== 'string') throw new SalesforceError(400, 'MALFORMED_QUERY', 'missing q');
      const version = String(req.params.version);
      const rows = runQuery(version, soql);
      res.json(page(version, rows, rows.length));
    }),
  );

  app.get(
    '/services/data/:version/query/:locator',
    handle((req, res) => {
      const cursor = cursors.get(String(req.params.locator));
      if (!cursor) throw new SalesforceError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      cursors.delete(String(req.params.locator));
      res.json(page(String(req.params.version), cursor.rows, cursor.totalSize));
    }),
  );

  app.post(
    '/services/data/:version/sobjects/PermissionSetAssignment',
    handle((req, res) => {
      if (!req.is('application/json'))
        throw new SalesforceError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
      const { AssigneeId, PermissionSetId, ...extra } = (req.body ?? {}) as Record<string, unknown>;
      if (Object.keys(extra).length)
        throw new SalesforceError(
          400,
          'INVALID_FIELD',
          `No such column '${Object.keys(extra)[0]}' on sobject of type PermissionSetAssignment`,
        );
      if (typeof AssigneeId !== 'string' || !tables.User.rows.has(AssigneeId)) {
        throw new SalesforceError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['AssigneeId']);
      }
      if (typeof PermissionSetId !== 'string' || !tables.PermissionSet.rows.has(PermissionSetId)) {
        throw new SalesforceError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [
          'PermissionSetId',
        ]);
      }
      const duplicate = [...tables.PermissionSetAssignment.rows.values()].some(
        (a) => a.AssigneeId === AssigneeId && a.PermissionSetId === PermissionSetId,
      );
      if (duplicate)
        throw new SalesforceError(
          400,
          'DUPLICATE_VALUE',
          `Duplicate PermissionSetAssignment. Assignee: ${AssigneeId}; Permission Set: ${PermissionSetId}`,
        );
      const id = insert('PermissionSetAssignment', { AssigneeId, PermissionSetId });
      res.status(201).json({ id, success: true, errors: [] });
    }),
  );

  app.delete(
    '/services/data/:version/sobjects/PermissionSetAssignment/:id',
    handle((req, res) => {
      if (!tables.PermissionSetAssignment.rows.delete(String(req.params.id))) {
        throw new SalesforceError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
      }
      res.status(204).end();
    }),
  );

  app.patch(
    '/services/data/:version/sobjects/User/:id',
    handle((req, res) => {
      if (!req.is('application/json'))
        throw new SalesforceError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
      const user = tables.User.rows.get(String(req.params.id));
      if (!user) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const changes = (req.body ?? {}) as Record<string, unknown>;
      for (const [field, value] of Object.entries(changes)) {
        if (field !== 'UserRoleId')
          throw new SalesforceError(
            400,
            'INVALID_FIELD_FOR_INSERT_UPDATE',
            `Unable to create/update fields: ${field}.`,
            [field],
          );
        if (value !== null && (typeof value !== 'string' || !tables.UserRole.rows.has(value))) {
          throw new SalesforceError(400, 'FIELD_INTEGRITY_EXCEPTION', 'Role ID: id value of incorrect type', [
            'UserRoleId',
          ]);
        }
        user.UserRoleId = value as string | null;
      }
      res.status(204).end();
    }),
  );

  app.use((_req, res) => sfError(res, new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist')));

  const server = await listenOnLoopback(app);
  baseUrl = server.url;
  return { url: server.url, state, close: server.close };
}
