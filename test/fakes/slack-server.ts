/**
 * A fake of the Slack Web API, as documented at docs.slack.dev/reference/methods, for the methods the
 * Slack connector and the notifications call. Like Slack it takes `POST /api/<method>` with a form-encoded or JSON body, reads
 * the token from `Authorization: Bearer`, answers HTTP 200 with `{ ok: false, error }` for API errors
 * (`missing_scope` with `needed`/`provided`), paginates `conversations.members` with
 * `response_metadata.next_cursor`, and throttles with HTTP 429 + `Retry-After`.
 *
 * `usergroups.users.update` replaces the whole list, as Slack's does; `usersListDelayMs` slows reads of
 * a group down, so that unserialized read-modify-writes really overlap, and `onUsergroupUpdate` lets a
 * test play another writer that changes a group right after a write.
 *
 * Messages: `chat.postMessage` to a user id posts to the app's direct message with them (a `D…`
 * conversation, opened on first use) and answers with that conversation's id; `chat.update` needs that
 * id and the message's `ts`; `chat.postEphemeral` is recorded for its one user. Blocks are checked
 * against Block Kit's limits (`invalid_blocks`), as Slack checks them.
 */
import express, { type Request, type Response } from 'express';
import {
  FaultQueue,
  listenOnLoopback,
  presentedToken,
  recordRequests,
  type RecordedRequest,
  type RunningFake,
} from './fake-http';

export interface SlackFakeUser {
  id: string;
  name: string;
  email?: string;
}

export interface SlackFakeUsergroup {
  id: string;
  handle: string;
  users: string[];
  /** Disabled groups keep their list; Slack reports them with a non-zero `date_delete`. */
  disabled: boolean;
}

export interface SlackFakeChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isArchived: boolean;
  /** Includes the app's own user when the app is in the channel. */
  members: string[];
}

export interface SlackFakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Record<string, unknown>[];
  /** How many times `chat.update` changed it. */
  edits: number;
}

export interface SlackFakeEphemeral {
  channel: string;
  user: string;
  text: string;
  messageTs: string;
}

export interface SlackFakeState {
  token: string;
  scopes: Set<string>;
  team: string;
  /** The app's bot user. */
  botUserId: string;
  users: Map<string, SlackFakeUser>;
  usergroups: Map<string, SlackFakeUsergroup>;
  channels: Map<string, SlackFakeChannel>;
  /** Direct messages with the app: user id → `D…` conversation id. */
  dms: Map<string, string>;
  /** Every message posted, in order, as it reads now. */
  messages: SlackFakeMessage[];
  ephemerals: SlackFakeEphemeral[];
  /** Delay before `usergroups.users.list` answers (the read of a read-modify-write). */
  usersListDelayMs: number;
  /** Called after each `usergroups.users.update` was applied. */
  onUsergroupUpdate?: (group: SlackFakeUsergroup) => void;
  /** Awaited after a method did its work, before it answers: a test acts while the caller waits. */
  beforeAnswer?: (method: string) => void | Promise<void>;
  faults: FaultQueue;
  requests: RecordedRequest[];
}

export interface SlackFakeSeed {
  token: string;
  scopes?: string[];
  users?: SlackFakeUser[];
  usergroups?: Array<Omit<SlackFakeUsergroup, 'disabled'> & { disabled?: boolean }>;
  channels?: Array<Omit<SlackFakeChannel, 'isPrivate' | 'isArchived'> & { isPrivate?: boolean; isArchived?: boolean }>;
}

export const ALL_SLACK_SCOPES = [
  'usergroups:read',
  'usergroups:write',
  'groups:read',
  'groups:write',
  'channels:read',
  'channels:manage',
  'users:read',
  'users:read.email',
  'chat:write',
];

type Args = Record<string, unknown>;
type MethodResult = Record<string, unknown> | Promise<Record<string, unknown>>;

class SlackApiError extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

function str(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value === '') throw new SlackApiError('invalid_arguments');
  return value;
}

function flag(args: Args, name: string): boolean {
  const value = args[name];
  return value === true || value === 'true' || value === '1';
}

/** Slack array arguments: a comma-separated string in form bodies, a JSON array in JSON bodies. */
function list(args: Args, name: string): string[] {
  const value = args[name];
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value === 'string')
    return value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  return [];
}

/** Slack's argument for blocks: a JSON array, or that array as a JSON string in form bodies. */
function blocksOf(args: Args): Record<string, unknown>[] | undefined {
  const value = typeof args.blocks === 'string' ? parseJson(args.blocks) : args.blocks;
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new SlackApiError('invalid_blocks_format');
  validateBlocks(value);
  return value as Record<string, unknown>[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SlackApiError('invalid_blocks_format');
  }
}

