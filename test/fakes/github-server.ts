/**
 * A fake of the GitHub REST API, as documented at docs.github.com/rest, for the endpoints the GitHub
 * connector calls: org, team memberships and members, repository collaborators and invitations.
 * It checks the token (`Authorization: token|bearer <token>`), validates request bodies, paginates with
 * `Link` headers (`per_page`/`page`), and answers errors with GitHub's `{ message, documentation_url }`.
 */
import express, { type Request, type Response } from 'express';
import {
  FaultQueue,
  listenOnLoopback,
  presentedToken,
  recordRequests,
  type RecordedRequest,
  type RunningFake,
} from './fake-http';

const DOCS = 'https://docs.github.com/rest';
const REPO_PERMISSIONS = ['pull', 'triage', 'push', 'maintain', 'admin'] as const;
/** How the API reports a permission it was given (`role_name`, invitation `permissions`). */
const REPORTED_ROLE: Record<string, string> = {
  pull: 'read',
  triage: 'triage',
  push: 'write',
  maintain: 'maintain',
  admin: 'admin',
};

export interface GithubFakeRepo {
  /** Direct collaborators: login → role name as reported (`read`, `write`, `admin`, ...). */
  collaborators: Map<string, string>;
  invitations: Map<number, { login: string; permissions: string }>;
}

export interface GithubFakeState {
  token: string;
  org: string;
  /** Every login that exists on this GitHub. */
  users: Set<string>;
  /** Logins that belong to the org: added to teams and repositories directly, others are invited. */
  orgMembers: Set<string>;
  /** Team slug → active members. */
  teams: Map<string, Set<string>>;
  /** Team slug → users invited to the org through the team (state "pending"): not members yet. */
  pendingTeamMembers: Map<string, Set<string>>;
  repos: Map<string, GithubFakeRepo>;
  /** The most items a page holds, whatever `per_page` asks (GitHub caps it at 100). */
  maxPerPage: number;
  /** Sent as `x-oauth-scopes`, like a classic personal access token. */
  scopes: string;
  faults: FaultQueue;
  requests: RecordedRequest[];
}

export interface GithubFakeSeed {
  token: string;
  org?: string;
  users?: string[];
  orgMembers?: string[];
  teams?: Record<string, string[]>;
  repos?: Record<string, Record<string, string>>;
  maxPerPage?: number;
}

function notFound(res: Response): void {
  res.status(404).json({ message: 'Not Found', documentation_url: DOCS });
}

function validationFailed(res: Response, field: string, message: string): void {
  res.status(422).json({
    message: 'Validation Failed',
    errors: [{ resource: 'Request', field, code: 'invalid', message }],
    documentation_url: DOCS,
  });
}

function findLogin(set: Iterable<string>, login: string): string | undefined {
  for (const candidate of set) if (candidate.toLowerCase() === login.toLowerCase()) return candidate;
  return undefined;
}

function param(req: Request, name: string): string {
  return String(req.params[name]);
}

