import type { Notification, NotificationKind, TicketEvent, TicketEventSnapshot } from '@gatehouse/domain';
import { sampleTicketSnapshot } from '../../test/support/events';
import { renderEmail } from './email';
import { notificationContent, outcomeLine } from './message-content';
import {
  accessEndedMessage,
  approvalOutcomeMessage,
  decisionValue,
  parseDecisionValue,
  parseTicketValue,
  SLACK_ACTIONS,
  slackMessage,
  type SlackBlock,
} from './slack-messages';

const PUBLIC_URL = 'https://gatehouse.example.com/';
const LINK = 'https://gatehouse.example.com/#/tickets/TCK-1042';

function snapshot(overrides: Partial<TicketEventSnapshot> = {}): TicketEventSnapshot {
  return sampleTicketSnapshot({
    reason: 'On-call <rotation> & incidents',
    approval: {
      currentStep: 0,
      awaiting: ['user:carol'],
      steps: [
        { name: 'Team lead', state: 'waiting', approvers: ['user:carol'], approvedBy: [] },
        { name: 'Security', state: 'waiting', approvers: ['group:security'], approvedBy: [] },
      ],
    },
    ...overrides,
  });
}

function notification(
  kind: NotificationKind,
  ticket = snapshot(),
  event: Partial<TicketEvent> = {},
  step?: number,
): Notification {
  const e: TicketEvent = {
    id: `${ticket.id}:1`,
    sequence: 1,
    type: 'created',
    ticketId: ticket.id,
    at: '2026-11-26T09:00:00.000Z',
    actor: 'alice',
    comment: null,
    details: {},
    ticket,
    ...event,
  };
  return { id: `${e.id}:${kind}:carol`, kind, userId: 'carol', event: e, ...(step !== undefined ? { step } : {}) };
}

const ctx = { publicUrl: PUBLIC_URL, actorName: 'Carol Lead' };
const texts = (blocks: SlackBlock[]) => JSON.stringify(blocks);
const actionsOf = (blocks: SlackBlock[]) =>
  blocks.filter((b) => b.type === 'actions') as { elements: { action_id: string; value: string; style: string }[] }[];

describe('approval request', () => {
  const content = notificationContent(notification('approval_requested', snapshot(), {}, 0), ctx)!;
  const message = slackMessage(content, 'TCK-1042', { step: 0 });

  test('says what is asked: ticket, type and action, app, entitlements, beneficiary, duration, reason, step', () => {
    expect(content.title).toBe('TCK-1042 needs your approval');
    expect(Object.fromEntries(content.facts)).toEqual({
      Ticket: 'TCK-1042',
      Type: 'request / add',
      App: 'GitHub',
      Entitlements: 'add Maintainer',
      For: 'Alice Requester',
      Duration: '2026-11-26 09:00 UTC → 2026-11-27 09:00 UTC',
      Step: 'Team lead (step 1 of 2)',
      Reason: 'On-call <rotation> & incidents',
    });
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'TCK-1042 needs your approval' },
    });
  });

  test('has Approve and Reject buttons whose value names the ticket and the step', () => {
    const [actions] = actionsOf(message.blocks);
    expect(actions.elements.map((e) => [e.action_id, e.style, e.value])).toEqual([
      [SLACK_ACTIONS.approve, 'primary', 'TCK-1042:0'],
      [SLACK_ACTIONS.reject, 'danger', 'TCK-1042:0'],
    ]);
    expect(parseDecisionValue(decisionValue('TCK-1042', 1))).toEqual({ ticketId: 'TCK-1042', step: 1 });
    expect(parseDecisionValue('TCK-1042')).toBeNull();
    expect(parseDecisionValue('TCK-1042:0:extra')).toBeNull();
    expect(parseDecisionValue(42)).toBeNull();
  });

  test('has a plain text fallback and the ticket link', () => {
    expect(message.text).toContain('TCK-1042 needs your approval');
    expect(message.text).toContain(LINK);
    expect(texts(message.blocks)).toContain(`<${LINK}|Open TCK-1042 in Gatehouse>`);
  });

  test('escapes what people typed in mrkdwn (a reason cannot inject links or mentions)', () => {
    expect(texts(message.blocks)).toContain('On-call &lt;rotation&gt; &amp; incidents');
    expect(texts(message.blocks)).not.toContain('<rotation>');
  });

  test('clips long reasons to Block Kit limits', () => {
    const long = slackMessage(
      notificationContent(notification('approval_requested', snapshot({ reason: 'x'.repeat(5000) }), {}, 0), ctx)!,
      'TCK-1042',
      { step: 0 },
    );
    for (const b of long.blocks as { fields?: { text: string }[] }[])
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
  });

  test('on behalf of someone else, says both', () => {
    const t = snapshot({ beneficiary: { id: 'bob', name: 'Bob Beneficiary' } });
    const c = notificationContent(notification('approval_requested', t, {}, 0), ctx)!;
    expect(c.lines[0]).toBe('Alice Requester asks to add access to GitHub for Bob Beneficiary.');
    expect(Object.fromEntries(c.facts).For).toBe('Bob Beneficiary (requested by Alice Requester)');
  });

  test('a reminder says so and keeps the buttons', () => {
    const c = notificationContent(notification('approval_reminder', snapshot(), {}, 0), ctx)!;
    expect(c.title).toBe('Reminder: TCK-1042 still needs your approval');
    expect(actionsOf(slackMessage(c, 'TCK-1042', { step: 0 }).blocks)).toHaveLength(1);
  });
});

