/**
 * Email notifications (issue 7) through a real SMTP server started here (`smtp-server`), which accepts
 * any sender, keeps every message, and refuses the recipients a test tells it to.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createChannels } from '@gatehouse/activities';
import type { Notification, TicketEvent, TicketEventSnapshot } from '@gatehouse/domain';
import { loadNotifierSettings } from '@gatehouse/notifiers';
import { eventually, uniqueId } from '../support/harness';
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

const PUBLIC_URL = 'https://gatehouse.example.com';

interface Received {
  from: string;
  to: string[];
  subject: string;
  /** The message with quoted-printable undone, as a reader sees its parts. */
  body: string;
}

/** Recipients refused with this SMTP reply (`550 …` permanent, `451 …` temporary). */
const refuse = new Map<string, { code: number; message: string }>();
const received: Received[] = [];
let smtp: SMTPServer;
let port: number;
let stack: TestStack;
let env: Record<string, string>;

function decode(raw: string): { subject: string; body: string } {
  const unfolded = raw.replace(/\r\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/m.exec(unfolded)?.[1] ?? '';
  const body = raw
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return { subject, body: Buffer.from(body, 'latin1').toString('utf8') };
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = refuse.get(address.address);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { subject, body } = decode(Buffer.concat(chunks).toString('latin1'));
        received.push({
          from: (session.envelope.mailFrom || { address: '' }).address,
          to: session.envelope.rcptTo.map((r) => r.address),
          subject,
          body,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.server.address() as AddressInfo).port;
  // A plain local server: `ignoreTLS` in the URL, since the test server offers STARTTLS with a certificate no client trusts.
  env = {
    SMTP_URL: `smtp://127.0.0.1:${port}/?ignoreTLS=true`,
    EMAIL_FROM: 'Gatehouse <gatehouse@example.com>',
    PUBLIC_URL,
  };
  stack = await startTestStack({ worker: { env }, env });
  for (const [id, name, email, groups] of [
    ['alice', 'Alice Requester', 'alice@example.com', ['engineering']],
    ['carol', 'Carol Lead', 'carol@example.com', ['leads']],
    ['dave', 'Dave IT', 'dave@example.com', ['it-admins']],
  ] as const) {
    expect((await stack.as(users.root).put(`/users/${id}`, { name, email, groups: [...groups] })).status).toBe(200);
  }
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

const mailsTo = (address: string, ticketId: string) =>
  received.filter((m) => m.to.includes(address) && m.subject.includes(ticketId));

async function mailTo(address: string, ticketId: string, subject: string): Promise<Received> {
  return eventually(
    async () => mailsTo(address, ticketId).find((m) => m.subject === subject),
    15_000,
    `"${subject}" to ${address}`,
  );
}

test('an approver gets an email with the ticket’s link when a ticket needs them; the requester hears of the decision, the grant and the coming end', async () => {
  // The expiry notice is due a few seconds after the 48-hour access starts.
  const appId = await createApp(stack, { policy: { expiryNoticeSeconds: 48 * 3600 - 5 } });
  const t = (
    await stack.as(users.alice).post('/tickets', {
      appId,
      changes: [{ op: 'add', entitlementId: 'engineering-team' }],
      duration: { type: 'limited', end: inHours(48) },
      reason: 'On-call rotation',
    })
  ).body;
  const link = `${PUBLIC_URL}/#/tickets/${t.id}`;

  const mail = await mailTo('carol@example.com', t.id, `[Gatehouse] ${t.id} needs your approval`);
  expect(mail.from).toBe('gatehouse@example.com');
  expect(mail.body).toContain(`Open it in Gatehouse: ${link}`);
  expect(mail.body).toContain(`<a href="${link}">`);
  expect(mail.body).toContain('Alice Requester asks to add access to GitHub.');
  expect(mail.body).toMatch(/Reason: +On-call rotation/);
  await mailTo('dave@example.com', t.id, `[Gatehouse] ${t.id} needs your approval`);
  expect(mailsTo('alice@example.com', t.id)).toEqual([]);

  expect((await stack.as(users.carol).post(`/tickets/${t.id}/approve`, {})).status).toBe(200);
  const decided = await mailTo('alice@example.com', t.id, `[Gatehouse] ${t.id} was approved`);
  expect(decided.body).toContain('Carol Lead approved the request');
  expect(decided.body).toContain(link);
  await mailTo('alice@example.com', t.id, `[Gatehouse] ${t.id}: access to GitHub is live`);
  // Then that it ends soon, with how to extend it.
  const expiring = await eventually(
    async () => mailsTo('alice@example.com', t.id).find((m) => m.subject.includes('access to GitHub ends')),
    15_000,
    'expiry notice',
  );
  expect(expiring.body).toContain(`POST ${PUBLIC_URL}/tickets/${t.id}/extend`);
  // A sent email cannot show the outcome: approvers get nothing more.
  await new Promise((r) => setTimeout(r, 1000));
  expect(mailsTo('carol@example.com', t.id)).toHaveLength(1);
  expect(mailsTo('dave@example.com', t.id)).toHaveLength(1);
});

describe('the email channel', () => {
  function notification(
    userId: string,
    kind: 'access_expiring' | 'approval_requested' = 'access_expiring',
  ): Notification {
    const id = `TCK-${uniqueId('E')}`;
    const ticket: TicketEventSnapshot = {
      id,
      type: 'request',
      action: 'add',
      status: 'approved',
      app: { id: 'github', name: 'GitHub' },
      requester: { id: userId, name: userId },
      beneficiary: { id: userId, name: userId },
      changes: [{ op: 'add', entitlementId: 'maintainer', entitlementName: 'Maintainer' }],
      duration: { type: 'limited', start: new Date().toISOString(), end: inHours(20) },
      reason: null,
      approval: {
        currentStep: 0,
        awaiting: [],
        steps: [{ name: 'Team lead', state: 'approved', approvers: ['user:carol'], approvedBy: ['carol'] }],
      },
      access: { state: 'active', start: new Date().toISOString(), end: inHours(20) },
      parentTicketId: null,
    };
    const event: TicketEvent = {
      id: `${id}:5`,
      sequence: 5,
      type: 'expiring_soon',
      ticketId: id,
      at: new Date().toISOString(),
      actor: 'system',
      comment: null,
      details: {},
      ticket,
    };
    return { id: `${event.id}:${kind}:${userId}`, kind, userId, event };
  }

  const channel = () => {
    const channels = createChannels({ store: stack.store, settings: loadNotifierSettings(env) });
    expect(channels.map((c) => c.name)).toEqual(['email']);
    return channels[0];
  };

  test('access_expiring: when, and how to extend; a retried send does not email twice', async () => {
    const n = notification('alice');
    await channel().send(n);
    await channel().send(n);
    const mails = mailsTo('alice@example.com', n.event.ticketId);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toMatch(
      new RegExp(`^\\[Gatehouse\\] ${n.event.ticketId}: access to GitHub ends \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`),
    );
    expect(mails[0].body).toContain(`POST ${PUBLIC_URL}/tickets/${n.event.ticketId}/extend`);
    expect(mails[0].body).toContain(`${PUBLIC_URL}/#/tickets/${n.event.ticketId}`);
  });

  test('a recipient the server refuses for good (5xx) is NOTIFICATION_UNDELIVERABLE; a temporary refusal (4xx) is retried and then sent once', async () => {
    await stack.store.users.put('gone', { email: 'gone@example.com' });
    refuse.set('gone@example.com', { code: 550, message: 'No such user here' });
    const permanent = await channel()
      .send(notification('gone'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(permanent).toMatchObject({ type: 'NOTIFICATION_UNDELIVERABLE', nonRetryable: true });
    expect((permanent as Error).message).toContain('550');

    await stack.store.users.put('busy', { email: 'busy@example.com' });
    refuse.set('busy@example.com', { code: 451, message: 'Try again later' });
    const n = notification('busy');
    const temporary = await channel()
      .send(n)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(temporary).toBeInstanceOf(Error);
    expect(temporary).not.toMatchObject({ nonRetryable: true });
    refuse.delete('busy@example.com');
    await channel().send(n);
    expect(mailsTo('busy@example.com', n.event.ticketId)).toHaveLength(1);
    expect(await stack.store.sentNotifications.get(n.id, 'email')).toMatchObject({ state: 'sent', attempts: 2 });
  });

  test('someone without an email address is skipped; approval_closed sends nothing', async () => {
    await stack.store.users.put('noemail', { name: 'No Email' });
    const n = notification('noemail');
    await channel().send(n);
    expect(await stack.store.sentNotifications.get(n.id, 'email')).toMatchObject({
      state: 'skipped',
      detail: 'Gatehouse has no email address for the user',
    });
    const closed = { ...notification('alice'), kind: 'approval_closed' as const, step: 0 };
    await channel().send(closed);
    expect(await stack.store.sentNotifications.get(closed.id, 'email')).toBeNull();
    expect(mailsTo('alice@example.com', closed.event.ticketId)).toEqual([]);
  });
});
