// The admin console's operations screens over the public API: webhook endpoints and their deliveries, and
// the audit log with its export. Shapes follow docs/api.md ("Webhooks", "Audit log").
import type { GatehouseApi } from './client';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
  createdBy: string;
}

/** Only the answers to create and rotate carry the secret, and only once. */
export interface WebhookWithSecret extends WebhookEndpoint {
  secret: string;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  ticketId: string;
  status: DeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  replays: number;
  createdAt: string;
}

export interface WebhookAttempt {
  /** 0: the first run; n: the n-th replay. */
  replay: number;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookDeliveryDetail extends WebhookDelivery {
  history: WebhookAttempt[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface WebhookInput {
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
}

/**
 * What `events` may name (the ticket event types), `*` for all: the server's TICKET_EVENT_TYPES, in its order
 * (admin-ops.test.ts holds the two lists equal).
 */
export const WEBHOOK_EVENTS = [
  'created',
  'approved',
  'auto_approved',
  'rejected',
  'duration_modified',
  'cancelled',
  'applying',
  'granted',
  'already_held',
  'provisioning_failed',
  'retried',
  'extended',
  'expired',
  'revoked',
  'relinquished',
  'removed',
  'reminder_sent',
  'escalated',
  'approver_removed',
  'expiring_soon',
  'break_glass',
  'break_glass_confirmed',
  'break_glass_revoked',
  'break_glass_escalated',
] as const;

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  status: number;
  requestId: string;
  details: Record<string, string | number | boolean | null>;
}

export interface AuditFilter {
  actor?: string;
  target?: string;
  action?: string;
  /** ISO instants: from inclusive, to exclusive. */
  from?: string;
  to?: string;
}

export type ExportFormat = 'csv' | 'jsonl';

export function queryString(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export function webhooksApi(api: GatehouseApi) {
  return {
    list: (signal?: AbortSignal) => api.request<WebhookEndpoint[]>('GET', '/webhooks', undefined, signal),
    get: (id: string, signal?: AbortSignal) =>
      api.request<WebhookEndpoint>('GET', `/webhooks/${enc(id)}`, undefined, signal),
    create: (body: WebhookInput) => api.request<WebhookWithSecret>('POST', '/webhooks', body),
    update: (id: string, body: Partial<WebhookInput>) =>
      api.request<WebhookEndpoint>('PATCH', `/webhooks/${enc(id)}`, body),
    remove: (id: string) => api.request<null>('DELETE', `/webhooks/${enc(id)}`),
    rotateSecret: (id: string) => api.request<WebhookWithSecret>('POST', `/webhooks/${enc(id)}/rotate-secret`),
    deliveries: (
      id: string,
      q: { status?: DeliveryStatus; limit?: number; cursor?: string | null },
      signal?: AbortSignal,
    ) =>
      api.request<Page<WebhookDelivery>>(
        'GET',
        `/webhooks/${enc(id)}/deliveries${queryString({ status: q.status, limit: q.limit, cursor: q.cursor })}`,
        undefined,
        signal,
      ),
    delivery: (id: string, deliveryId: string, signal?: AbortSignal) =>
      api.request<WebhookDeliveryDetail>(
        'GET',
        `/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}`,
        undefined,
        signal,
      ),
    replay: (id: string, deliveryId: string) =>
      api.request<{ id: string; replay: number; workflowId: string }>(
        'POST',
        `/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/replay`,
      ),
  };
}

export function auditApi(api: GatehouseApi) {
  return {
    list: (q: AuditFilter & { limit?: number; cursor?: string | null }, signal?: AbortSignal) =>
      api.request<Page<AuditEntry>>('GET', `/audit${queryString({ ...q })}`, undefined, signal),
  };
}

/** The export's URL: the same filters as the list, without paging. */
export function auditExportPath(format: ExportFormat, filter: AuditFilter): string {
  return `/audit/export${queryString({ format, ...filter })}`;
}

/**
 * Fetches an export as a file. `GatehouseApi.request` reads answers as JSON, so this one call goes through
 * fetch itself, with the bearer token the session keeps (the export is a download, not data for the page).
 */
export async function fetchAuditExport(
  token: string,
  format: ExportFormat,
  filter: AuditFilter,
): Promise<{ blob: Blob; filename: string }> {
  const res = await fetch(auditExportPath(format, filter), {
    headers: { authorization: `Bearer ${token}`, accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { code?: string; message?: string } | null;
    throw Object.assign(new Error(body?.message ?? `${res.status} ${res.statusText}`), {
      status: res.status,
      code: body?.code ?? 'HTTP_ERROR',
    });
  }
  const named = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  return { blob: await res.blob(), filename: named ?? `gatehouse-audit.${format}` };
}
