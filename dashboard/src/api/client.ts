// One small client over fetch: adds the bearer token, turns every failure into an ApiError carrying the
// contract's error body (or a NETWORK_ERROR when the gateway could not be reached at all).
import type {
  AppSummary,
  CreateTicketBody,
  Duration,
  Entitlement,
  ErrorBody,
  Me,
  Tab,
  Ticket,
  TicketList,
  ValidationResult,
} from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly flags: ErrorBody['flags'];

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = body.statusCode;
    this.code = body.code;
    this.flags = body.flags ?? [];
  }
}

export interface TicketQuery {
  tab: Tab;
  appId?: string;
  requesterId?: string;
  type?: string;
  awaitingMe?: boolean;
  limit?: number;
  cursor?: string | null;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

function query(params: Record<string, string | number | undefined | null | false>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== false && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class GatehouseApi {
  constructor(
    private readonly token: string,
    private readonly baseUrl = '',
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    /** Called on 401 so the app can send the person back to sign-in. */
    private readonly onUnauthenticated?: (err: ApiError) => void,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal,
      });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      throw new ApiError({ statusCode: 0, code: 'NETWORK_ERROR', message: String((err as Error)?.message ?? err) });
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const b = (parsed ?? {}) as Partial<ErrorBody>;
      const err = new ApiError({
        statusCode: res.status,
        code: typeof b.code === 'string' ? b.code : res.status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR',
        message: typeof b.message === 'string' ? b.message : `${res.status} ${res.statusText}`,
        flags: Array.isArray(b.flags) ? b.flags : undefined,
      });
      if (res.status === 401) this.onUnauthenticated?.(err);
      throw err;
    }
    return parsed as T;
  }

  me(signal?: AbortSignal) {
    return this.request<Me>('GET', '/me', undefined, signal);
  }

  apps(forUser?: string, signal?: AbortSignal) {
    return this.request<AppSummary[]>('GET', `/apps${query({ for: forUser })}`, undefined, signal);
  }

  entitlements(appId: string, q: string, forUser?: string, signal?: AbortSignal) {
    return this.request<Entitlement[]>(
      'GET',
      `/apps/${encodeURIComponent(appId)}/entitlements${query({ q, for: forUser })}`,
      undefined,
      signal,
    );
  }

  tickets(p: TicketQuery, signal?: AbortSignal) {
    return this.request<TicketList>(
      'GET',
      `/tickets${query({ tab: p.tab, appId: p.appId, requesterId: p.requesterId, type: p.type, awaiting: p.awaitingMe ? 'me' : undefined, limit: p.limit, cursor: p.cursor })}`,
      undefined,
      signal,
    );
  }

  ticket(id: string, signal?: AbortSignal) {
    return this.request<Ticket>('GET', `/tickets/${encodeURIComponent(id)}`, undefined, signal);
  }

  validate(body: CreateTicketBody, signal?: AbortSignal) {
    return this.request<ValidationResult>('POST', '/tickets/validate', body, signal);
  }

  createTicket(body: CreateTicketBody) {
    return this.request<Ticket>('POST', '/tickets', body);
  }

  approve(id: string, body: { comment?: string; duration?: Duration }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/approve`, body);
  }

  reject(id: string, body: { comment?: string }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/reject`, body);
  }

  cancel(id: string, body: { comment?: string }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/cancel`, body);
  }

  extend(id: string, body: { end: string; reason: string }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/extend`, body);
  }

  reraise(id: string, body: { duration: Duration; reason: string }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/reraise`, body);
  }

  /** The beneficiary ends their own access early, without an approval. */
  relinquish(id: string, body: { comment?: string }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/relinquish`, body);
  }

  /** An approver's or admin's after-the-fact decision on break-glass access. */
  review(id: string, body: { decision: 'confirm' | 'revoke'; comment?: string }) {
    return this.request<Ticket>('POST', `/tickets/${encodeURIComponent(id)}/review`, body);
  }
}
