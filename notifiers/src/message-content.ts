/**
 * What a notification says, independent of the channel: Slack renders it as Block Kit, email as text and
 * HTML. Everything here is plain text; each channel escapes it for its own format.
 */
import {
  formatSeconds,
  ticketLink,
  type Duration,
  type Notification,
  type TicketEventSnapshot,
} from '@gatehouse/domain';

export interface MessageContent {
  /** One line: an email subject, a Slack header and notification text. */
  title: string;
  /** Sentences, in reading order. */
  lines: string[];
  /** The ticket at a glance: label and value. */
  facts: [string, string][];
  /** The ticket in the dashboard. */
  link: string;
  /** What the reader can do next, when there is something (extend expiring access). */
  hint: string | null;
}

export interface ContentContext {
  publicUrl: string;
  /** Display name of the event's actor (who approved or rejected). */
  actorName: string;
}

const REASON_MAX = 500;

export function personName(p: { id: string; name?: string | null }): string {
  return p.name || p.id;
}

/** `2026-11-27 10:00 UTC`: unambiguous for readers anywhere. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatDuration(duration: Duration | null): string {
  if (!duration) return 'none (removal)';
  if (duration.type === 'indefinite') return 'indefinite';
  if (duration.type === 'relative') return `${formatSeconds(duration.seconds)} from approval`;
  return `${formatTime(duration.start)} → ${formatTime(duration.end)}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function stepLabel(t: TicketEventSnapshot, step: number): string {
  const s = t.approval.steps[step];
  return `${s?.name ?? 'Approval'} (step ${step + 1} of ${Math.max(t.approval.steps.length, 1)})`;
}

/** The facts an approver decides on. */
export function ticketFacts(t: TicketEventSnapshot, step?: number): [string, string][] {
  const facts: [string, string][] = [
    ['Ticket', t.id],
    ['Type', `${t.type} / ${t.action}`],
    ['App', t.app.name],
    ['Entitlements', t.changes.map((c) => `${c.op} ${c.entitlementName}`).join(', ') || '—'],
    [
      'For',
      personName(t.beneficiary) +
        (t.beneficiary.id !== t.requester.id ? ` (requested by ${personName(t.requester)})` : ''),
    ],
    ['Duration', formatDuration(t.duration)],
  ];
  if (step !== undefined && t.approval.steps[step]) facts.push(['Step', stepLabel(t, step)]);
  facts.push(['Reason', t.reason ? truncate(t.reason, REASON_MAX) : '—']);
  return facts;
}

function asking(t: TicketEventSnapshot): string {
  const who = personName(t.requester);
  const forWhom = t.beneficiary.id !== t.requester.id ? ` for ${personName(t.beneficiary)}` : '';
  return `${who} asks to ${t.action} access to ${t.app.name}${forWhom}.`;
}

function whose(t: TicketEventSnapshot, userId: string): string {
  return userId === t.beneficiary.id ? 'Your' : `${personName(t.beneficiary)}'s`;
}

/** The message of a notification; null for `approval_closed`, which only updates earlier messages. */
export function notificationContent(n: Notification, ctx: ContentContext): MessageContent | null {
  const { event } = n;
  const t = event.ticket;
  const link = ticketLink(ctx.publicUrl, t.id);
  const comment = event.comment ? ` “${truncate(event.comment, REASON_MAX)}”` : '';
  switch (n.kind) {
    case 'approval_requested':
      return {
        title: `${t.id} needs your approval`,
        lines: [asking(t)],
        facts: ticketFacts(t, n.step),
        link,
        hint: null,
      };
    case 'approval_reminder':
      return {
        title: `Reminder: ${t.id} still needs your approval`,
        lines: [asking(t), 'It is still waiting for your decision.'],
        facts: ticketFacts(t, n.step),
        link,
        hint: null,
      };
    case 'approval_closed':
      return null;
    case 'ticket_decided': {
      const approved = t.status === 'approved';
      return {
        title: `${t.id} was ${approved ? 'approved' : 'rejected'}`,
        lines: [
          `${ctx.actorName} ${approved ? 'approved' : 'rejected'} the request for ${t.app.name} (${t.changes.map((c) => `${c.op} ${c.entitlementName}`).join(', ')}).${comment}`,
          approved
            ? 'Gatehouse is applying the change now; you will hear when it is done.'
            : 'Nothing changes. Raise a new ticket if you still need the access.',
        ],
        facts: ticketFacts(t),
        link,
        hint: null,
      };
    }
    case 'access_granted':
      return {
        title: `${t.id}: access to ${t.app.name} is live`,
        lines: [
          `${whose(t, n.userId)} access to ${t.app.name} (${t.changes.map((c) => `${c.op} ${c.entitlementName}`).join(', ')}) is in place.`,
          t.access.end ? `It ends ${formatTime(t.access.end)}.` : 'It does not expire.',
        ],
        facts: ticketFacts(t),
        link,
        hint: null,
      };
    case 'access_expiring': {
      const end = t.access.end ? formatTime(t.access.end) : 'soon';
      const api = `${ctx.publicUrl.replace(/\/$/, '')}/tickets/${t.id}/extend`;
      return {
        title: `${t.id}: access to ${t.app.name} ends ${end}`,
        lines: [`${whose(t, n.userId)} access to ${t.app.name} ends ${end}; it is removed then.`],
        facts: ticketFacts(t),
        link,
        hint: `Need it longer? Extend it from the ticket in Gatehouse, or with the API: POST ${api} with {"end": "<new end>", "reason": "…"}.`,
      };
    }
    case 'break_glass':
    case 'break_glass_overdue': {
      const due = typeof event.details.dueAt === 'string' ? formatTime(event.details.dueAt) : 'soon';
      const api = `${ctx.publicUrl.replace(/\/$/, '')}/tickets/${t.id}/review`;
      return {
        title:
          n.kind === 'break_glass'
            ? `Break-glass: ${personName(t.beneficiary)} took access to ${t.app.name} (${t.id})`
            : `Overdue: break-glass ${t.id} was not reviewed`,
        lines: [
          `${personName(t.requester)} broke glass: access to ${t.app.name} (${t.changes.map((c) => `${c.op} ${c.entitlementName}`).join(', ')}) was granted at once, without approval.`,
          n.kind === 'break_glass'
            ? `An approver must confirm or revoke it by ${due}.`
            : `Its review was due ${due} and nobody has confirmed or revoked it.`,
        ],
        facts: ticketFacts(t),
        link,
        hint: `Review it from the ticket in Gatehouse, or with the API: POST ${api} with {"decision": "confirm" | "revoke", "comment": "…"}.`,
      };
    }
  }
}

export type ApprovalOutcome = { decision: 'approved' | 'rejected' | 'cancelled'; by: string; comment: string | null };

/**
 * How an approval step ended, for the messages its approvers were sent. `t` is the ticket right after the
 * decision: an approval that opened the next step says so.
 */
export function outcomeLine(t: TicketEventSnapshot, step: number, outcome: ApprovalOutcome): string {
  const comment = outcome.comment ? ` “${truncate(outcome.comment, REASON_MAX)}”` : '';
  if (outcome.decision === 'cancelled') return `Cancelled by ${outcome.by}.${comment}`;
  if (outcome.decision === 'rejected') return `Rejected by ${outcome.by}.${comment}`;
  const next =
    t.status === 'pending' && t.approval.currentStep !== step
      ? ` The ticket moved on to ${stepLabel(t, t.approval.currentStep)}.`
      : '';
  return `Approved by ${outcome.by}.${comment}${next}`;
}
