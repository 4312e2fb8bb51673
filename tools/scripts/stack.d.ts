// Types of stack.js (plain CommonJS so it runs before anything is built).
import type { ChildProcess, StdioOptions } from 'node:child_process';

export const root: string;
export const searchAttributes: Record<string, 'Keyword' | 'Datetime'>;
export function binaries(): { temporal: string; ferretdb: string };
export function freePort(): Promise<number>;
export function portOpen(port: number, host?: string): Promise<boolean>;
export function waitForPort(
  port: number,
  options?: { timeoutMs?: number; child?: ChildProcess; name?: string },
): Promise<void>;
export function stopChild(child: ChildProcess | undefined, timeoutMs?: number): Promise<void>;
export function searchAttributeArgs(): string[];
export function dynamicConfigArgs(): string[];
export function startFerretDb(options?: { dataDir?: string; port?: number; log?: StdioOptions }): Promise<{
  child: ChildProcess;
  port: number;
  dataDir: string;
  uri: string;
  /** FerretDB's debug handler (metrics, pprof), e.g. http://127.0.0.1:40123. */
  debugUrl: string;
  stop(): Promise<void>;
}>;
export function startTemporalDevServer(options?: {
  dbFile?: string;
  port?: number;
  uiPort?: number;
  log?: StdioOptions;
}): Promise<{
  child: ChildProcess;
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}>;

export interface DevOidcAccount {
  sub: string;
  name?: string;
  email?: string;
  groups?: string[];
  roles?: string[];
  /** The provider shows this account but answers access_denied when it is picked. */
  refused?: boolean;
}
export function startDevOidcProvider(config: {
  port?: number;
  host?: string;
  clientId: string;
  /** The command line's public client (device flow, refresh tokens); none when absent. */
  cliClientId?: string;
  /** Seconds a device flow's user code can be entered (default 600). */
  deviceCodeTtl?: number;
  redirectUris: string[];
  audience: string;
  accessTokenTtl?: number;
  accounts: DevOidcAccount[];
}): Promise<{ child: ChildProcess; port: number; issuer: string; stop(): Promise<void> }>;