/** The Block Kit limits a message would hit on Slack (docs.slack.dev/reference/block-kit/blocks). */
function validateBlocks(blocks: unknown[]): void {
  const textObject = (t: any, max: number, types = ['plain_text', 'mrkdwn']) =>
    t && types.includes(t.type) && typeof t.text === 'string' && t.text.length > 0 && t.text.length <= max;
  const ok = (cond: unknown) => {
    if (!cond) throw new SlackApiError('invalid_blocks');
  };
  ok(blocks.length <= 50);
  const blockIds = new Set<string>();
  for (const b of blocks as any[]) {
    ok(b && typeof b === 'object');
    if (b.block_id !== undefined) {
      ok(typeof b.block_id === 'string' && b.block_id.length <= 255 && !blockIds.has(b.block_id));
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        ok(textObject(b.text, 150, ['plain_text']));
        break;
      case 'section':
        ok(b.text !== undefined || b.fields !== undefined);
        if (b.text !== undefined) ok(textObject(b.text, 3000));
        if (b.fields !== undefined)
          ok(Array.isArray(b.fields) && b.fields.length <= 10 && b.fields.every((f: unknown) => textObject(f, 2000)));
        break;
      case 'context':
        ok(
          Array.isArray(b.elements) &&
            b.elements.length > 0 &&
            b.elements.length <= 10 &&
            b.elements.every((e: unknown) => textObject(e, 3000)),
        );
        break;
      case 'divider':
        break;
      case 'actions': {
        ok(Array.isArray(b.elements) && b.elements.length > 0 && b.elements.length <= 25);
        const actionIds = new Set<string>();
        for (const e of b.elements) {
          ok(e.type === 'button' && textObject(e.text, 75, ['plain_text']));
          ok(typeof e.action_id === 'string' && e.action_id.length <= 255 && !actionIds.has(e.action_id));
          actionIds.add(e.action_id);
          if (e.value !== undefined) ok(typeof e.value === 'string' && e.value.length <= 2000);
          if (e.style !== undefined) ok(e.style === 'primary' || e.style === 'danger');
          if (e.confirm !== undefined)
            ok(
              textObject(e.confirm.title, 100, ['plain_text']) &&
                textObject(e.confirm.text, 300) &&
                textObject(e.confirm.confirm, 30, ['plain_text']) &&
                textObject(e.confirm.deny, 30, ['plain_text']),
            );
        }
        break;
      }
      default:
        ok(false);
    }
  }
}

