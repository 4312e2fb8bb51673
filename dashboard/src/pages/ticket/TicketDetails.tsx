// What a ticket is, read-only: its summary, the permission changes and licenses, the access and its times,
// the approval steps, and the log.
import type { Ticket } from '../../api/types';
import { AccessBadge } from '../../components/Status';
import { durationText, eventDetail, eventLabel } from '../../ticketText';
import { formatDateTime, formatLength, formatResolvedIn, relativeTime } from '../../time';

export function TicketDetails({ ticket, headingId }: { ticket: Ticket; headingId: string }) {
  const adds = ticket.changes.filter((c) => c.op === 'add');
  const removes = ticket.changes.filter((c) => c.op === 'remove');
  return (
    <div className="panel-grid">
      <section className="card" aria-labelledby={`${headingId}-summary`}>
        <h2 id={`${headingId}-summary`}>Summary</h2>
        <dl className="facts">
          <dt>Requestor</dt>
          <dd>{ticket.requester.name || ticket.requester.id}</dd>
          <dt>For</dt>
          <dd>{ticket.beneficiary.name || ticket.beneficiary.id}</dd>
          <dt>Reason</dt>
          <dd>{ticket.reason || <span className="muted">none given</span>}</dd>
          <dt>Created</dt>
          <dd>
            <time dateTime={ticket.createdAt} title={formatDateTime(ticket.createdAt)}>
              {relativeTime(ticket.createdAt)}
            </time>
          </dd>
          <dt>Resolved in</dt>
          <dd>
            {ticket.resolvedInSeconds !== null ? (
              formatResolvedIn(ticket.resolvedInSeconds)
            ) : (
              <span className="muted">not yet</span>
            )}
          </dd>
          <dt>Duration</dt>
          <dd>{durationText(ticket.duration)}</dd>
        </dl>
      </section>

      <section className="card" aria-labelledby={`${headingId}-changes`}>
        <h2 id={`${headingId}-changes`}>Permission changes</h2>
        {ticket.action === 'modify' && (
          <p className="muted">Modified: the removed access is replaced by the added one.</p>
        )}
        <ul className="changes">
          {removes.map((c) => (
            <li key={`r-${c.entitlement.id}`} className="change-remove">
              <span aria-hidden="true">−</span> <span className="visually-hidden">Removed:</span> {c.entitlement.name}{' '}
              <span className="kind">{c.entitlement.kind}</span>
            </li>
          ))}
          {adds.map((c) => (
            <li key={`a-${c.entitlement.id}`} className="change-add">
              <span aria-hidden="true">+</span> <span className="visually-hidden">Added:</span> {c.entitlement.name}{' '}
              <span className="kind">{c.entitlement.kind}</span>
              {c.fields && Object.keys(c.fields).length > 0 && (
                <span className="muted">
                  {' '}
                  (
                  {Object.entries(c.fields)
                    .map(([k, v]) => `${k}: ${String(v)}`)
                    .join(', ')}
                  )
                </span>
              )}
            </li>
          ))}
        </ul>
        {ticket.licenses.length > 0 && (
          <>
            <h3>Licenses</h3>
            <ul className="licenses">
              {ticket.licenses.map((l) => (
                <li key={l.id}>
                  {l.name}: {l.used} of {l.seats} seats used, {l.available} available
                  <meter min={0} max={l.seats} value={l.used} aria-label={`${l.name} seats used`} />
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section className="card" aria-labelledby={`${headingId}-access`}>
        <h2 id={`${headingId}-access`}>Access</h2>
        <p>
          <AccessBadge state={ticket.access.state} />
        </p>
        <dl className="facts">
          {ticket.access.start && (
            <>
              <dt>Starts</dt>
              <dd>{formatDateTime(ticket.access.start)}</dd>
            </>
          )}
          <dt>Ends</dt>
          <dd>
            {ticket.access.end
              ? `${formatDateTime(ticket.access.end)} (${relativeTime(ticket.access.end)})`
              : ticket.duration?.type === 'indefinite'
                ? 'Never (indefinite)'
                : ticket.duration?.type === 'limited'
                  ? formatDateTime(ticket.duration.end)
                  : ticket.duration?.type === 'relative'
                    ? `${formatLength(ticket.duration.seconds)} after approval`
                    : '—'}
          </dd>
          {ticket.access.error && (
            <>
              <dt>Error</dt>
              <dd className="error-text">{ticket.access.error}</dd>
            </>
          )}
        </dl>
        {ticket.workflow?.uiUrl && (
          <p>
            <a href={ticket.workflow.uiUrl} target="_blank" rel="noreferrer">
              Open the workflow in Temporal UI<span className="visually-hidden"> (opens a new tab)</span> ↗
            </a>
          </p>
        )}
      </section>

      <section className="card" aria-labelledby={`${headingId}-approval`}>
        <h2 id={`${headingId}-approval`}>Approval</h2>
        <ol className="steps">
          {ticket.approval.steps.map((s, i) => (
            <li key={i} className={`step-${s.state}`}>
              <strong>{s.name}</strong> — {s.state}
              {s.approvedBy.length > 0 && ` by ${s.approvedBy.join(', ')}`}
              {i === ticket.approval.currentStep && ticket.status === 'pending' && (
                <span className="muted">
                  {' '}
                  (waiting for {ticket.approval.awaiting.map((r) => r.replace(':', ' ')).join(', ')})
                </span>
              )}
            </li>
          ))}
        </ol>
      </section>

      <section className="card wide" aria-labelledby={`${headingId}-log`}>
        <h2 id={`${headingId}-log`}>Log</h2>
        <ol className="log">
          {ticket.log.map((entry, i) => (
            <li key={i}>
              <time dateTime={entry.at}>{formatDateTime(entry.at)}</time> <strong>{eventLabel(entry.event)}</strong> by{' '}
              {entry.actor}
              {eventDetail(entry) && <span className="muted"> ({eventDetail(entry)})</span>}
              {entry.comment && <q>{entry.comment}</q>}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