/** Sends one page of `items` with GitHub's Link header (rel next/prev/first/last) when there is more than one. */
function sendPage<T>(req: Request, res: Response, items: T[], maxPerPage: number, baseUrl: () => string): void {
  const perPage = Math.min(Math.max(Number(req.query.per_page ?? 30) || 30, 1), maxPerPage);
  const page = Math.max(Number(req.query.page ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number) => {
    const url = new URL(req.originalUrl, baseUrl());
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const links: string[] = [];
  if (page < last) links.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  if (page > 1) links.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
  if (links.length) res.set('link', links.join(', '));
  res.json(items.slice((page - 1) * perPage, page * perPage));
}

export async function startGithubServer(seed: GithubFakeSeed): Promise<RunningFake<GithubFakeState>> {
  const state: GithubFakeState = {
    token: seed.token,
    org: seed.org ?? 'acme',
    users: new Set(seed.users ?? []),
    orgMembers: new Set(seed.orgMembers ?? []),
    teams: new Map(Object.entries(seed.teams ?? {}).map(([slug, members]) => [slug, new Set(members)])),
    pendingTeamMembers: new Map(),
    repos: new Map(
      Object.entries(seed.repos ?? {}).map(([name, collaborators]) => [
        name,
        { collaborators: new Map(Object.entries(collaborators)), invitations: new Map() },
      ]),
    ),
    maxPerPage: seed.maxPerPage ?? 100,
    scopes: 'repo, admin:org',
    faults: new FaultQueue(),
    requests: [],
  };
  let nextInvitationId = 1;
  let baseUrl = '';

  const app = express();
  app.use(express.json());
  app.use(recordRequests(state.requests));
  app.use((req, res, next) => {
    const token = presentedToken(req, ['token', 'bearer']);
    if (!token) return void res.status(401).json({ message: 'Requires authentication', documentation_url: DOCS });
    if (token !== state.token)
      return void res.status(401).json({ message: 'Bad credentials', documentation_url: DOCS });
    res.set({ 'x-oauth-scopes': state.scopes, 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999' });
    next();
  });
  app.use(state.faults.middleware());

  /** Runs `handle` when :org is our org, else 404 like GitHub. */
  const inOrg = (handle: (req: Request, res: Response) => void) => (req: Request, res: Response) =>
    param(req, req.params.org !== undefined ? 'org' : 'owner').toLowerCase() === state.org.toLowerCase()
      ? handle(req, res)
      : notFound(res);

  app.get(
    '/orgs/:org',
    inOrg((_req, res) => void res.json({ login: state.org, id: 1, url: `${baseUrl}/orgs/${state.org}` })),
  );

  app.get(
    '/orgs/:org/teams/:slug',
    inOrg((req, res) => {
      const slug = param(req, 'slug');
      if (!state.teams.has(slug)) return notFound(res);
      res.json({ slug, name: slug, privacy: 'closed' });
    }),
  );

  app.get(
    '/orgs/:org/teams/:slug/members',
    inOrg((req, res) => {
      const members = state.teams.get(param(req, 'slug'));
      if (!members) return notFound(res);
      sendPage(
        req,
        res,
        [...members].map((login) => ({ login, type: 'User' })),
        state.maxPerPage,
        () => baseUrl,
      );
    }),
  );

  app.get(
    '/orgs/:org/teams/:slug/memberships/:username',
    inOrg((req, res) => {
      const slug = param(req, 'slug');
      const members = state.teams.get(slug);
      if (!members) return notFound(res);
      const username = param(req, 'username');
      const member = findLogin(members, username);
      const invited = state.pendingTeamMembers.get(slug) && findLogin(state.pendingTeamMembers.get(slug)!, username);
      if (!member && !invited) return notFound(res);
      const login = member ?? invited;
      res.json({
        url: `${baseUrl}/orgs/${state.org}/teams/${slug}/memberships/${login}`,
        role: 'member',
        state: member ? 'active' : 'pending',
      });
    }),
  );

  app.put(
    '/orgs/:org/teams/:slug/memberships/:username',
    inOrg((req, res) => {
      const slug = param(req, 'slug');
      const members = state.teams.get(slug);
      const login = findLogin(state.users, param(req, 'username'));
      if (!members || !login) return notFound(res);
      const role = (req.body as { role?: unknown } | undefined)?.role ?? 'member';
      if (role !== 'member' && role !== 'maintainer')
        return validationFailed(res, 'role', 'role must be member or maintainer');
      if (findLogin(members, login) || findLogin(state.orgMembers, login)) {
        members.add(findLogin(members, login) ?? login);
        return void res.json({
          url: `${baseUrl}/orgs/${state.org}/teams/${slug}/memberships/${login}`,
          role,
          state: 'active',
        });
      }
      const pending = state.pendingTeamMembers.get(slug) ?? new Set<string>();
      pending.add(login);
      state.pendingTeamMembers.set(slug, pending);
      res.json({ url: `${baseUrl}/orgs/${state.org}/teams/${slug}/memberships/${login}`, role, state: 'pending' });
    }),
  );

  app.delete(
    '/orgs/:org/teams/:slug/memberships/:username',
    inOrg((req, res) => {
      const slug = param(req, 'slug');
      const members = state.teams.get(slug);
      if (!members) return notFound(res);
      const username = param(req, 'username');
      const member = findLogin(members, username);
      const pending = state.pendingTeamMembers.get(slug);
      const invited = pending && findLogin(pending, username);
      if (!member && !invited) return notFound(res);
      if (member) members.delete(member);
      if (invited) pending.delete(invited);
      res.status(204).end();
    }),
  );

  app.get(
    '/repos/:owner/:repo',
    inOrg((req, res) =>
      state.repos.has(param(req, 'repo'))
        ? void res.json({ name: param(req, 'repo'), full_name: `${state.org}/${param(req, 'repo')}` })
        : notFound(res),
    ),
  );

  app.get(
    '/repos/:owner/:repo/collaborators',
    inOrg((req, res) => {
      const repo = state.repos.get(param(req, 'repo'));
      if (!repo) return notFound(res);
      const affiliation = String(req.query.affiliation ?? 'all');
      if (!['outside', 'direct', 'all'].includes(affiliation))
        return validationFailed(res, 'affiliation', 'affiliation must be outside, direct or all');
      const items = [...repo.collaborators].map(([login, role_name]) => ({ login, role_name }));
      sendPage(req, res, items, state.maxPerPage, () => baseUrl);
    }),
  );

  app.put(
    '/repos/:owner/:repo/collaborators/:username',
    inOrg((req, res) => {
      const repo = state.repos.get(param(req, 'repo'));
      const login = findLogin(state.users, param(req, 'username'));
      if (!repo || !login) return notFound(res);
      const permission = (req.body as { permission?: unknown } | undefined)?.permission ?? 'push';
      if (typeof permission !== 'string' || !(REPO_PERMISSIONS as readonly string[]).includes(permission)) {
        return validationFailed(
          res,
          'permission',
          `permission must be one of ${REPO_PERMISSIONS.join(', ')} or a custom repository role`,
        );
      }
      const role = REPORTED_ROLE[permission];
      const existing = findLogin(repo.collaborators.keys(), login);
      if (existing || findLogin(state.orgMembers, login)) {
        repo.collaborators.set(existing ?? login, role);
        return void res.status(204).end();
      }
      // Outside collaborators get (or have updated) an invitation; access starts when they accept.
      let id = [...repo.invitations].find(([, inv]) => inv.login === login)?.[0];
      if (id === undefined) id = nextInvitationId++;
      repo.invitations.set(id, { login, permissions: role });
      res.status(201).json({ id, invitee: { login }, permissions: role, repository: { name: param(req, 'repo') } });
    }),
  );

  app.delete(
    '/repos/:owner/:repo/collaborators/:username',
    inOrg((req, res) => {
      const repo = state.repos.get(param(req, 'repo'));
      if (!repo) return notFound(res);
      const existing = findLogin(repo.collaborators.keys(), param(req, 'username'));
      if (existing) repo.collaborators.delete(existing);
      res.status(204).end();
    }),
  );

  app.get(
    '/repos/:owner/:repo/invitations',
    inOrg((req, res) => {
      const repo = state.repos.get(param(req, 'repo'));
      if (!repo) return notFound(res);
      const items = [...repo.invitations].map(([id, inv]) => ({
        id,
        invitee: { login: inv.login },
        permissions: inv.permissions,
      }));
      sendPage(req, res, items, state.maxPerPage, () => baseUrl);
    }),
  );

  app.delete(
    '/repos/:owner/:repo/invitations/:id',
    inOrg((req, res) => {
      const repo = state.repos.get(param(req, 'repo'));
      if (!repo || !repo.invitations.delete(Number(param(req, 'id')))) return notFound(res);
      res.status(204).end();
    }),
  );

  app.use((_req, res) => notFound(res));

  const server = await listenOnLoopback(app);
  baseUrl = server.url;
  return { url: server.url, state, close: server.close };
}
