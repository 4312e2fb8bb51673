// The ticket list. On narrow screens each row becomes a card (CSS), its cells labelled by data-label.
// Break-glass tickets are marked (red, with words); a duration counted from approval is spelled out.
import type { TicketSummary } from '../api/types';
import { durationText } from '../ticketText';
import { formatDateTime, formatResolvedIn, relativeTime } from '../time';
import { StatusBadge } from './Status';

const TYPE_LABEL: Record<string, string> = { request: 'Request', reraise: 'Re-raise', extend: 'Extension' };
const ACTION_LABEL: Record<string, string> = { add: 'add', remove: 'remove', modify: 'modify' };

export function requestTypeLabel(t: Pick<TicketSummary, 'type' | 'action'>): string {
  return `${TYPE_LABEL[t.type] ?? t.type} · ${ACTION_LABEL[t.action] ?? t.action}`;
}

function personLabel(p: { id: string; name?: string | null }): string {
  return p.name || p.id;
}

export function TicketTable({ items, now, caption }: { items: TicketSummary[]; now: number; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="tickets">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Ticket ID</th>
            <th scope="col">Requestor</th>
            <th scope="col">Request Type</th>
            <th scope="col">Application</th>
            <th scope="col">Comment</th>
            <th scope="col">Created</th>
            <th scope="col">Resolved in</th>
          </tr>
        </thead>
        <tbody>
          {items.map((t) => (
            <tr key={t.id} className={t.breakGlass ? 'break-glass' : undefined}>
              <td data-label="Status">
                <StatusBadge status={t.status} />
                {t.breakGlass && (
                  <span className="badge break-glass">
                    <span aria-hidden="true">⚠ </span>Break glass
                    <span className="visually-hidden"> (emergency access)</span>
                  </span>
                )}
                {t.reviewPending && <span className="muted"> review pending</span>}
              </td>
              <td data-label="Ticket ID">
                <a href={`#/tickets/${encodeURIComponent(t.id)}`} className="ticket-id">
                  {t.id}
                </a>
              </td>
              <td data-label="Requestor">
                {personLabel(t.requester)}
                {t.beneficiary && t.beneficiary.id !== t.requester.id && (
                  <span className="muted"> for {personLabel(t.beneficiary)}</span>
                )}
              </td>
              <td data-label="Request Type">
                {requestTypeLabel(t)}
                {t.duration?.type === 'relative' && <span className="muted"> · {durationText(t.duration)}</span>}
              </td>
              <td data-label="Application">{t.app.name}</td>
              <td data-label="Comment" className="comment">
                {t.comment ?? ''}
              </td>
              <td data-label="Created">
                <time dateTime={t.createdAt} title={formatDateTime(t.createdAt)}>
                  {relativeTime(t.createdAt, now)}
                </time>
              </td>
              <td data-label="Resolved in">
                {t.resolvedInSeconds !== null ? (
                  formatResolvedIn(t.resolvedInSeconds)
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
