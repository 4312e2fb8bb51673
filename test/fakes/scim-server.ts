/**
 * Starts `scimmy-server.mjs` (a SCIM 2.0 service provider on the third-party scimmy + scimmy-routers
 * packages, ESM-only, hence a child process; not named scim-server.mjs, which Jest would resolve
 * `./scim-server` to before this file) and talks to it over SCIM itself: `state` seeds users and
 * groups with POST, reads groups back with GET, and queues failures through the server's control path.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { InjectedFault, RunningFake } from './fake-http';

const STARTUP_TIMEOUT_MS = 15_000;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export interface ScimFakeState {
  /** The bearer token the server accepts. */
  token: string;
  createUser(userName: string, emails?: string[]): Promise<string>;
  createGroup(displayName: string, memberIds?: string[]): Promise<string>;
  /** The `value` of every entry of the group's `members`, as the server returns it. */
  groupMemberIds(groupId: string): Promise<string[]>;
  deleteUser(id: string): Promise<void>;
  /** The requests the SCIM endpoints received, oldest first (`path` relative to the SCIM base). */
  requests(): Promise<Array<{ method: string; path: string; query: Record<string, string> }>>;
  /** Makes the next matching SCIM requests fail; `path` is a prefix under the SCIM base (`/Groups`). */
  injectFault(fault: Omit<InjectedFault, 'path'> & { path?: string }): Promise<void>;
}

export async function startScimServer(): Promise<RunningFake<ScimFakeState>> {
  const token = `scim-fake-${randomUUID()}`;
  const child = spawn(process.execPath, [path.join(__dirname, 'scimmy-server.mjs')], {
    env: { ...process.env, SCIM_FAKE_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`SCIM server did not start within ${STARTUP_TIMEOUT_MS}ms: ${stderr}`)),
      STARTUP_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /SCIM_FAKE_LISTENING (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`SCIM server exited with ${code} before listening: ${stderr}`));
    });
  });

  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/scim/v2`;

  async function scim<T>(method: string, resource: string, body?: unknown): Promise<T> {
    const response = await fetch(`${url}${resource}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${resource} answered ${response.status}: ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const state: ScimFakeState = {
    token,
    createUser: async (userName, emails = []) =>
      (
        await scim<{ id: string }>('POST', '/Users', {
          schemas: [USER_SCHEMA],
          userName,
          ...(emails.length ? { emails: emails.map((value, i) => ({ value, type: 'work', primary: i === 0 })) } : {}),
        })
      ).id,
    createGroup: async (displayName, memberIds = []) =>
      (
        await scim<{ id: string }>('POST', '/Groups', {
          schemas: [GROUP_SCHEMA],
          displayName,
          members: memberIds.map((value) => ({ value })),
        })
      ).id,
    groupMemberIds: async (groupId) =>
      ((await scim<{ members?: Array<{ value: string }> }>('GET', `/Groups/${groupId}`)).members ?? []).map(
        (m) => m.value,
      ),
    deleteUser: async (id) => {
      await scim('DELETE', `/Users/${id}`);
    },
    requests: async () =>
      (await fetch(`${origin}/__control/requests`)).json() as Promise<
        Array<{ method: string; path: string; query: Record<string, string> }>
      >,
    injectFault: async (fault) => {
      const response = await fetch(`${origin}/__control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fault),
      });
      if (response.status !== 204) throw new Error(`could not queue a fault: ${response.status}`);
    },
  };

  return {
    url,
    state,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