describe('outcome of a step', () => {
  test('approved: who approved, no buttons', () => {
    const t = snapshot({
      status: 'approved',
      approval: {
        ...snapshot().approval,
        steps: [{ name: 'Team lead', state: 'approved', approvers: ['user:carol'], approvedBy: ['carol'] }],
      },
    });
    const line = outcomeLine(t, 0, { decision: 'approved', by: 'Carol Lead', comment: null });
    expect(line).toBe('Approved by Carol Lead.');
    const message = approvalOutcomeMessage(t, 0, line, PUBLIC_URL);
    expect(actionsOf(message.blocks)).toHaveLength(0);
    expect(message.text).toContain('Approved by Carol Lead.');
    expect(message.text).toContain(LINK);
  });

  test('approved with the next step opening: says where the ticket went', () => {
    const t = snapshot({ approval: { ...snapshot().approval, currentStep: 1 } });
    expect(outcomeLine(t, 0, { decision: 'approved', by: 'Carol Lead', comment: 'via Slack' })).toBe(
      'Approved by Carol Lead. “via Slack” The ticket moved on to Security (step 2 of 2).',
    );
  });

  test('rejected and cancelled', () => {
    expect(
      outcomeLine(snapshot({ status: 'rejected' }), 0, { decision: 'rejected', by: 'Dave IT', comment: 'not needed' }),
    ).toBe('Rejected by Dave IT. “not needed”');
    expect(
      outcomeLine(snapshot({ status: 'cancelled' }), 0, {
        decision: 'cancelled',
        by: 'Alice Requester',
        comment: null,
      }),
    ).toBe('Cancelled by Alice Requester.');
  });

  test('approval_closed has no message of its own: it only updates earlier ones', () => {
    expect(notificationContent(notification('approval_closed', snapshot(), { type: 'approved' }, 0), ctx)).toBeNull();
  });
});

