// The admin console's calls for people, the access they hold and drift: the paged lists (GET /users,
// GET /admin/grants), a person's profile, grants and tickets, revoking a ticket's access, and an app's
// drift report. All over the public API (docs/api.md).
import type { GatehouseApi } from './client';
import type { Ticket, TicketList } from './types';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DirectoryUser {
  id: string;
  name: string | null;
  email: string | null;
  accounts: Record<string, string>;
  roles: string[];
  groups: string[];
  active: boolean;
  manager: string | null;
  userName: string | null;
  department?: string | null;
  costCenter?: string | null;
  employeeNumber?: string | null;
  /** GET /users/:id only: the leaver workflow's progress, null when none ran. */
  offboarding?: { state: 'running' | 'done'; remaining: number } | null;
}

export interface GrantHolder {
  ticketId: string;
  start: string;
  end: string | null;
}

export interface Grant {
  userId: string;
  appId: string;
  entitlementId: string;
  state: 'active' | 'expired' | 'revoked' | 'removed';
  start: string;
  /** null: indefinite. */
  end: string | null;
  ticketId: string;
  holders: GrantHolder[];
  preexisting: boolean;
}

export interface GrantFilter {
  appId?: string;
  entitlementId?: string;
  userId?: string;
  endingWithinSeconds?: number;
}

export interface AdminApp {
  id: string;
  name: string;
  entitlements: { id: string; name: string }[];
}

export interface DriftReport {
  appId: string;
  generatedAt: string;
  unmanaged: { entitlementId: string; account: string; userId: string | null }[];
  missing: { entitlementId: string; userId: string; ticketId: string }[];
  errors: { entitlementId: string; code: string; message: string }[];
}

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const adminPeople = {
  users(api: GatehouseApi, p: { q?: string; limit?: number; cursor?: string | null }, signal?: AbortSignal) {
    return api.request<Page<DirectoryUser>>('GET', `/users${query(p)}`, undefined, signal);
  },

  user(api: GatehouseApi, id: string, signal?: AbortSignal) {
    return api.request<DirectoryUser>('GET', `/users/${enc(id)}`, undefined, signal);
  },

  grants(api: GatehouseApi, f: GrantFilter & { limit?: number; cursor?: string | null }, signal?: AbortSignal) {
    return api.request<Page<Grant>>('GET', `/admin/grants${query({ ...f })}`, undefined, signal);
  },

  /** Everything one person holds now (a person holds a handful to a few hundred: GET /grants answers them all). */
  grantsOf(api: GatehouseApi, userId: string, signal?: AbortSignal) {
    return api.request<Grant[]>('GET', `/grants${query({ userId })}`, undefined, signal);
  },

  /** A person's tickets: those for them (`for`, whoever raised them) or those they raised (`by`, for anyone). */
  ticketsOf(
    api: GatehouseApi,
    userId: string,
    role: 'for' | 'by',
    cursor?: string | number | null,
    signal?: AbortSignal,
  ) {
    const person = role === 'for' ? { beneficiaryId: userId } : { requesterId: userId };
    return api.request<TicketList>(
      'GET',
      `/tickets${query({ tab: 'all', ...person, limit: 20, cursor: cursor ?? undefined })}`,
      undefined,
      signal,
    );
  },

  /** Ends a ticket's access now; `comment` is the reason, kept in the ticket's log. */
  revoke(api: GatehouseApi, ticketId: string, comment: string) {
    return api.request<Ticket>('POST', `/tickets/${enc(ticketId)}/revoke`, { comment });
  },

  apps(api: GatehouseApi, signal?: AbortSignal) {
    return api.request<{ id: string; name: string }[]>('GET', '/apps', undefined, signal);
  },

  app(api: GatehouseApi, id: string, signal?: AbortSignal) {
    return api.request<AdminApp>('GET', `/apps/${enc(id)}`, undefined, signal);
  },

  /** The app's latest drift report, or null when none ran yet (404). */
  async drift(api: GatehouseApi, appId: string, signal?: AbortSignal): Promise<DriftReport | null> {
    try {
      return await api.request<DriftReport>('GET', `/apps/${enc(appId)}/drift`, undefined, signal);
    } catch (err) {
      if ((err as { status?: number }).status === 404 && (err as { code?: string }).code === 'NOT_FOUND') return null;
      throw err;
    }
  },

  runDrift(api: GatehouseApi, appId: string) {
    return api.request<DriftReport>('POST', `/apps/${enc(appId)}/drift/run`);
  },

  reapply(api: GatehouseApi, appId: string, finding: { userId: string; entitlementId: string }) {
    return api.request<{ reapplied: boolean; ticketId: string }>('POST', `/apps/${enc(appId)}/drift/reapply`, finding);
  },
};
