/**
 * Configuration as code: the server's configuration as a file (export), the difference between a file and
 * the server (plan), and making the server match the file (apply). Only the public HTTP API is used.
 */
import { Api, isMissingRoute } from './api';
import type { AppConfig, ConfigFile, PolicyConfig, WebhookConfig } from './config-file';
import { CliError } from './errors';
import type { Grant } from './types';

export interface ServerState {
  apps: AppConfig[];
  /** null: the server has no policies endpoint. */
  policies: PolicyConfig[] | null;
  webhooks: (WebhookConfig & { id: string })[];
}

type Kind = 'app' | 'entitlement' | 'policy' | 'webhook';

export interface Change {
  kind: Kind;
  id: string;
  /** The app an entitlement belongs to. */
  app?: string;
  action: 'add' | 'change' | 'remove';
  /** What differs, for a change: top-level fields of the item. */
  fields?: string[];
  /** For a removal: the revision the plan saw, so the delete is refused if the item changed since. */
  revision?: number;
}

/** An item the server changed since the file recorded it: apply refuses while there is one. */
export interface Stale {
  kind: Kind;
  id: string;
  recorded: number | null;
  current: number | null;
  /** How the server's item differs from the file's. */
  differs: Change[];
}

/** What the server says an app's change would do (POST /apps/:id/impact): its lines for people. */
export interface AppImpact {
  exists: boolean;
  /** "makes 14 people approvers of GitHub step 1 (Team lead)", "2 open tickets are affected …" */
  summary: string[];
  steps: unknown[];
  openTickets: { count: number; ids: string[] };
}

/** An app's impact, or why the server would refuse the app (its validation message). */
export type PlanImpact = AppImpact | { refused: string; summary: string[] };

export interface Plan {
  changes: Change[];
  /** Per app added or changed: what the change does to approvers and open tickets (empty: an older server). */
  impact: Record<string, PlanImpact>;
  stale: Stale[];
  /** Items on the server the file does not list, kept unless --prune. */
  unmanaged: { kind: Kind; id: string }[];
  /** Apps --prune would delete whose grants are active: { appId: active grant count }. */
  activeGrants: Record<string, number>;
  policiesSupported: boolean;
}

/** Server-kept fields that are not configuration. */
const POLICY_META = ['revision', 'author', 'at', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy'];

/** JSON with sorted keys and no undefined: equal configurations compare equal as text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** An app's configuration as PUT /apps/:id takes it (the file's optional lists filled in). */
export function appBody(app: AppConfig): Omit<AppConfig, 'id' | 'revision'> {
  return {
    name: app.name,
    connector: app.connector,
    entitlements: app.entitlements,
    licenses: app.licenses ?? [],
    policy: app.policy,
  };
}

export function policyBody(policy: PolicyConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(policy).filter(([k]) => k !== 'id' && !POLICY_META.includes(k)));
}

function webhookBody(w: WebhookConfig) {
  return { url: w.url, events: w.events, description: w.description ?? null, enabled: w.enabled ?? true };
}

/** How `to` differs from `from`: the app's changed fields and its entitlements added, changed, removed. */
export function appChanges(from: AppConfig, to: AppConfig): Change[] {
  const a = appBody(from);
  const b = appBody(to);
  const fields = (['name', 'connector', 'licenses', 'policy'] as const).filter((k) => !same(a[k], b[k]));
  const changes: Change[] = [];
  const byId = (list: Record<string, unknown>[]) => new Map(list.map((e) => [String(e.id), e]));
  const before = byId(a.entitlements);
  const after = byId(b.entitlements);
  const entitlements: Change[] = [];
  for (const [id, e] of after) {
    const old = before.get(id);
    if (!old) entitlements.push({ kind: 'entitlement', id, app: to.id, action: 'add' });
    else if (!same(old, e))
      entitlements.push({
        kind: 'entitlement',
        id,
        app: to.id,
        action: 'change',
        fields: Object.keys({ ...old, ...e }).filter((k) => !same(old[k], e[k])),
      });
  }
  for (const id of before.keys())
    if (!after.has(id)) entitlements.push({ kind: 'entitlement', id, app: to.id, action: 'remove' });
  // Entitlements moved around without other change: the order is what the catalog shows.
  const reordered = !entitlements.length && !same(a.entitlements, b.entitlements);
  if (fields.length || entitlements.length || reordered)
    changes.push({
      kind: 'app',
      id: to.id,
      action: 'change',
      fields: [...fields, ...(entitlements.length || reordered ? ['entitlements'] : [])],
    });
  return [...changes, ...entitlements];
}

