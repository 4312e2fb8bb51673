/**
 * Slack notifications and one-click decisions (issue 7), against the fake Slack Web API and with
 * interactivity requests signed as Slack signs them.
 */
import type { Server } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { createChannels, type NotificationChannel } from '@gatehouse/activities';
import type { Notification, NotificationKind, TicketEvent, TicketEventSnapshot } from '@gatehouse/domain';
import { createGateway, loadGatewayConfig } from '@gatehouse/gateway';
import { loadNotifierSettings, signSlackRequest, SLACK_ACTIONS } from '@gatehouse/notifiers';
import type { RunningFake } from '../fakes/fake-http';
import { startSlackServer, type SlackFakeMessage, type SlackFakeState } from '../fakes/slack-server';
import { eventually, testTemporalAddress, uniqueId } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';
import { sampleTicketSnapshot } from '../support/events';

const TOKEN = 'xoxb-gatehouse-test-0123456789';
const SIGNING_SECRET = 'slack-signing-secret-for-tests-0123';
const PUBLIC_URL = 'https://gatehouse.example.com';

let slack: RunningFake<SlackFakeState>;
let stack: TestStack;
let env: Record<string, string>;

/** Gatehouse users as a directory sync would store them (PUT /users), and their Slack accounts. */
const people = [
  { id: 'alice', name: 'Alice Requester', email: 'alice@example.com', groups: ['engineering'], slack: 'UALICE' },
  { id: 'bob', name: 'Bob Beneficiary', email: 'bob@example.com', groups: [], slack: 'UBOB' },
  { id: 'carol', name: 'Carol Lead', email: 'carol@example.com', groups: ['leads'], slack: 'UCAROL' },
  { id: 'dave', name: 'Dave IT', email: 'dave@example.com', groups: ['it-admins'], slack: 'UDAVE' },
  // An approver Gatehouse has no email for: skipped, never an error.
  { id: 'erin', name: 'Erin IT', email: null, groups: ['it-admins'], slack: 'UERIN' },
  { id: 'frank', name: 'Frank IT', email: 'frank@example.com', groups: ['it-admins'], slack: 'UFRANK' },
  { id: 'mallory', name: 'Mallory Outsider', email: 'mallory@example.com', groups: ['sales'], slack: 'UMALLORY' },
  // Holders of access who end it from the expiry notice.
  { id: 'ivy', name: 'Ivy Holder', email: 'ivy@example.com', groups: [], slack: 'UIVY' },
  { id: 'gus', name: 'Gus Leaver', email: 'gus@example.com', groups: [], slack: 'UGUS' },
];

beforeAll(async () => {
  slack = await startSlackServer({
    token: TOKEN,
    users: [
      ...people.map((p) => ({ id: p.slack, name: p.id, email: p.email ?? `${p.id}@slack-only.example.com` })),
      // In the workspace, unknown to Gatehouse.
      { id: 'UZED', name: 'zed', email: 'zed@example.com' },
    ],
  });
  env = { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: SIGNING_SECRET, PUBLIC_URL };
  stack = await startTestStack({ worker: { env }, env });
  for (const p of people) {
    const res = await stack
      .as(users.root)
      .put(`/users/${p.id}`, { name: p.name, ...(p.email ? { email: p.email } : {}), groups: p.groups, roles: [] });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await stack?.stop();
  await slack?.close();
});

const alice = () => stack.as(users.alice);
const slackIdOf = (userId: string) => people.find((p) => p.id === userId)!.slack;

function request(appId: string, hours = 24) {
  return {
    appId,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: inHours(hours) },
    reason: 'On-call rotation',
  };
}

/** A notice window that opens a few seconds after a 48-hour access starts. */
const NOTICE_SOON = { expiryNoticeSeconds: 48 * 3600 - 5 };

/** The messages the app sent `userId` that mention `ticketId`, oldest first. */
function dms(userId: string, ticketId: string): SlackFakeMessage[] {
  const channel = slack.state.dms.get(slackIdOf(userId));
  return slack.state.messages.filter((m) => m.channel === channel && m.text.includes(ticketId));
}

