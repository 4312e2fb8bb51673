/** The gateway's HTTP API (docs/api.md), as the CLI calls it: JSON in, JSON out, errors as CliError. */
import { CliError } from './errors';
import type { Credentials } from './credentials';

export interface ApiErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  flags?: { code: string; message: string; field?: string }[];
}

export class Api {
  constructor(private readonly credentials: Credentials) {}

  get url(): string {
    return this.credentials.url;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.credentials.token)
      throw new CliError('UNAUTHENTICATED', 'No token: run `gatehouse login`, or set GATEHOUSE_TOKEN.');
    let res: Response;
    try {
      res = await fetch(this.credentials.url + path, {
        method,
        headers: {
          authorization: `Bearer ${this.credentials.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError('UNREACHABLE', `Cannot reach ${this.credentials.url}: ${(err as Error).cause ?? err}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const error = (parsed ?? {}) as ApiErrorBody;
      const flags = error.flags?.length ? ` (${error.flags.map((f) => `${f.code}: ${f.message}`).join('; ')})` : '';
      throw new CliError(
        error.code ?? `HTTP_${res.status}`,
        (error.message ?? (text.slice(0, 200) || res.statusText)) + flags,
        undefined,
        res.status,
      );
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
}

/** An unknown route (the server predates the endpoint) rather than an unknown resource. */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof CliError && err.status === 404 && err.code === 'NOT_FOUND';
}