describe('requester messages', () => {
  test('decided: approved or rejected, by whom', () => {
    const approved = notificationContent(
      notification('ticket_decided', snapshot({ status: 'approved' }), { type: 'approved', actor: 'carol' }),
      ctx,
    )!;
    expect(approved.title).toBe('TCK-1042 was approved');
    expect(approved.lines[0]).toBe('Carol Lead approved the request for GitHub (add Maintainer).');
    const rejected = notificationContent(
      notification('ticket_decided', snapshot({ status: 'rejected' }), {
        type: 'rejected',
        actor: 'carol',
        comment: 'use the team role',
      }),
      ctx,
    )!;
    expect(rejected.title).toBe('TCK-1042 was rejected');
    expect(rejected.lines[0]).toContain('“use the team role”');
  });

  test('granted: live, and until when', () => {
    const t = snapshot({
      status: 'approved',
      access: { state: 'active', start: '2026-11-26T09:00:00.000Z', end: '2026-11-27T09:00:00.000Z' },
    });
    const c = notificationContent(notification('access_granted', t, { type: 'granted' }), ctx)!;
    expect(c.title).toBe('TCK-1042: access to GitHub is live');
    expect(c.lines[1]).toBe('It ends 2026-11-27 09:00 UTC.');
  });

  test('expiring: when, and how to extend (the dashboard and the API call)', () => {
    const t = snapshot({
      status: 'approved',
      access: { state: 'active', start: '2026-11-26T09:00:00.000Z', end: '2026-11-27T09:00:00.000Z' },
    });
    const c = notificationContent(
      { ...notification('access_expiring', t, { type: 'expiring_soon' }), userId: 'alice' },
      ctx,
    )!;
    expect(c.title).toBe('TCK-1042: access to GitHub ends 2026-11-27 09:00 UTC');
    expect(c.lines[0]).toMatch(/^Your access/);
    expect(c.hint).toContain('POST https://gatehouse.example.com/tickets/TCK-1042/extend');
    const message = slackMessage(c, 'TCK-1042');
    expect(actionsOf(message.blocks)).toHaveLength(0);
    expect(texts(message.blocks)).toContain('Extend it');
    expect(texts(message.blocks)).toContain(LINK);
  });

  test('expiring, to the holder: End access now, naming the ticket, behind a confirm dialog', () => {
    const t = snapshot({
      status: 'approved',
      access: { state: 'active', start: '2026-11-26T09:00:00.000Z', end: '2026-11-27T09:00:00.000Z' },
    });
    const c = notificationContent(
      { ...notification('access_expiring', t, { type: 'expiring_soon' }), userId: 'alice' },
      ctx,
    )!;
    const message = slackMessage(c, 'TCK-1042', undefined, { endAccess: true });
    const [actions] = actionsOf(message.blocks);
    expect(actions.elements).toEqual([
      expect.objectContaining({
        action_id: SLACK_ACTIONS.relinquish,
        value: 'TCK-1042',
        style: 'danger',
        text: { type: 'plain_text', text: 'End access now' },
        confirm: expect.objectContaining({ title: { type: 'plain_text', text: 'End your access now?' } }),
      }),
    ]);
    expect(parseTicketValue(actions.elements[0].value)).toBe('TCK-1042');
    // Still the notice: the extension hint and the link stay.
    expect(texts(message.blocks)).toContain('Extend it');
    expect(texts(message.blocks)).toContain(LINK);
  });

  test('a button value that is no ticket id is not read as one', () => {
    for (const v of ['', 'TCK-1:0', 'TCK 1', 42, null, 'x'.repeat(65)]) expect(parseTicketValue(v)).toBeNull();
  });

  test('ended from the notice: what happened, no button', () => {
    const t = snapshot({
      status: 'approved',
      access: { state: 'revoked', start: '2026-11-26T09:00:00.000Z', end: '2026-11-27T09:00:00.000Z' },
    });
    const m = accessEndedMessage(t, 'You ended this access now.', PUBLIC_URL);
    expect(m.text).toBe(`TCK-1042: access to GitHub ended: You ended this access now. ${LINK}`);
    expect(actionsOf(m.blocks)).toHaveLength(0);
    expect(texts(m.blocks)).toContain('*You ended this access now.*');
  });
});

describe('email', () => {
  test('subject, text and HTML with the ticket link; HTML escapes what people typed', () => {
    const mail = renderEmail(notificationContent(notification('approval_requested', snapshot(), {}, 0), ctx)!);
    expect(mail.subject).toBe('[Gatehouse] TCK-1042 needs your approval');
    expect(mail.text).toContain(`Open it in Gatehouse: ${LINK}`);
    expect(mail.text).toMatch(/Reason: +On-call <rotation> & incidents/);
    expect(mail.html).toContain(`<a href="${LINK}">`);
    expect(mail.html).toContain('On-call &lt;rotation&gt; &amp; incidents');
    expect(mail.html).not.toContain('<rotation>');
  });
});
