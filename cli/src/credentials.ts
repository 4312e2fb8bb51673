/**
 * Where the CLI finds its server and token: GATEHOUSE_URL and GATEHOUSE_TOKEN first (scripts and CI need
 * no login), then what `gatehouse login` stored in the user's config directory (mode 0600).
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Dev default: the gateway of `npm run dev`. */
export const DEFAULT_URL = 'http://localhost:3000';

export interface Credentials {
  url: string;
  token: string | null;
  /** A stored device-flow login's means to renew its token; absent for pasted and environment tokens. */
  renewal?: Renewal;
}

/** What `gatehouse login` keeps besides the token when the provider gave a refresh token. */
export interface Renewal {
  tokenEndpoint: string;
  clientId: string;
  refreshToken: string;
  /** When the access token expires (ISO), if the provider said. */
  expiresAt: string | null;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'gatehouse');
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'gatehouse');
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Application Support', 'gatehouse');
  return path.join(homedir(), '.config', 'gatehouse');
}

export const credentialsFile = (env: NodeJS.ProcessEnv = process.env) => path.join(configDir(env), 'credentials.json');

export function stored(env: NodeJS.ProcessEnv = process.env): Partial<Credentials> {
  try {
    const parsed = JSON.parse(readFileSync(credentialsFile(env), 'utf8')) as Partial<Credentials>;
    return typeof parsed === 'object' && parsed ? parsed : {};
  } catch {
    return {};
  }
}

export function resolveCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const saved = stored(env);
  const url = (env.GATEHOUSE_URL || saved.url || DEFAULT_URL).replace(/\/+$/, '');
  if (env.GATEHOUSE_TOKEN) return { url, token: env.GATEHOUSE_TOKEN };
  return { url, token: saved.token || null, ...(saved.renewal ? { renewal: saved.renewal } : {}) };
}

export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
  return file;
}

export function removeCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = credentialsFile(env);
  try {
    rmSync(file);
    return true;
  } catch {
    return false;
  }
}