export async function startSlackServer(seed: SlackFakeSeed): Promise<RunningFake<SlackFakeState>> {
  const state: SlackFakeState = {
    token: seed.token,
    scopes: new Set(seed.scopes ?? ALL_SLACK_SCOPES),
    team: 'Acme',
    botUserId: 'UBOT00001',
    users: new Map((seed.users ?? []).map((u) => [u.id, u])),
    usergroups: new Map((seed.usergroups ?? []).map((g) => [g.id, { disabled: false, ...g, users: [...g.users] }])),
    channels: new Map(
      (seed.channels ?? []).map((c) => [c.id, { isPrivate: true, isArchived: false, ...c, members: [...c.members] }]),
    ),
    dms: new Map(),
    messages: [],
    ephemerals: [],
    usersListDelayMs: 0,
    faults: new FaultQueue(),
    requests: [],
  };

  const usergroupJson = (g: SlackFakeUsergroup, withUsers: boolean) => ({
    id: g.id,
    team_id: 'T0FAKE',
    is_usergroup: true,
    name: g.handle,
    handle: g.handle,
    date_delete: g.disabled ? 1_700_000_000 : 0,
    user_count: g.users.length,
    ...(withUsers ? { users: [...g.users] } : {}),
  });

  const group = (args: Args) => {
    const found = state.usergroups.get(str(args, 'usergroup'));
    if (!found) throw new SlackApiError('no_such_subteam');
    return found;
  };

  /** A channel the app can see: a private one only when the app is in it, as with Slack. */
  const channel = (args: Args) => {
    const found = state.channels.get(str(args, 'channel'));
    if (!found || (found.isPrivate && !found.members.includes(state.botUserId)))
      throw new SlackApiError('channel_not_found');
    return found;
  };

  const user = (id: string) => {
    const found = state.users.get(id);
    if (!found) throw new SlackApiError('user_not_found');
    return found;
  };

  let lastTs = 0;
  /** Message timestamps as Slack writes them: seconds and microseconds, unique in a conversation. */
  const nextTs = () => {
    lastTs = Math.max(lastTs + 1, Date.now() * 1000);
    return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`;
  };

  /** Where a message goes: a user id opens (or reuses) the app's DM with them; a channel needs the app in it. */
  const conversation = (id: string): string => {
    if (/^[UW]/.test(id)) {
      user(id);
      if (!state.dms.has(id)) state.dms.set(id, `D${id.slice(1)}`);
      return state.dms.get(id)!;
    }
    if ([...state.dms.values()].includes(id)) return id;
    const c = state.channels.get(id);
    if (!c) throw new SlackApiError('channel_not_found');
    if (c.isArchived) throw new SlackApiError('is_archived');
    if (!c.members.includes(state.botUserId)) throw new SlackApiError('not_in_channel');
    return c.id;
  };

  const members = (conversationId: string): string[] => {
    const dmUser = [...state.dms.entries()].find(([, d]) => d === conversationId)?.[0];
    return dmUser ? [dmUser, state.botUserId] : (state.channels.get(conversationId)?.members ?? []);
  };

  const content = (args: Args) => {
    const blocks = blocksOf(args);
    const text = typeof args.text === 'string' ? args.text : '';
    if (!text && !blocks?.length) throw new SlackApiError('no_text');
    if (text.length > 40_000) throw new SlackApiError('msg_too_long');
    return { text, blocks };
  };

  const userJson = (u: SlackFakeUser) => ({
    id: u.id,
    team_id: 'T0FAKE',
    name: u.name,
    deleted: false,
    is_bot: false,
    real_name: u.name,
    // Slack leaves the email out without users:read.email.
    profile: {
      real_name: u.name,
      display_name: u.name,
      ...(state.scopes.has('users:read.email') && u.email ? { email: u.email } : {}),
    },
  });

  const methods: Record<string, { scopes: string[]; run: (args: Args) => MethodResult }> = {
    'chat.postMessage': {
      scopes: ['chat:write'],
      run: (args) => {
        const channelId = conversation(str(args, 'channel'));
        const { text, blocks } = content(args);
        const message: SlackFakeMessage = { channel: channelId, ts: nextTs(), text, blocks: blocks ?? [], edits: 0 };
        state.messages.push(message);
        return {
          channel: channelId,
          ts: message.ts,
          message: {
            type: 'message',
            user: state.botUserId,
            bot_id: 'BFAKE0001',
            ts: message.ts,
            text,
            blocks: message.blocks,
          },
        };
      },
    },
    'chat.update': {
      scopes: ['chat:write'],
      run: (args) => {
        const channelId = str(args, 'channel');
        const ts = str(args, 'ts');
        // Slack wants the conversation id here; a user id finds no message.
        const message = state.messages.find((m) => m.channel === channelId && m.ts === ts);
        if (!message)
          throw new SlackApiError(
            /^[CDG]/.test(channelId) && members(channelId).length ? 'message_not_found' : 'channel_not_found',
          );
        const { text, blocks } = content(args);
        message.text = text;
        // Without `blocks` Slack keeps the old ones.
        if (blocks !== undefined) message.blocks = blocks;
        message.edits += 1;
        return {
          channel: channelId,
          ts,
          text,
          message: { type: 'message', user: state.botUserId, text, blocks: message.blocks },
        };
      },
    },
    'chat.postEphemeral': {
      scopes: ['chat:write'],
      run: (args) => {
        const channelId = conversation(str(args, 'channel'));
        const userId = str(args, 'user');
        user(userId);
        if (!members(channelId).includes(userId)) throw new SlackApiError('user_not_in_channel');
        const { text } = content(args);
        const messageTs = nextTs();
        state.ephemerals.push({ channel: channelId, user: userId, text, messageTs });
        return { message_ts: messageTs };
      },
    },
    'users.info': {
      scopes: ['users:read'],
      run: (args) => ({ user: userJson(user(str(args, 'user'))) }),
    },
    'auth.test': {
      scopes: [],
      run: () => ({
        url: 'https://acme.slack.invalid/',
        team: state.team,
        user: 'gatehouse',
        team_id: 'T0FAKE',
        user_id: state.botUserId,
      }),
    },
    'users.lookupByEmail': {
      scopes: ['users:read.email'],
      run: (args) => {
        const email = str(args, 'email').toLowerCase();
        const found = [...state.users.values()].find((u) => u.email?.toLowerCase() === email);
        if (!found) throw new SlackApiError('users_not_found');
        return { user: userJson(found) };
      },
    },
    'usergroups.list': {
      scopes: ['usergroups:read'],
      run: (args) => ({
        usergroups: [...state.usergroups.values()]
          .filter((g) => !g.disabled || flag(args, 'include_disabled'))
          .map((g) => usergroupJson(g, flag(args, 'include_users'))),
      }),
    },
    'usergroups.users.list': {
      scopes: ['usergroups:read'],
      run: async (args) => {
        const g = group(args);
        if (g.disabled && !flag(args, 'include_disabled')) throw new SlackApiError('no_such_subteam');
        const users = [...g.users];
        if (state.usersListDelayMs) await new Promise((r) => setTimeout(r, state.usersListDelayMs));
        return { users };
      },
    },
    'usergroups.users.update': {
      scopes: ['usergroups:write'],
      run: (args) => {
        const g = group(args);
        const users = list(args, 'users');
        if (users.length === 0) throw new SlackApiError('no_users_provided');
        if (users.some((id) => !state.users.has(id))) throw new SlackApiError('invalid_users');
        g.users = [...new Set(users)];
        state.onUsergroupUpdate?.(g);
        return { usergroup: usergroupJson(g, true) };
      },
    },
    'usergroups.disable': {
      scopes: ['usergroups:write'],
      run: (args) => {
        const g = group(args);
        g.disabled = true;
        return { usergroup: usergroupJson(g, false) };
      },
    },
    'usergroups.enable': {
      scopes: ['usergroups:write'],
      run: (args) => {
        const g = group(args);
        g.disabled = false;
        return { usergroup: usergroupJson(g, false) };
      },
    },
    'conversations.members': {
      scopes: ['groups:read'],
      run: (args) => {
        const c = channel(args);
        const limit = Math.min(Math.max(Number(args.limit ?? 100) || 100, 1), 1000);
        let start = 0;
        if (typeof args.cursor === 'string' && args.cursor !== '') {
          const decoded = Buffer.from(args.cursor, 'base64').toString('utf8');
          start = decoded.startsWith('user:') ? c.members.indexOf(decoded.slice(5)) : -1;
          if (start < 0) throw new SlackApiError('invalid_cursor');
        }
        const page = c.members.slice(start, start + limit);
        const next = c.members[start + limit];
        return {
          members: page,
          response_metadata: { next_cursor: next ? Buffer.from(`user:${next}`).toString('base64') : '' },
        };
      },
    },
    'conversations.invite': {
      scopes: ['groups:write'],
      run: (args) => {
        const c = channel(args);
        if (c.isArchived) throw new SlackApiError('is_archived');
        if (!c.members.includes(state.botUserId)) throw new SlackApiError('not_in_channel');
        const ids = list(args, 'users');
        if (ids.length === 0) throw new SlackApiError('no_user');
        ids.forEach(user);
        if (ids.every((id) => c.members.includes(id))) throw new SlackApiError('already_in_channel');
        for (const id of ids) if (!c.members.includes(id)) c.members.push(id);
        return { channel: { id: c.id, name: c.name, is_private: c.isPrivate } };
      },
    },
    'conversations.kick': {
      scopes: ['groups:write'],
      run: (args) => {
        const c = channel(args);
        const id = str(args, 'user');
        user(id);
        if (id === state.botUserId) throw new SlackApiError('cant_kick_self');
        if (!c.members.includes(id)) throw new SlackApiError('not_in_channel');
        c.members = c.members.filter((m) => m !== id);
        return {};
      },
    },
  };

  const app = express();
  app.use(express.urlencoded({ extended: false }), express.json());
  app.use(recordRequests(state.requests));
  app.post('/api/:method', (req: Request, res: Response, next) => {
    const token = presentedToken(req, ['bearer']) ?? (typeof req.body?.token === 'string' ? req.body.token : undefined);
    if (!token) return void res.json({ ok: false, error: 'not_authed' });
    if (token !== state.token) return void res.json({ ok: false, error: 'invalid_auth' });
    res.set('x-oauth-scopes', [...state.scopes].join(','));
    next();
  });
  app.use(state.faults.middleware());
  app.post('/api/:method', async (req: Request, res: Response) => {
    const method = methods[String(req.params.method)];
    if (!method) return void res.status(404).json({ ok: false, error: 'unknown_method' });
    const missing = method.scopes.find((s) => !state.scopes.has(s));
    if (missing)
      return void res.json({
        ok: false,
        error: 'missing_scope',
        needed: missing,
        provided: [...state.scopes].join(','),
      });
    try {
      const result = await method.run((req.body ?? {}) as Args);
      await state.beforeAnswer?.(String(req.params.method));
      res.json({ ok: true, ...result });
    } catch (err) {
      if (err instanceof SlackApiError) return void res.json({ ok: false, error: err.error });
      throw err;
    }
  });

  const server = await listenOnLoopback(app);
  return { url: `${server.url}/api`, state, close: server.close };
}