async function dmTo(
  userId: string,
  ticketId: string,
  what: (m: SlackFakeMessage) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<SlackFakeMessage> {
  return eventually(
    async () => dms(userId, ticketId).find(what),
    timeoutMs,
    `a Slack DM to ${userId} about ${ticketId}`,
  );
}

const buttonsOf = (m: SlackFakeMessage) =>
  m.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements as { action_id: string; value: string }[]);

function ephemeralsTo(userId: string) {
  return slack.state.ephemerals.filter((e) => e.user === slackIdOf(userId));
}

/** A `block_actions` request as Slack sends it when `slackUserId` clicks `actionId` on `message`. */
function interaction(
  slackUserId: string,
  message: SlackFakeMessage,
  actionId: string,
  options: { channel?: string; value?: string } = {},
): string {
  const button = buttonsOf(message).find((b) => b.action_id === actionId)!;
  const channel = options.channel ?? message.channel;
  const payload = {
    type: 'block_actions',
    user: { id: slackUserId, username: slackUserId.toLowerCase(), name: slackUserId.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0GATEHOUSE',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
    trigger_id: '1234567890.123456789.abcdef',
    team: { id: 'T0FAKE', domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'directmessage' },
    message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
    state: { values: {} },
    response_url: 'https://hooks.slack.invalid/actions/T0FAKE/1/abc',
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'gatehouse_decision',
        text: { type: 'plain_text', text: 'x' },
        value: options.value ?? button.value,
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

async function postInteraction(
  body: string,
  headers: Record<string, string>,
  url = stack.url,
): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${url}/slack/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

const click = (
  slackUserId: string,
  message: SlackFakeMessage,
  actionId: string,
  options?: { channel?: string; value?: string },
) => {
  const body = interaction(slackUserId, message, actionId, options);
  return postInteraction(body, signSlackRequest(SIGNING_SECRET, body));
};

async function ticket(id: string) {
  return (await stack.as(users.root).get(`/tickets/${id}`)).body;
}

/** The ticket stays as it is: give a wrongly accepted click time to act before saying it did not. */
async function stillPending(id: string) {
  await new Promise((r) => setTimeout(r, 1500));
  const t = await ticket(id);
  expect(t.status).toBe('pending');
  expect(t.log.map((e: { event: string }) => e.event)).toEqual(['created']);
}

describe('approvers get a direct message when a ticket needs them', () => {
  test('each eligible approver with a Slack account gets the summary and Approve / Reject; nobody else does', async () => {
    const appId = await createApp(stack);
    const t = (await alice().post('/tickets', request(appId))).body;
    for (const approver of ['carol', 'dave', 'frank']) {
      const m = await dmTo(approver, t.id);
      expect(m.channel).toMatch(/^D/);
      expect(m.text).toContain(`${t.id} needs your approval`);
      expect(m.text).toContain(`${PUBLIC_URL}/#/tickets/${t.id}`);
      expect(buttonsOf(m)).toEqual([
        expect.objectContaining({ action_id: SLACK_ACTIONS.approve, value: `${t.id}:0` }),
        expect.objectContaining({ action_id: SLACK_ACTIONS.reject, value: `${t.id}:0` }),
      ]);
      const fields = JSON.stringify(m.blocks);
      for (const fact of [
        t.id,
        'request / add',
        'GitHub',
        'add engineering-team',
        'Alice Requester',
        'On-call rotation',
        'Team lead (step 1 of 1)',
      ])
        expect(fields).toContain(fact);
    }
    // erin has no email in Gatehouse: skipped and recorded, not retried.
    await eventually(
      async () => {
        const docs = await stack.store.sentNotifications.model
          .find({ notificationId: { $regex: `^${t.id}:1:approval_requested:erin` } })
          .lean();
        return docs.length === 1 && docs[0].state === 'skipped' && docs[0];
      },
      10_000,
      'erin skipped',
    );
    expect(dms('alice', t.id)).toEqual([]);
    expect(dms('mallory', t.id)).toEqual([]);
    // The messages are remembered per (ticket, step, approver), for the outcome.
    await eventually(
      async () => (await stack.store.slackMessages.forStep(t.id, 0)).map((d) => d.userId).join() === 'carol,dave,frank',
      5000,
      'message refs',
    );
  });
});

describe('deciding with one click', () => {
  test('a signed Approve is acknowledged at once and approves: the ticket moves on, the messages show the outcome, the requester hears of the decision, the grant and the coming end', async () => {
    const appId = await createApp(stack, { policy: NOTICE_SOON });
    const t = (await alice().post('/tickets', request(appId, 48))).body;
    const carolMessage = await dmTo('carol', t.id);
    const daveMessage = await dmTo('dave', t.id);

    const res = await click('UCAROL', carolMessage, SLACK_ACTIONS.approve);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.ms).toBeLessThan(3000);

    const active = await eventually(
      async () => {
        const now = await ticket(t.id);
        return now.access.state === 'active' && now;
      },
      20_000,
      'access active',
    );
    expect(active.status).toBe('approved');
    expect(active.log[1]).toMatchObject({ event: 'approved', actor: 'carol', comment: 'via Slack' });

    // The clicked message at once, and every approver's message when the step closed: the outcome, no buttons.
    for (const m of [carolMessage, daveMessage]) {
      await eventually(
        async () => m.text.includes('Approved by Carol Lead') && m,
        15_000,
        'message updated to the outcome',
      );
      expect(buttonsOf(m)).toEqual([]);
      expect(m.text).toContain(`${PUBLIC_URL}/#/tickets/${t.id}`);
    }

    const decided = await dmTo('alice', t.id, (m) => m.text.includes('was approved'));
    expect(decided.text).toContain(`${t.id} was approved`);
    expect(JSON.stringify(decided.blocks)).toContain('Carol Lead approved the request');
    const granted = await dmTo('alice', t.id, (m) => m.text.includes('is live'));
    expect(buttonsOf(granted)).toEqual([]);
    // The notice before the end, with how to extend the access.
    const expiring = await dmTo('alice', t.id, (m) => m.text.includes('access to GitHub ends'));
    expect(JSON.stringify(expiring.blocks)).toContain(`POST ${PUBLIC_URL}/tickets/${t.id}/extend`);

    // Recorded as the API records a decision.
    const audit = await eventually(
      async () => {
        const entries = (await stack.as(users.root).get(`/audit?target=${t.id}`)).body.items ?? [];
        return entries.find((e: { action: string }) => e.action === 'ticket.approve');
      },
      5000,
      'audit entry',
    );
    expect(audit).toMatchObject({
      actor: 'carol',
      status: 200,
      details: { comment: 'via Slack', via: 'slack', resultStatus: 'approved' },
    });
  });

  test('a reminder comes with buttons too; an escalated approver can decide; every message of the step shows the outcome', async () => {
    const appId = await createApp(stack, {
      policy: {
        approval: {
          steps: [
            {
              name: 'Team lead',
              approvers: ['user:carol'],
              minApprovals: 1,
              remindAfterSeconds: 1,
              escalateAfterSeconds: 2,
              escalateTo: ['group:sales'],
            },
          ],
        },
      },
    });
    const t = (await alice().post('/tickets', request(appId))).body;
    const first = await dmTo('carol', t.id);
    const reminder = await dmTo('carol', t.id, (m) => m.text.startsWith(`Reminder: ${t.id} still needs your approval`));
    expect(buttonsOf(reminder).map((b) => b.value)).toEqual([`${t.id}:0`, `${t.id}:0`]);
    const escalated = await dmTo('mallory', t.id);
    expect(escalated.text).toContain(`${t.id} needs your approval`);

    expect((await click('UMALLORY', escalated, SLACK_ACTIONS.approve)).status).toBe(200);
    await eventually(
      async () => (await ticket(t.id)).status === 'approved',
      15_000,
      'approved by the escalated approver',
    );
    for (const m of [first, reminder, escalated]) {
      await eventually(async () => m.text.includes('Approved by Mallory Outsider') && m, 15_000, 'outcome shown');
      expect(buttonsOf(m)).toEqual([]);
    }
  });

  test('Reject (behind a confirm dialog) rejects; the requester is told', async () => {
    const appId = await createApp(stack);
    const t = (await alice().post('/tickets', request(appId))).body;
    const m = await dmTo('dave', t.id);
    const reject = m.blocks
      .flatMap((b) => (b.elements ?? []) as { action_id: string; confirm?: unknown }[])
      .find((e) => e.action_id === SLACK_ACTIONS.reject);
    expect(reject?.confirm).toBeDefined();
    expect((await click('UDAVE', m, SLACK_ACTIONS.reject)).status).toBe(200);
    await eventually(async () => (await ticket(t.id)).status === 'rejected', 15_000, 'rejected');
    await eventually(async () => m.text.includes('Rejected by Dave IT') && m, 15_000, 'outcome shown');
    await dmTo('alice', t.id, (x) => x.text.includes('was rejected'));
  });

  test('a click on an earlier step’s message never decides the next step', async () => {
    const appId = await createApp(stack, {
      policy: {
        approval: {
          steps: [
            { name: 'Team lead', approvers: ['user:carol'], minApprovals: 1 },
            { name: 'Leads', approvers: ['group:leads'], minApprovals: 1 },
          ],
        },
      },
    });
    const t = (await alice().post('/tickets', request(appId))).body;
    const step1 = await dmTo('carol', t.id);
    expect((await click('UCAROL', step1, SLACK_ACTIONS.approve)).status).toBe(200);
    // carol approves the second step too: she gets its own message…
    await dmTo('carol', t.id, (m) => buttonsOf(m).some((b) => b.value === `${t.id}:1`));
    // …and a second click on the first one (say, before Slack showed its update) is refused rather than deciding step 2.
    const before = ephemeralsTo('carol').length;
    const body = interaction('UCAROL', step1, SLACK_ACTIONS.approve, { value: `${t.id}:0` });
    expect((await postInteraction(body, signSlackRequest(SIGNING_SECRET, body))).status).toBe(200);
    const refusal = await eventually(async () => ephemeralsTo('carol')[before], 10_000, 'ephemeral refusal');
    expect(refusal.text).toBe(
      `You cannot approve this: step 1 of ${t.id} is already decided; the ticket waits on step 2.`,
    );
    const now = await ticket(t.id);
    expect(now.status).toBe('pending');
    expect(now.approval.currentStep).toBe(1);
  });
});

describe('every request is Slack’s, every rule of the API holds', () => {
  let t: { id: string };
  let carolMessage: SlackFakeMessage;
  beforeAll(async () => {
    const appId = await createApp(stack);
    t = (await alice().post('/tickets', request(appId))).body;
    carolMessage = await dmTo('carol', t.id);
  });

  test('a forged signature is refused with 401 and decides nothing', async () => {
    const body = interaction('UCAROL', carolMessage, SLACK_ACTIONS.approve);
    const res = await postInteraction(body, signSlackRequest('not-the-signing-secret', body));
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'Not a valid request from Slack: the signature does not match.',
    });
    const unsigned = await postInteraction(body, {});
    expect(unsigned.status).toBe(401);
    await stillPending(t.id);
  });

  test('a stale timestamp is refused with 401, even correctly signed: a captured request cannot be replayed', async () => {
    const body = interaction('UCAROL', carolMessage, SLACK_ACTIONS.approve);
    const res = await postInteraction(
      body,
      signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60),
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).message).toMatch(/timestamp/);
    await stillPending(t.id);
  });

  test('the body limit holds here too: 413, even signed', async () => {
    const body = `payload=${'x'.repeat(70 * 1024)}`;
    expect((await postInteraction(body, signSlackRequest(SIGNING_SECRET, body))).status).toBe(413);
  });

  test('a JSON body cannot carry Slack’s signature: 401', async () => {
    const body = JSON.stringify({ payload: { type: 'block_actions' } });
    const res = await fetch(`${stack.url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, body) },
      body,
    });
    expect(res.status).toBe(401);
  });

  test('the requester’s click does not decide: "you cannot approve this", only to them', async () => {
    // A message in alice's own conversation with the app, carrying the button of her ticket.
    slack.state.dms.set('UALICE', 'DALICE');
    const before = ephemeralsTo('alice').length;
    expect((await click('UALICE', carolMessage, SLACK_ACTIONS.approve, { channel: 'DALICE' })).status).toBe(200);
    const refusal = await eventually(async () => ephemeralsTo('alice')[before], 10_000, 'ephemeral refusal');
    expect(refusal).toMatchObject({ channel: 'DALICE', user: 'UALICE' });
    expect(refusal.text).toBe(`You cannot approve this: you are not an approver of the current step of ${t.id}.`);
    await stillPending(t.id);
  });

  test('someone who is no approver (the directory says so) cannot approve, nor reject', async () => {
    slack.state.dms.set('UMALLORY', 'DMALLORY');
    expect((await click('UMALLORY', carolMessage, SLACK_ACTIONS.reject, { channel: 'DMALLORY' })).status).toBe(200);
    const refusal = await eventually(async () => ephemeralsTo('mallory').at(-1), 10_000, 'ephemeral refusal');
    expect(refusal.text).toBe(`You cannot reject this: you are not an approver of ${t.id}.`);
    await stillPending(t.id);
  });

  test('an approver taken out of the group since the message was sent can no longer approve', async () => {
    const frankMessage = await dmTo('frank', t.id);
    await stack.as(users.root).put('/users/frank', { groups: [] });
    try {
      const before = ephemeralsTo('frank').length;
      expect((await click('UFRANK', frankMessage, SLACK_ACTIONS.approve)).status).toBe(200);
      const refusal = await eventually(async () => ephemeralsTo('frank')[before], 10_000, 'ephemeral refusal');
      expect(refusal.text).toMatch(/^You cannot approve this: /);
      expect(buttonsOf(frankMessage)).toHaveLength(2);
      await stillPending(t.id);
    } finally {
      await stack.as(users.root).put('/users/frank', { groups: ['it-admins'] });
    }
  });

  test('a Slack user no Gatehouse user matches is told so', async () => {
    slack.state.dms.set('UZED', 'DZED');
    expect((await click('UZED', carolMessage, SLACK_ACTIONS.approve, { channel: 'DZED' })).status).toBe(200);
    const refusal = await eventually(
      async () => slack.state.ephemerals.find((e) => e.user === 'UZED'),
      10_000,
      'ephemeral refusal',
    );
    expect(refusal.text).toMatch(/^You cannot approve this: you are not a Gatehouse user/);
    await stillPending(t.id);
  });

  test('without a signing secret the endpoint does not exist (404)', async () => {
    const config = loadGatewayConfig({
      AUTH_JWT_SECRET: 'another-test-secret-0123456789-abcdef',
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: stack.worker.taskQueue,
      LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.url,
    });
    const gateway = await createGateway(config, { store: stack.store });
    await gateway.app.listen(0, '127.0.0.1');
    try {
      const { port } = (gateway.app.getHttpServer() as Server).address() as { port: number };
      const body = interaction('UCAROL', carolMessage, SLACK_ACTIONS.approve);
      expect(
        (await postInteraction(body, signSlackRequest(SIGNING_SECRET, body), `http://127.0.0.1:${port}`)).status,
      ).toBe(404);
    } finally {
      await gateway.app.close();
    }
  });
});