export async function fetchState(api: Api): Promise<ServerState> {
  const list = await api.get<{ id: string }[]>('/apps');
  const apps = await Promise.all(
    list.map(async ({ id }) => {
      const app = await api.get<AppConfig & Record<string, unknown>>(`/apps/${encodeURIComponent(id)}`);
      return { id: app.id, revision: app.revision, ...appBody(app) } as AppConfig;
    }),
  );
  let policies: PolicyConfig[] | null = null;
  try {
    const answer = await api.get<PolicyConfig[] | { items: PolicyConfig[] }>('/policies');
    policies = Array.isArray(answer) ? answer : answer.items;
  } catch (err) {
    if (!isMissingRoute(err)) throw err;
  }
  const webhooks = (await api.get<(WebhookConfig & { id: string })[]>('/webhooks')).map((w) => ({
    id: w.id,
    ...webhookBody(w),
  }));
  return { apps, policies, webhooks };
}

/** The file `gatehouse export` writes: the server's configuration, with the revisions it is at. */
export function exportConfig(state: ServerState, secretEnvOf: (id: string) => string): ConfigFile {
  return {
    version: 1,
    apps: state.apps.map((a) => ({
      id: a.id,
      revision: a.revision,
      ...appBody(a),
      licenses: a.licenses?.length ? a.licenses : undefined,
    })),
    ...(state.policies
      ? {
          policies: state.policies.map((p) => ({
            id: p.id,
            ...(p.revision !== undefined ? { revision: p.revision } : {}),
            ...policyBody(p),
          })),
        }
      : {}),
    webhooks: state.webhooks.map((w) => ({
      id: w.id,
      ...webhookBody(w),
      description: w.description ?? undefined,
      secretEnv: secretEnvOf(w.id),
    })),
  } as ConfigFile;
}

function staleness(
  kind: Kind,
  id: string,
  recorded: number | undefined,
  current: { revision?: number } | undefined,
  differs: () => Change[],
): Stale | null {
  if (recorded === undefined && !current) return null;
  if (recorded !== undefined && current && current.revision === recorded) return null;
  return {
    kind,
    id,
    recorded: recorded ?? null,
    current: current?.revision ?? null,
    differs: current ? differs() : [],
  };
}

/**
 * The server's impact preview of each app the plan adds or changes. A server without the preview leaves
 * the plan as before; a body it would refuse is reported here, before apply tries to write it.
 */
async function impactOf(api: Api, apps: AppConfig[]): Promise<Record<string, PlanImpact>> {
  const impact: Record<string, PlanImpact> = {};
  for (const app of apps) {
    try {
      impact[app.id] = await api.post<AppImpact>(`/apps/${encodeURIComponent(app.id)}/impact`, appBody(app));
    } catch (err) {
      if (isMissingRoute(err)) return {};
      if (!(err instanceof CliError) || err.status !== 400) throw err;
      impact[app.id] = { refused: err.message, summary: [`the server would refuse it: ${err.message}`] };
    }
  }
  return impact;
}

