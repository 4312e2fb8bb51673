// What a ticket says in words (its log events, its duration) and who may end or review its access.
// Pure, so the rules are tested without rendering a panel.
import type { LogEntry, Me, Ticket } from './api/types';
import { formatDateTime, formatLength } from './time';

/** Every log event type of the API (docs/api.md), in words. An unknown one shows its code (a newer server). */
export const EVENT_LABEL: Record<string, string> = {
  created: 'Created',
  approved: 'Approved',
  auto_approved: 'Approved automatically',
  rejected: 'Rejected',
  duration_modified: 'Duration modified',
  cancelled: 'Cancelled',
  applying: 'Applying access',
  granted: 'Access granted',
  already_held: 'Already held in the application',
  provisioning_failed: 'Applying failed',
  retried: 'Retried',
  extended: 'Extended',
  expired: 'Expired',
  revoked: 'Revoked',
  relinquished: 'Access ended early by its holder',
  removed: 'Removed',
  reminder_sent: 'Approvers reminded',
  escalated: 'Escalated',
  approver_removed: 'Approver removed (left the organisation)',
  expiring_soon: 'Expiry notice sent',
  break_glass: 'Break-glass access granted (emergency)',
  break_glass_confirmed: 'Break-glass access confirmed by a reviewer',
  break_glass_revoked: 'Break-glass access revoked by a reviewer',
  break_glass_escalated: 'Break-glass review overdue: escalated',
};

export function eventLabel(event: string): string {
  return EVENT_LABEL[event] ?? event;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The part of an entry's details worth reading next to its label, or null. */
export function eventDetail(entry: LogEntry): string | null {
  const d = entry.details ?? {};
  switch (entry.event) {
    case 'auto_approved': {
      // The comment already says "auto-approved by <documents>: <advice>"; without one, name the permits.
      if (entry.comment) return null;
      const policies = Array.isArray(d.policies)
        ? (d.policies as { id?: unknown; policyId?: unknown; advice?: unknown }[]).map(
            (p) => [p.id, p.policyId].filter(Boolean).join('/') + (p.advice ? `: ${String(p.advice)}` : ''),
          )
        : [];
      return policies.length ? `by policy ${policies.join('; ')}` : null;
    }
    case 'approver_removed': {
      const steps = list(d.steps).map((s) => Number(s) + 1);
      const who = typeof d.userId === 'string' ? d.userId : 'a leaver';
      return steps.length ? `${who}, from step ${steps.join(', ')}` : who;
    }
    case 'escalated':
      return list(d.to).length ? `to ${list(d.to).join(', ')}` : null;
    case 'already_held':
      return list(d.entitlementIds).length ? list(d.entitlementIds).join(', ') : null;
    case 'break_glass_escalated':
      return list(d.to).length ? `to ${list(d.to).join(', ')}` : null;
    default:
      return null;
  }
}

/** The asked-for duration, as a person reads it; a relative one counts from the approval. */
export function durationText(d: Ticket['duration']): string {
  if (!d) return 'No duration (removal)';
  if (d.type === 'indefinite') return 'Indefinite';
  if (d.type === 'relative') return `${formatLength(d.seconds)} from approval`;
  return `${d.start ? formatDateTime(d.start) : 'From approval'} → ${formatDateTime(d.end)}`;
}

/** The beneficiary may end their own access while it is active (POST /tickets/:id/relinquish). */
export function mayRelinquish(me: Pick<Me, 'id'>, t: Ticket): boolean {
  return (
    me.id === t.beneficiary.id &&
    t.access.state === 'active' &&
    (t.type === 'request' || t.type === 'reraise') &&
    t.action !== 'remove'
  );
}

/**
 * Confirm / Revoke of break-glass access: admins and the ticket's approvers, never its beneficiary nor whoever
 * broke glass for them. A non-admin who sees a ticket they neither raised nor benefit from is one of its
 * approvers; the server decides the rest.
 */
export function mayReview(me: Pick<Me, 'id'>, t: Ticket): boolean {
  return (
    t.breakGlass === true && t.review?.state === 'pending' && me.id !== t.beneficiary.id && me.id !== t.requester.id
  );
}

export function reviewText(review: NonNullable<Ticket['review']>, now = Date.now()): string {
  if (review.state === 'confirmed') return `Confirmed${review.by ? ` by ${review.by}` : ''}`;
  if (review.state === 'revoked') return `Revoked${review.by ? ` by ${review.by}` : ''}`;
  const overdue = Date.parse(review.dueAt) < now;
  return `Waiting for review, ${overdue ? 'overdue since' : 'due by'} ${formatDateTime(review.dueAt)}${review.escalated ? ' (escalated)' : ''}`;
}