describe('End access now, from the expiry notice', () => {
  const holder = (id: 'ivy' | 'gus') => {
    const p = people.find((x) => x.id === id)!;
    return { sub: p.id, name: p.name, email: p.email!, roles: [], groups: [] };
  };

  /** Access of `who`, approved by carol, whose expiry notice has reached them in Slack. */
  async function activeWithNotice(who: 'ivy' | 'gus') {
    const appId = await createApp(stack, { policy: NOTICE_SOON });
    const t = (await stack.as(holder(who)).post('/tickets', request(appId, 48))).body;
    expect(t.id).toMatch(/^TCK-/);
    expect((await stack.as(users.carol).post(`/tickets/${t.id}/approve`, {})).status).toBe(200);
    const notice = await dmTo(who, t.id, (m) => m.text.includes('access to GitHub ends'), 30_000);
    return { t, notice };
  }

  test('the holder’s click ends the access now: revoked, logged relinquished by them via Slack, audited, the notice says so; an approver’s click on a copy is refused', async () => {
    const { t, notice } = await activeWithNotice('ivy');
    expect(buttonsOf(notice)).toEqual([expect.objectContaining({ action_id: SLACK_ACTIONS.relinquish, value: t.id })]);
    expect((await ticket(t.id)).access.state).toBe('active');

    // carol approved it and may see it, but it is not hers to end.
    slack.state.dms.set('UCAROL', slack.state.dms.get('UCAROL') ?? 'DCAROL');
    const beforeCarol = ephemeralsTo('carol').length;
    expect((await click('UCAROL', notice, SLACK_ACTIONS.relinquish, { channel: 'DCAROL' })).status).toBe(200);
    const refusal = await eventually(async () => ephemeralsTo('carol')[beforeCarol], 10_000, 'ephemeral refusal');
    expect(refusal.text).toBe(
      `You cannot end this access: only the person who holds the access of ${t.id} may end it.`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await ticket(t.id)).access.state).toBe('active');

    const res = await click('UIVY', notice, SLACK_ACTIONS.relinquish);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    const ended = await eventually(
      async () => {
        const now = await ticket(t.id);
        return now.access.state === 'revoked' && now;
      },
      20_000,
      'access revoked',
    );
    expect(ended.log.find((e: { event: string }) => e.event === 'relinquished')).toMatchObject({
      actor: 'ivy',
      comment: 'via Slack',
    });
    await eventually(async () => notice.text.includes(`${t.id}: access to GitHub ended`), 10_000, 'notice updated');
    expect(buttonsOf(notice)).toEqual([]);
    expect(JSON.stringify(notice.blocks)).toContain('You ended this access now');
    const audit = await eventually(
      async () => {
        const entries = (await stack.as(users.root).get(`/audit?target=${t.id}`)).body.items ?? [];
        return entries.find((e: { action: string }) => e.action === 'ticket.relinquish');
      },
      5000,
      'audit entry',
    );
    expect(audit).toMatchObject({ actor: 'ivy', status: 200, details: { via: 'slack', comment: 'via Slack' } });

    // A second click (a copy of the old message) finds nothing left to end.
    const before = ephemeralsTo('ivy').length;
    expect((await click('UIVY', notice, SLACK_ACTIONS.relinquish, { value: t.id })).status).toBe(200);
    const again = await eventually(async () => ephemeralsTo('ivy')[before], 10_000, 'ephemeral refusal');
    expect(again.text).toMatch(/^You cannot end this access: /);
  });

  test('a holder deactivated in the directory is refused, as the API refuses USER_INACTIVE', async () => {
    const { t, notice } = await activeWithNotice('gus');
    expect((await stack.as(users.root).put('/users/gus', { active: false })).status).toBe(200);
    const before = ephemeralsTo('gus').length;
    expect((await click('UGUS', notice, SLACK_ACTIONS.relinquish)).status).toBe(200);
    const refusal = await eventually(async () => ephemeralsTo('gus')[before], 10_000, 'ephemeral refusal');
    expect(refusal.text).toBe('You cannot end this access: your Gatehouse user has been deactivated.');
    await new Promise((r) => setTimeout(r, 1000));
    // Whatever the leaver process does with the access, nothing was relinquished by gus.
    expect((await ticket(t.id)).log.map((e: { event: string }) => e.event)).not.toContain('relinquished');
  });
});

