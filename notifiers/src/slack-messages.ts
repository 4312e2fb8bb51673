/**
 * Block Kit messages (docs.slack.dev/reference/block-kit). Every message carries a plain `text` too: Slack
 * shows it in notifications and to clients that cannot render blocks.
 */
import { ticketLink, type TicketEventSnapshot } from '@gatehouse/domain';
import { ticketFacts, type MessageContent } from './message-content';

export type SlackBlock = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/**
 * `action_id`s of our buttons (Approve / Reject on an approval request, End access now on an expiry notice);
 * the interactivity endpoint acts on these only.
 */
export const SLACK_ACTIONS = {
  approve: 'gatehouse_approve',
  reject: 'gatehouse_reject',
  relinquish: 'gatehouse_relinquish',
} as const;

/** A button's `value`: the ticket and the step it decides, so a click on an old step's message cannot decide a later step. */
export function decisionValue(ticketId: string, step: number): string {
  return `${ticketId}:${step}`;
}

export function parseDecisionValue(value: unknown): { ticketId: string; step: number } | null {
  const match = typeof value === 'string' ? /^([A-Za-z0-9_-]{1,64}):(\d{1,3})$/.exec(value) : null;
  return match ? { ticketId: match[1], step: Number(match[2]) } : null;
}

/** The End access now button's `value`: the ticket whose access it ends. */
export function parseTicketValue(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : null;
}

/** Slack's three control characters in `mrkdwn` text (docs.slack.dev/messaging/formatting-message-text). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const header = (text: string): SlackBlock => ({ type: 'header', text: { type: 'plain_text', text: clip(text, 150) } });
const section = (mrkdwn: string): SlackBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(mrkdwn, 3000) },
});
const factsSection = (facts: [string, string][]): SlackBlock => ({
  type: 'section',
  fields: facts.slice(0, 10).map(([label, value]) => ({
    type: 'mrkdwn',
    text: clip(`*${escapeMrkdwn(label)}*\n${escapeMrkdwn(value)}`, 2000),
  })),
});
const linkContext = (link: string, ticketId: string): SlackBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: `<${link}|Open ${escapeMrkdwn(ticketId)} in Gatehouse>` }],
});

function decisionButtons(ticketId: string, step: number): SlackBlock {
  const value = decisionValue(ticketId, step);
  return {
    type: 'actions',
    block_id: 'gatehouse_decision',
    elements: [
      {
        type: 'button',
        action_id: SLACK_ACTIONS.approve,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value,
      },
      {
        type: 'button',
        action_id: SLACK_ACTIONS.reject,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Reject this request?' },
          text: { type: 'plain_text', text: clip(`${ticketId} will be rejected; the requester is told.`, 300) },
          confirm: { type: 'plain_text', text: 'Reject' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      },
    ],
  };
}

/** For the holder of expiring access: end it now (the API's relinquish), behind a confirm dialog. */
function endAccessButton(ticketId: string): SlackBlock {
  return {
    type: 'actions',
    block_id: 'gatehouse_end_access',
    elements: [
      {
        type: 'button',
        action_id: SLACK_ACTIONS.relinquish,
        style: 'danger',
        text: { type: 'plain_text', text: 'End access now' },
        value: ticketId,
        confirm: {
          title: { type: 'plain_text', text: 'End your access now?' },
          text: {
            type: 'plain_text',
            text: clip(`The access of ${ticketId} is removed now, before its end. You would need a new request.`, 300),
          },
          confirm: { type: 'plain_text', text: 'End access' },
          deny: { type: 'plain_text', text: 'Keep it' },
          style: 'danger',
        },
      },
    ],
  };
}

/**
 * A notification as a Slack message; with `decision`, Approve and Reject buttons for that ticket's step;
 * with `endAccess`, an End access now button (only for the person who holds the access).
 */
export function slackMessage(
  content: MessageContent,
  ticketId: string,
  decision?: { step: number },
  options: { endAccess?: boolean } = {},
): SlackMessage {
  const blocks: SlackBlock[] = [
    header(content.title),
    section(content.lines.map(escapeMrkdwn).join('\n')),
    factsSection(content.facts),
  ];
  if (content.hint) blocks.push(section(`:bulb: ${escapeMrkdwn(content.hint)}`));
  if (decision) blocks.push(decisionButtons(ticketId, decision.step));
  if (options.endAccess) blocks.push(endAccessButton(ticketId));
  blocks.push(linkContext(content.link, ticketId));
  return { text: clip(`${content.title}: ${content.lines[0] ?? ''} ${content.link}`, 3000), blocks };
}

/** An approval request once its step is over (or the clicker's part is done): the summary and `line`, no buttons. */
export function approvalOutcomeMessage(
  t: TicketEventSnapshot,
  step: number,
  line: string,
  publicUrl: string,
): SlackMessage {
  const link = ticketLink(publicUrl, t.id);
  const title = `${t.id}: ${t.app.name} access request`;
  return {
    text: clip(`${title}: ${line} ${link}`, 3000),
    blocks: [
      header(title),
      section(`*${escapeMrkdwn(line)}*`),
      factsSection(ticketFacts(t, step)),
      linkContext(link, t.id),
    ],
  };
}

/** An expiry notice once its holder ended the access from it: `line` says so, no button. */
export function accessEndedMessage(t: TicketEventSnapshot, line: string, publicUrl: string): SlackMessage {
  const link = ticketLink(publicUrl, t.id);
  const title = `${t.id}: access to ${t.app.name} ended`;
  return {
    text: clip(`${title}: ${line} ${link}`, 3000),
    blocks: [header(title), section(`*${escapeMrkdwn(line)}*`), factsSection(ticketFacts(t)), linkContext(link, t.id)],
  };
}