/** The plan of making the server's state match the file. */
export async function makePlan(api: Api, file: ConfigFile, state: ServerState, prune: boolean): Promise<Plan> {
  const changes: Change[] = [];
  const stale: Stale[] = [];
  const unmanaged: Plan['unmanaged'] = [];

  const serverApps = new Map(state.apps.map((a) => [a.id, a]));
  for (const app of file.apps ?? []) {
    const current = serverApps.get(app.id);
    const s = staleness('app', app.id, app.revision, current, () => appChanges(app, current!));
    if (s) stale.push(s);
    if (!current) changes.push({ kind: 'app', id: app.id, action: 'add' });
    else changes.push(...appChanges(current, app));
  }
  const fileApps = new Set((file.apps ?? []).map((a) => a.id));
  const removedApps = state.apps.filter((a) => !fileApps.has(a.id));

  const serverPolicies = new Map((state.policies ?? []).map((p) => [p.id, p]));
  if (file.policies?.length && !state.policies)
    throw new CliError(
      'NOT_SUPPORTED',
      `The file lists policies but ${api.url} has no policies endpoint (GET /policies).`,
    );
  for (const policy of file.policies ?? []) {
    const current = serverPolicies.get(policy.id);
    const differs = (a: PolicyConfig, b: PolicyConfig): Change[] => {
      const [x, y] = [policyBody(a), policyBody(b)];
      const fields = Object.keys({ ...x, ...y }).filter((k) => !same(x[k], y[k]));
      return fields.length ? [{ kind: 'policy', id: b.id, action: 'change', fields }] : [];
    };
    const s = staleness('policy', policy.id, policy.revision, current, () => differs(policy, current!));
    if (s) stale.push(s);
    if (!current) changes.push({ kind: 'policy', id: policy.id, action: 'add' });
    else changes.push(...differs(current, policy));
  }
  const filePolicies = new Set((file.policies ?? []).map((p) => p.id));
  // A file without a policies list leaves the server's policies alone, even with --prune.
  const removedPolicies = file.policies ? (state.policies ?? []).filter((p) => !filePolicies.has(p.id)) : [];

  const serverHooks = new Map(state.webhooks.map((w) => [w.id, w]));
  (file.webhooks ?? []).forEach((hook, i) => {
    if (!hook.id) return changes.push({ kind: 'webhook', id: `#${i + 1} ${hook.url}`, action: 'add' });
    const current = serverHooks.get(hook.id);
    if (!current) return stale.push({ kind: 'webhook', id: hook.id, recorded: null, current: null, differs: [] });
    const [x, y] = [webhookBody(current), webhookBody(hook)];
    const fields = (Object.keys(x) as (keyof typeof x)[]).filter((k) => !same(x[k], y[k]));
    if (fields.length) changes.push({ kind: 'webhook', id: hook.id, action: 'change', fields });
  });
  const fileHooks = new Set((file.webhooks ?? []).map((w) => w.id));
  const removedHooks = file.webhooks ? state.webhooks.filter((w) => !fileHooks.has(w.id)) : [];

  const removed: { kind: Kind; id: string; revision?: number }[] = [
    ...removedPolicies.map((p) => ({ kind: 'policy' as const, id: p.id, revision: p.revision })),
    ...removedHooks.map((w) => ({ kind: 'webhook' as const, id: w.id })),
    ...removedApps.map((a) => ({ kind: 'app' as const, id: a.id, revision: a.revision })),
  ];
  const activeGrants: Record<string, number> = {};
  if (prune) {
    changes.push(...removed.map((r) => ({ ...r, action: 'remove' as const })));
    for (const app of removedApps) {
      const grants = await api.get<Grant[]>(`/grants?appId=${encodeURIComponent(app.id)}&state=active`);
      if (grants.length) activeGrants[app.id] = grants.length;
    }
  } else unmanaged.push(...removed.map(({ kind, id }) => ({ kind, id })));
  const changedApps = new Set(changes.filter((c) => c.kind === 'app' && c.action !== 'remove').map((c) => c.id));
  const impact = await impactOf(
    api,
    (file.apps ?? []).filter((a) => changedApps.has(a.id)),
  );
  return { changes, impact, stale, unmanaged, activeGrants, policiesSupported: state.policies !== null };
}