// ── The channel itself, with hand-made events ────────────────────────────────────────────────────

describe('the Slack channel', () => {
  let channel: NotificationChannel;
  beforeAll(() => {
    [channel] = createChannels({ store: stack.store, settings: loadNotifierSettings(env) });
    expect(channel.name).toBe('slack');
  });

  function snapshot(id: string, overrides: Partial<TicketEventSnapshot> = {}): TicketEventSnapshot {
    return sampleTicketSnapshot({
      id,
      duration: { type: 'limited', start: new Date().toISOString(), end: inHours(20) },
      reason: 'Release week',
      ...overrides,
    });
  }

  function notification(
    kind: NotificationKind,
    userId: string,
    ticket: TicketEventSnapshot,
    event: Partial<TicketEvent> = {},
    step?: number,
  ): Notification {
    const e: TicketEvent = {
      id: `${ticket.id}:1`,
      sequence: 1,
      type: 'created',
      ticketId: ticket.id,
      at: new Date().toISOString(),
      actor: 'alice',
      comment: null,
      details: {},
      ticket,
      ...event,
    };
    return { id: `${e.id}:${kind}:${userId}`, kind, userId, event: e, ...(step !== undefined ? { step } : {}) };
  }

  const handMadeId = () => `TCK-${uniqueId('H')}`;

  test('a retried send does not send twice', async () => {
    const n = notification('approval_requested', 'carol', snapshot(handMadeId()), {}, 0);
    await channel.send(n);
    await channel.send(n);
    expect(dms('carol', n.event.ticketId)).toHaveLength(1);
    expect(await stack.store.sentNotifications.get(n.id, 'slack')).toMatchObject({ state: 'sent', attempts: 1 });
  });

  test('rate limited: a retryable failure that waits Slack’s Retry-After; the retry sends once', async () => {
    const n = notification('approval_requested', 'carol', snapshot(handMadeId()), {}, 0);
    slack.state.faults.add({
      path: 'chat.postMessage',
      status: 429,
      headers: { 'Retry-After': '3' },
      body: { ok: false, error: 'ratelimited' },
    });
    const err = await channel.send(n).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'SLACK_RATE_LIMITED', nonRetryable: false, nextRetryDelay: 3000 });
    expect((err as Error).message).toContain('retry after 3 s');
    await channel.send(n);
    expect(dms('carol', n.event.ticketId)).toHaveLength(1);
    expect(await stack.store.sentNotifications.get(n.id, 'slack')).toMatchObject({ state: 'sent', attempts: 2 });
  });

  test('nobody to send to (no email, no Slack account) is skipped, not failed', async () => {
    const t = snapshot(handMadeId());
    const noEmail = notification('approval_requested', 'erin', t, {}, 0);
    await channel.send(noEmail);
    expect(await stack.store.sentNotifications.get(noEmail.id, 'slack')).toMatchObject({
      state: 'skipped',
      detail: 'Gatehouse has no email address for the user',
    });
    await stack.store.users.put('nina', { name: 'Nina NoSlack', email: 'nina@elsewhere.example.com' });
    const noSlack = notification('approval_requested', 'nina', t, {}, 0);
    await channel.send(noSlack);
    expect(await stack.store.sentNotifications.get(noSlack.id, 'slack')).toMatchObject({
      state: 'skipped',
      detail: 'no active Slack user has the user’s email address',
    });
    expect(slack.state.messages.filter((m) => m.text.includes(t.id))).toEqual([]);
  });

  test('a token Slack refuses is NOTIFICATION_UNDELIVERABLE, not retried', async () => {
    const [broken] = createChannels({
      store: stack.store,
      settings: loadNotifierSettings({ ...env, SLACK_BOT_TOKEN: 'xoxb-revoked' }),
    });
    const err = await broken.send(notification('approval_requested', 'carol', snapshot(handMadeId()), {}, 0)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      type: 'NOTIFICATION_UNDELIVERABLE',
      nonRetryable: true,
      message: 'Slack users.lookupByEmail failed: invalid_auth',
    });
  });

  test('approval_closed turns every message of the step (request and reminder) into the outcome', async () => {
    const id = handMadeId();
    const request = notification('approval_requested', 'dave', snapshot(id), {}, 0);
    await channel.send(request);
    await channel.send(
      notification('approval_reminder', 'dave', snapshot(id), { id: `${id}:2`, sequence: 2, type: 'reminder_sent' }, 0),
    );
    const sent = dms('dave', id);
    expect(sent).toHaveLength(2);
    expect(sent[1].text).toContain('Reminder');
    const decided = snapshot(id, {
      status: 'rejected',
      approval: {
        currentStep: 0,
        awaiting: [],
        steps: [{ name: 'Team lead', state: 'rejected', approvers: ['user:carol'], approvedBy: [] }],
      },
    });
    await channel.send(
      notification(
        'approval_closed',
        'dave',
        decided,
        { id: `${id}:3`, sequence: 3, type: 'rejected', actor: 'carol', comment: 'not this week' },
        0,
      ),
    );
    for (const m of sent) {
      expect(m.text).toContain('Rejected by Carol Lead. “not this week”');
      expect(buttonsOf(m)).toEqual([]);
    }
  });

  test('a step closed before its request went out: no message; closed while it was being posted: the message shows the outcome', async () => {
    const rejectedBy = (id: string) =>
      notification(
        'approval_closed',
        'carol',
        snapshot(id, {
          status: 'rejected',
          approval: {
            currentStep: 0,
            awaiting: [],
            steps: [{ name: 'Team lead', state: 'rejected', approvers: ['user:carol'], approvedBy: [] }],
          },
        }),
        { id: `${id}:2`, sequence: 2, type: 'rejected', actor: 'dave' },
        0,
      );

    const early = handMadeId();
    await channel.send(rejectedBy(early));
    await channel.send(notification('approval_requested', 'carol', snapshot(early), {}, 0));
    expect(dms('carol', early)).toEqual([]);

    const racing = handMadeId();
    slack.state.beforeAnswer = async (method) => {
      if (method !== 'chat.postMessage') return;
      slack.state.beforeAnswer = undefined;
      await channel.send(rejectedBy(racing)); // finds no message to update yet
    };
    await channel.send(notification('approval_requested', 'carol', snapshot(racing), {}, 0));
    const [m] = dms('carol', racing);
    expect(m.text).toContain('Rejected by Dave IT.');
    expect(buttonsOf(m)).toEqual([]);
  });

  test('access_expiring: when it ends, and how to extend it', async () => {
    const id = handMadeId();
    const t = snapshot(id, {
      status: 'approved',
      access: { state: 'active', start: new Date().toISOString(), end: inHours(20) },
    });
    await channel.send(notification('access_expiring', 'alice', t, { type: 'expiring_soon', actor: 'system' }));
    const [m] = dms('alice', id);
    expect(m.text).toContain(`${id}: access to GitHub ends`);
    expect(JSON.stringify(m.blocks)).toContain(`POST ${PUBLIC_URL}/tickets/${id}/extend`);
    // alice holds the access: she may end it from here.
    expect(buttonsOf(m)).toEqual([expect.objectContaining({ action_id: SLACK_ACTIONS.relinquish, value: id })]);
  });

  test('access_expiring to someone who asked on another’s behalf: no End access now (only the holder may)', async () => {
    const id = handMadeId();
    const t = snapshot(id, {
      status: 'approved',
      requester: { id: 'carol', name: 'Carol Lead' },
      beneficiary: { id: 'bob', name: 'Bob Beneficiary' },
      access: { state: 'active', start: new Date().toISOString(), end: inHours(20) },
    });
    await channel.send(notification('access_expiring', 'carol', t, { type: 'expiring_soon', actor: 'system' }));
    const [m] = dms('carol', id);
    expect(m.text).toContain(`${id}: access to GitHub ends`);
    expect(buttonsOf(m)).toEqual([]);
  });
});
