// A SCIM 2.0 service provider built on the third-party `scimmy` + `scimmy-routers` packages, for tests.
// scimmy parses and validates requests, applies filters and PatchOps and formats responses; this script
// only supplies what scimmy leaves to its users: the ingress/egress/degress handlers over a store
// (an in-memory one here) and the bearer-token check.
//
// Run with `node test/fakes/scimmy-server.mjs` (tests start it through scim-server.ts); SCIM_FAKE_TOKEN holds the accepted bearer token. It listens
// on 127.0.0.1 at a random port and prints `SCIM_FAKE_LISTENING <port>` once it accepts requests.
// The SCIM endpoints live under /scim/v2. Outside it, POST /__control/faults lets a test make the next
// matching requests fail (rate limits, outages) before they reach scimmy, and GET /__control/requests
// lists the requests the SCIM endpoints received.
import { randomUUID } from 'node:crypto';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

const token = process.env.SCIM_FAKE_TOKEN;
if (!token) {
  console.error('SCIM_FAKE_TOKEN must name the bearer token this server accepts');
  process.exit(2);
}

/** The store behind the handlers: resources by id, as scimmy hands them in and expects them out. */
const users = new Map();
const groups = new Map();

function notFound(resource) {
  return new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
}

function stamp(record, previous) {
  const now = new Date().toISOString();
  return { ...record, meta: { created: previous?.meta?.created ?? now, lastModified: now } };
}

/** Lists what a GET asked for: one resource by id, or every resource scimmy's filter matches. */
function egressFrom(store, multiValued) {
  return (resource) => {
    if (resource.id) {
      const found = store.get(resource.id);
      if (!found) throw notFound(resource);
      return found;
    }
    const all = [...store.values()];
    // scimmy's Filter.match cannot descend into a multi-valued attribute a record lacks (a user with no
    // emails, asked for `emails.value eq ...`), so match against records with those attributes present.
    return resource.filter
      ? resource.filter.match(
          all.map((r) => ({ ...r, ...Object.fromEntries(multiValued.map((a) => [a, r[a] ?? []])) })),
        )
      : all;
  };
}

function degressFrom(store) {
  return (resource) => {
    if (!store.delete(resource.id)) throw notFound(resource);
  };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User, {
  ingress: (resource, instance) => {
    const taken = [...users.values()].find(
      (u) => u.userName.toLowerCase() === instance.userName.toLowerCase() && u.id !== resource.id,
    );
    if (taken) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${instance.userName} is already taken`);
    if (resource.id && !users.has(resource.id)) throw notFound(resource);
    const id = resource.id ?? randomUUID();
    const record = stamp({ ...instance, id }, users.get(id));
    users.set(id, record);
    return record;
  },
  egress: egressFrom(users, ['emails']),
  degress: degressFrom(users),
});

SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
  ingress: (resource, instance) => {
    if (resource.id && !groups.has(resource.id)) throw notFound(resource);
    const members = instance.members ?? [];
    const unknown = members.find((m) => !users.has(m.value));
    if (unknown) throw new SCIMMY.Types.Error(400, 'invalidValue', `member ${unknown.value} is not a known User`);
    const id = resource.id ?? randomUUID();
    const record = stamp({ ...instance, id, members }, groups.get(id));
    groups.set(id, record);
    return record;
  },
  egress: egressFrom(groups, ['members']),
  degress: degressFrom(groups),
});

const app = express();

/** Failures a test queued for the next matching requests: `{ method?, path?, status, headers?, body?, times? }`. */
const faults = [];
app.post('/__control/faults', express.json(), (req, res) => {
  faults.push({ times: 1, ...req.body });
  res.status(204).end();
});
/** What the SCIM endpoints were asked, oldest first: `{ method, path, query }`. */
const requests = [];
app.get('/__control/requests', (_req, res) => {
  res.json(requests);
});
app.use('/scim/v2', (req, _res, next) => {
  requests.push({ method: req.method, path: req.path, query: { ...req.query } });
  next();
});
app.use('/scim/v2', (req, res, next) => {
  const index = faults.findIndex(
    (f) => (!f.method || f.method === req.method) && (!f.path || req.path.startsWith(f.path)),
  );
  if (index === -1) return next();
  const fault = faults[index];
  if (--fault.times <= 0) faults.splice(index, 1);
  res.status(fault.status).set(fault.headers ?? {});
  res.type('application/scim+json').send(
    JSON.stringify(
      fault.body ?? {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: String(fault.status),
        detail: 'injected fault',
      },
    ),
  );
});

app.use(
  '/scim/v2',
  new SCIMMYRouters({
    type: 'bearer',
    docUri: 'https://example.invalid/docs/scim-auth',
    handler: (request) => {
      if (request.header('Authorization') !== `Bearer ${token}`)
        throw new Error('Bearer token missing or not accepted');
      return 'gatehouse-tests';
    },
  }),
);

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`SCIM_FAKE_LISTENING ${server.address().port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
