/** `gatehouse apply`: makes the server match the file, refusing when the server changed since the file recorded it. */
import { Api, isMissingRoute } from './api';
import type { AppConfig, ConfigFile } from './config-file';
import { CliError } from './errors';
import { appBody, appChanges, policyBody, type Plan, type Stale } from './plan';
import type { Grant } from './types';

export interface ApplyResult {
  apps: Map<string, number>;
  policies: Map<string, number>;
  /** Ids of the webhooks apply created, by their index in the file. */
  webhookIds: Map<number, string>;
  /** Signing secrets of the webhooks apply created, shown once. */
  secrets: { id: string; secretEnv?: string; secret: string }[];
  done: string[];
}

export function describeStale(stale: Stale[]): string {
  return stale
    .map((s) => {
      const head =
        s.current === null && s.recorded !== null
          ? `${s.kind} ${s.id}: deleted on the server since revision ${s.recorded}`
          : s.recorded === null && s.kind !== 'webhook'
            ? `${s.kind} ${s.id}: exists on the server (revision ${s.current}) but the file records no revision`
            : s.kind === 'webhook'
              ? `webhook ${s.id}: no longer on the server`
              : `${s.kind} ${s.id}: the server is at revision ${s.current}, the file records ${s.recorded}`;
      const what = s.differs.map(
        (c) => `    ${c.action} ${c.kind} ${c.id}${c.fields?.length ? ` (${c.fields.join(', ')})` : ''}`,
      );
      return [`  ${head}`, ...(what.length ? ['    the server differs from the file in:', ...what] : [])].join('\n');
    })
    .join('\n');
}

/** A change that landed after the plan's check: the API refused the write; say what the server has now. */
async function raced(api: Api, app: AppConfig, err: unknown): Promise<never> {
  if (!(err instanceof CliError && err.code === 'REVISION_CONFLICT')) throw err;
  const current = await api.get<AppConfig>(`/apps/${encodeURIComponent(app.id)}`).catch(() => null);
  const stale: Stale = {
    kind: 'app',
    id: app.id,
    recorded: app.revision ?? null,
    current: current?.revision ?? null,
    differs: current ? appChanges(app, current) : [],
  };
  throw new CliError(
    'REVISION_CONFLICT',
    `The server changed while applying; ${app.id} was not written (the changes listed above it were).\n${describeStale([stale])}`,
  );
}

async function revokeAll(api: Api, appId: string, log: (line: string) => void): Promise<void> {
  const grants = await api.get<Grant[]>(`/grants?appId=${encodeURIComponent(appId)}&state=active`);
  const tickets = new Set(grants.flatMap((g) => (g.holders?.length ? g.holders.map((h) => h.ticketId) : [g.ticketId])));
  for (const ticketId of tickets) {
    try {
      await api.post(`/tickets/${encodeURIComponent(ticketId)}/revoke`, {
        comment: `gatehouse apply --prune: ${appId} removed`,
      });
      log(`revoked ${ticketId} (${appId})`);
    } catch (err) {
      // Ended meanwhile: nothing left to revoke.
      if (!(err instanceof CliError && err.code === 'ACCESS_NOT_ACTIVE')) throw err;
    }
  }
  const deadline = Date.now() + 120_000;
  while ((await api.get<Grant[]>(`/grants?appId=${encodeURIComponent(appId)}&state=active`)).length) {
    if (Date.now() > deadline)
      throw new CliError('APP_HAS_ACCESS', `Access in ${appId} is still being revoked; run apply again shortly.`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function applyPlan(
  api: Api,
  file: ConfigFile,
  plan: Plan,
  opts: { forceRevoke?: boolean; log: (line: string) => void },
): Promise<ApplyResult> {
  if (plan.stale.length)
    throw new CliError(
      'REVISION_CONFLICT',
      `The server changed since this file recorded it; nothing was applied.\n${describeStale(plan.stale)}\n` +
        'Export again (gatehouse export) and redo your edits, or merge the server’s changes into the file.',
    );
  const blocked = Object.entries(plan.activeGrants);
  if (blocked.length && !opts.forceRevoke)
    throw new CliError(
      'APP_HAS_ACCESS',
      `--prune would delete apps people hold access in (${blocked.map(([id, n]) => `${id}: ${n} active grant(s)`).join(', ')}); ` +
        'nothing was applied. Revoke it first, or add --force-revoke to revoke it through the API.',
    );
  const result: ApplyResult = { apps: new Map(), policies: new Map(), webhookIds: new Map(), secrets: [], done: [] };
  const note = (line: string) => {
    result.done.push(line);
    opts.log(line);
  };
  const touched = (kind: string, id: string) =>
    plan.changes.some((c) => c.kind === kind && (c.id === id || c.app === id));

  for (const app of file.apps ?? []) {
    if (!touched('app', app.id)) continue;
    const written = await api
      .put<{ revision: number }>(`/apps/${encodeURIComponent(app.id)}`, {
        ...appBody(app),
        revision: app.revision ?? 0,
      })
      .catch((err: unknown) => raced(api, app, err));
    result.apps.set(app.id, written.revision);
    note(`${app.revision === undefined ? 'created' : 'updated'} app ${app.id} (revision ${written.revision})`);
  }
  for (const policy of file.policies ?? []) {
    if (!touched('policy', policy.id)) continue;
    const written = await api.put<{ revision?: number }>(`/policies/${encodeURIComponent(policy.id)}`, {
      ...policyBody(policy),
      revision: policy.revision ?? 0,
    });
    if (written.revision !== undefined) result.policies.set(policy.id, written.revision);
    note(`${policy.revision === undefined ? 'created' : 'updated'} policy ${policy.id}`);
  }
  for (const [i, hook] of (file.webhooks ?? []).entries()) {
    const body = {
      url: hook.url,
      events: hook.events,
      description: hook.description ?? null,
      enabled: hook.enabled ?? true,
    };
    if (!hook.id) {
      const created = await api.post<{ id: string; secret: string }>('/webhooks', body);
      result.webhookIds.set(i, created.id);
      result.secrets.push({ id: created.id, secretEnv: hook.secretEnv, secret: created.secret });
      note(`created webhook ${created.id} (${hook.url})`);
    } else if (touched('webhook', hook.id)) {
      await api.request('PATCH', `/webhooks/${encodeURIComponent(hook.id)}`, body);
      note(`updated webhook ${hook.id}`);
    }
  }
  for (const change of plan.changes.filter((c) => c.action === 'remove')) {
    const guard = change.revision !== undefined ? `?revision=${change.revision}` : '';
    if (change.kind === 'policy') {
      try {
        await api.delete(`/policies/${encodeURIComponent(change.id)}${guard}`);
      } catch (err) {
        if (!isMissingRoute(err)) throw err;
        opts.log(`policy ${change.id}: ${api.url} cannot delete policies (no DELETE /policies/:id); left in place`);
        continue;
      }
    }
    if (change.kind === 'webhook') await api.delete(`/webhooks/${encodeURIComponent(change.id)}`);
    if (change.kind === 'app') {
      if (plan.activeGrants[change.id]) await revokeAll(api, change.id, opts.log);
      await api.delete(`/apps/${encodeURIComponent(change.id)}${guard}`);
    }
    if (change.kind !== 'entitlement') note(`removed ${change.kind} ${change.id}`);
  }
  return result;
}
