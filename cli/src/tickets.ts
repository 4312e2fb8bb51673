/** Requester and approver commands: raise, follow, extend and give up access; decide tickets. */
import { Api, isMissingRoute } from './api';
import { parseDuration, parseInstant } from './duration';
import { CliError, EXIT } from './errors';
import { paint, relative, statusColour, table, type Output } from './output';
import type { Duration, Grant, Me, Ticket, TicketPage, TicketSummary } from './types';

const POLL_MS = 1000;

function durationFor(text: string, start?: string): Duration {
  if (text === 'indefinite') return { type: 'indefinite' };
  const from = start ? Date.parse(start) : Date.now();
  return { type: 'limited', ...(start ? { start } : {}), end: new Date(from + parseDuration(text)).toISOString() };
}

function parseFields(pairs: string[]): Record<string, string> | undefined {
  if (!pairs.length) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new CliError('VALIDATION_FAILED', `--field ${pair}: use key=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export function describeTicket(o: Output, t: Ticket): string {
  const access = t.access.state === 'active' ? `active until ${t.access.end ?? 'revoked'}` : t.access.state;
  return [
    `${paint(o, 'bold', t.id)}  ${paint(o, statusColour(t.status), t.status)}  ${t.app.id}: ${t.changes
      .map((c) => `${c.op === 'remove' ? '-' : '+'}${c.entitlement.id}`)
      .join(' ')}`,
    `  for ${t.beneficiary.id}${t.requester.id !== t.beneficiary.id ? ` (asked by ${t.requester.id})` : ''}, access ${paint(o, statusColour(t.access.state), access)}`,
    ...(t.status === 'pending' && t.approval.awaiting.length ? [`  awaiting ${t.approval.awaiting.join(', ')}`] : []),
  ].join('\n');
}

export async function whoami(api: Api, o: Output): Promise<void> {
  const me = await api.get<Me>('/me');
  if (o.json) return o.out(JSON.stringify(me));
  o.out(`${me.id}${me.name ? ` (${me.name})` : ''} on ${api.url}`);
  if (me.roles.length) o.out(`roles: ${me.roles.join(', ')}`);
  if (me.groups.length) o.out(`groups: ${me.groups.join(', ')}`);
}

export interface RequestOptions {
  for?: string;
  start?: string;
  reason?: string;
  onBehalfOf?: string;
  field: string[];
  wait?: boolean;
  timeout: string;
}

export async function request(
  api: Api,
  o: Output,
  appId: string,
  entitlements: string[],
  opts: RequestOptions,
): Promise<number> {
  if (!opts.for) throw new CliError('VALIDATION_FAILED', '--for is required: a duration (4h, 2d) or "indefinite"');
  const start = opts.start ? parseInstant(opts.start) : undefined;
  const fields = parseFields(opts.field);
  const ticket = await api.post<Ticket>('/tickets', {
    appId,
    changes: entitlements.map((entitlementId) => ({ op: 'add', entitlementId, ...(fields ? { fields } : {}) })),
    duration: durationFor(opts.for, start),
    ...(opts.reason ? { reason: opts.reason } : {}),
    ...(opts.onBehalfOf ? { onBehalfOf: opts.onBehalfOf } : {}),
  });
  if (!opts.wait) {
    if (o.json) o.out(JSON.stringify(ticket));
    else o.out(describeTicket(o, ticket));
    return EXIT.OK;
  }
  if (!o.json) o.err(`${ticket.id} raised; waiting for a decision (up to ${opts.timeout})…`);
  return waitFor(api, o, ticket.id, parseDuration(opts.timeout));
}

/** Follows a ticket until its access is active (0), it is rejected or cancelled (2), or time runs out (3). */
async function waitFor(api: Api, o: Output, id: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let announced = '';
  for (;;) {
    const t = await api.get<Ticket>(`/tickets/${encodeURIComponent(id)}`);
    const done = (code: number, text: string) => {
      if (o.json) o.out(JSON.stringify(t));
      else o.out(text);
      return code;
    };
    if (t.status === 'rejected' || t.status === 'cancelled')
      return done(EXIT.REJECTED, `${id} ${paint(o, 'red', t.status)}`);
    // Approved access that already ended (a very short grant) was active: the wait succeeded.
    if (t.status === 'approved' && ['active', 'expired', 'revoked'].includes(t.access.state))
      return done(
        EXIT.OK,
        `${id} ${paint(o, 'green', 'approved')}: access ${t.access.state}${t.access.end ? ` until ${t.access.end} (${relative(t.access.end)})` : ''}`,
      );
    if (t.access.state === 'failed')
      throw new CliError(
        'PROVISIONING_FAILED',
        `${id} was approved but granting the access failed; an admin can retry it.`,
      );
    const now = `${t.status}/${t.access.state}`;
    if (!o.json && now !== announced && t.status === 'approved') o.err(`${id} approved; access ${t.access.state}…`);
    announced = now;
    if (Date.now() >= deadline) {
      if (o.json) o.out(JSON.stringify(t));
      else o.err(`${id} is still ${t.status} (access ${t.access.state}) after the timeout.`);
      return EXIT.TIMED_OUT;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

function summaries(o: Output, items: TicketSummary[], empty: string): void {
  if (o.json) return o.out(JSON.stringify(items));
  if (!items.length) return o.out(empty);
  o.out(
    table(
      items.map((t) => [
        t.id,
        paint(o, statusColour(t.status), t.status),
        t.app.id,
        t.type === 'request' ? t.action : `${t.type}/${t.action}`,
        t.beneficiary.id,
        relative(t.createdAt),
        t.comment ?? '',
      ]),
      ['ticket', 'status', 'app', 'kind', 'for', 'created', 'reason'],
    ),
  );
}

export async function tickets(api: Api, o: Output, opts: { open?: boolean; all?: boolean }): Promise<void> {
  const params = new URLSearchParams({ tab: opts.open ? 'open' : 'all', limit: '50' });
  if (!opts.all) params.set('requesterId', (await api.get<Me>('/me')).id);
  const page = await api.get<TicketPage>(`/tickets?${params}`);
  summaries(o, page.items, opts.open ? 'No open tickets.' : 'No tickets.');
}

export async function inbox(api: Api, o: Output): Promise<void> {
  const page = await api.get<TicketPage>('/tickets?tab=open&awaiting=me&limit=50');
  summaries(o, page.items, 'Nothing awaits your decision.');
}

export async function show(api: Api, o: Output, id: string): Promise<void> {
  const t = await api.get<Ticket>(`/tickets/${encodeURIComponent(id)}`);
  o.out(o.json ? JSON.stringify(t) : describeTicket(o, t));
}

export async function access(api: Api, o: Output): Promise<void> {
  const me = await api.get<Me>('/me');
  const grants = await api.get<Grant[]>(`/grants?userId=${encodeURIComponent(me.id)}&state=active`);
  if (o.json) return o.out(JSON.stringify(grants));
  if (!grants.length) return o.out('You hold no access through Gatehouse.');
  o.out(
    table(
      grants.map((g) => [
        g.appId,
        g.entitlementId,
        g.end ? `${g.end}` : 'indefinite',
        g.end ? relative(g.end) : '',
        g.ticketId,
      ]),
      ['app', 'entitlement', 'until', 'ends', 'ticket'],
    ),
  );
}

export async function extend(
  api: Api,
  o: Output,
  id: string,
  opts: { for?: string; until?: string; reason?: string },
): Promise<void> {
  if (!opts.reason) throw new CliError('VALIDATION_FAILED', '--reason is required');
  let end: string;
  if (opts.until) end = parseInstant(opts.until);
  else if (opts.for) {
    // Longer by --for than it is now (from now, should it end sooner than that anyway).
    const t = await api.get<Ticket>(`/tickets/${encodeURIComponent(id)}`);
    const current = t.access.end ? Date.parse(t.access.end) : Date.now();
    end = new Date(Math.max(current, Date.now()) + parseDuration(opts.for)).toISOString();
  } else throw new CliError('VALIDATION_FAILED', '--for or --until is required');
  const ticket = await api.post<Ticket>(`/tickets/${encodeURIComponent(id)}/extend`, { end, reason: opts.reason });
  o.out(o.json ? JSON.stringify(ticket) : describeTicket(o, ticket));
}

export async function relinquish(api: Api, o: Output, id: string, opts: { comment?: string }): Promise<void> {
  try {
    const ticket = await api.post<Ticket>(
      `/tickets/${encodeURIComponent(id)}/relinquish`,
      opts.comment ? { comment: opts.comment } : {},
    );
    o.out(o.json ? JSON.stringify(ticket) : describeTicket(o, ticket));
  } catch (err) {
    if (isMissingRoute(err))
      throw new CliError(
        'NOT_SUPPORTED',
        `${api.url} does not offer giving access up (POST /tickets/:id/relinquish); ask an approver or an admin to revoke ${id}.`,
      );
    throw err;
  }
}

export async function approve(
  api: Api,
  o: Output,
  id: string,
  opts: { until?: string; comment?: string },
): Promise<void> {
  let duration: Duration | undefined;
  if (opts.until) {
    // Approve with a shorter (or other) end; a start in the future stays, and a duration counts from it.
    const t = await api.get<Ticket>(`/tickets/${encodeURIComponent(id)}`);
    const start = t.duration?.type === 'limited' && t.duration.start ? t.duration.start : undefined;
    const from = start && Date.parse(start) > Date.now() ? Date.parse(start) : Date.now();
    duration = { type: 'limited', ...(start ? { start } : {}), end: parseInstant(opts.until, from) };
  }
  const ticket = await api.post<Ticket>(`/tickets/${encodeURIComponent(id)}/approve`, {
    ...(opts.comment ? { comment: opts.comment } : {}),
    ...(duration ? { duration } : {}),
  });
  o.out(o.json ? JSON.stringify(ticket) : describeTicket(o, ticket));
}

export async function reject(api: Api, o: Output, id: string, opts: { comment: string }): Promise<void> {
  const ticket = await api.post<Ticket>(`/tickets/${encodeURIComponent(id)}/reject`, { comment: opts.comment });
  o.out(o.json ? JSON.stringify(ticket) : describeTicket(o, ticket));
}
