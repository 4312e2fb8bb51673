import type { RunningFake } from '../../test/fakes/fake-http';
import { startSlackServer, type SlackFakeState } from '../../test/fakes/slack-server';
import { SlackApiError, SlackClient } from './slack-client';

const TOKEN = 'xoxb-test-token-0123456789';
let fake: RunningFake<SlackFakeState>;
let client: SlackClient;

beforeEach(async () => {
  fake = await startSlackServer({
    token: TOKEN,
    users: [
      { id: 'UCAROL', name: 'carol', email: 'carol@example.com' },
      { id: 'UDAVE', name: 'dave', email: 'dave@example.com' },
    ],
  });
  client = new SlackClient({ token: TOKEN, apiUrl: fake.url });
});
afterEach(() => fake.close());

async function failure(p: Promise<unknown>): Promise<SlackApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlackApiError);
  return err as SlackApiError;
}

test('chat.postMessage to a user id posts in the DM and answers with its D… id; chat.update needs that id', async () => {
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Hello *Carol*' } }];
  const posted = await client.postMessage({ channel: 'UCAROL', text: 'Hello Carol', blocks });
  expect(posted.channel).toMatch(/^D/);
  expect(fake.state.messages).toEqual([
    { channel: posted.channel, ts: posted.ts, text: 'Hello Carol', blocks, edits: 0 },
  ]);
  const request = fake.state.requests.find((r) => r.path === '/api/chat.postMessage')!;
  expect(request.body).toMatchObject({ channel: 'UCAROL', text: 'Hello Carol', blocks });

  await client.update({ channel: posted.channel, ts: posted.ts, text: 'Done', blocks: [] });
  expect(fake.state.messages[0]).toMatchObject({ text: 'Done', blocks: [], edits: 1 });
  const wrong = await failure(client.update({ channel: 'UCAROL', ts: posted.ts, text: 'x', blocks: [] }));
  expect(wrong).toMatchObject({ error: 'channel_not_found', retryable: false });
});

test('chat.postEphemeral reaches one member of the conversation', async () => {
  const { channel } = await client.postMessage({ channel: 'UCAROL', text: 'hi' });
  await client.postEphemeral({ channel, user: 'UCAROL', text: 'only you' });
  expect(fake.state.ephemerals).toEqual([expect.objectContaining({ channel, user: 'UCAROL', text: 'only you' })]);
  expect((await failure(client.postEphemeral({ channel, user: 'UDAVE', text: 'x' }))).error).toBe(
    'user_not_in_channel',
  );
});

test('users.lookupByEmail and users.info: the user, or null when there is none', async () => {
  expect(await client.lookupByEmail('Carol@Example.com')).toEqual({
    id: 'UCAROL',
    email: 'carol@example.com',
    deleted: false,
    isBot: false,
  });
  expect(await client.lookupByEmail('nobody@example.com')).toBeNull();
  expect(await client.userInfo('UDAVE')).toMatchObject({ id: 'UDAVE', email: 'dave@example.com' });
  expect(await client.userInfo('UNOBODY')).toBeNull();
  // Read methods go form-encoded, as every Slack method accepts.
  expect(fake.state.requests.find((r) => r.path === '/api/users.info')!.body).toEqual({ user: 'UDAVE' });
});

test('HTTP 429: a retryable error that carries and says Slack’s Retry-After', async () => {
  fake.state.faults.add({
    path: 'chat.postMessage',
    status: 429,
    headers: { 'Retry-After': '7' },
    body: { ok: false, error: 'ratelimited' },
  });
  const err = await failure(client.postMessage({ channel: 'UCAROL', text: 'hi' }));
  expect(err).toMatchObject({ error: 'ratelimited', retryable: true, retryAfterMs: 7000 });
  expect(err.message).toBe('Slack chat.postMessage failed: ratelimited; Slack asks to retry after 7 s');
});

test('ok:false carries Slack’s error; only transient ones are retryable; the token never shows', async () => {
  fake.state.scopes.delete('chat:write');
  const scope = await failure(client.postMessage({ channel: 'UCAROL', text: 'hi' }));
  expect(scope).toMatchObject({ error: 'missing_scope', retryable: false });
  expect(scope.message).toBe('Slack chat.postMessage failed: missing_scope (needs scope chat:write)');

  fake.state.faults.add({ status: 200, body: { ok: false, error: 'internal_error' } });
  expect(await failure(client.lookupByEmail('carol@example.com'))).toMatchObject({
    error: 'internal_error',
    retryable: true,
  });
  fake.state.faults.add({ status: 503 });
  expect(await failure(client.lookupByEmail('carol@example.com'))).toMatchObject({
    error: 'http_503',
    retryable: true,
  });

  const bad = new SlackClient({ token: 'xoxb-wrong', apiUrl: fake.url });
  const auth = await failure(bad.lookupByEmail('carol@example.com'));
  expect(auth).toMatchObject({ error: 'invalid_auth', retryable: false });
  expect(auth.message).not.toContain('xoxb');
});

test('Slack unreachable: retryable', async () => {
  const gone = new SlackClient({ token: TOKEN, apiUrl: 'http://127.0.0.1:1/api' });
  expect(await failure(gone.userInfo('UCAROL'))).toMatchObject({ error: 'unreachable', retryable: true });
});
