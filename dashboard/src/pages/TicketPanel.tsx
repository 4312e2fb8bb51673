// One ticket: what changes, licenses, access state, approval steps, the log and the Temporal link, and
// the actions the signed-in person may take: approve / reject (approvers), extend / re-raise / cancel
// (requester or beneficiary), end my access (beneficiary), confirm / revoke break-glass access (reviewers).
// Refreshed every few seconds until nothing can change any more by itself.
import { useId, useState } from 'react';
import type { Ticket } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/Messages';
import { StatusBadge } from '../components/Status';
import { requestTypeLabel } from '../components/TicketTable';
import { usePolling } from '../hooks';
import { matchesApproverRule, useSession } from '../session-context';
import { mayRelinquish, mayReview, reviewText } from '../ticketText';
import { ApproveDialog } from './ticket/ApproveDialog';
import { confirmationOf, isDecision, type Decision } from './ticket/confirmations';
import { ExtendDialog, ReraiseDialog } from './ticket/RequestDialogs';
import { TicketDetails } from './ticket/TicketDetails';

export const TICKET_POLL_MS = 3000;

/** Access states that still move on their own (a timer or a worker), so the panel keeps polling. */
const MOVING = new Set(['pending', 'scheduled', 'applying', 'active']);

/** The dialog open: a form of its own, or one of the confirmed decisions. */
type Action = 'approve' | 'extend' | 'reraise' | Decision | null;

export function TicketPanel({ id }: { id: string }) {
  const { api, me, isAdmin } = useSession();
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [action, setAction] = useState<Action>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const headingId = useId();

  const moving = !ticket || ticket.status === 'pending' || MOVING.has(ticket.access.state);
  usePolling(
    async (signal) => {
      try {
        const t = await api.ticket(id, signal);
        if (!signal.aborted) {
          setTicket(t);
          setError(null);
        }
      } catch (err) {
        if (!signal.aborted) setError(err);
      }
    },
    TICKET_POLL_MS,
    moving && action === null,
    [api, id, action],
  );

  if (!ticket) {
    return (
      <section>
        <a href="#/tickets">← Back to tickets</a>
        {error ? <ErrorMessage error={error} /> : <p aria-busy="true">Loading {id}…</p>}
      </section>
    );
  }

  const isRequester = me.id === ticket.requester.id || me.id === ticket.beneficiary.id;
  const step = ticket.approval.steps[ticket.approval.currentStep];
  const canDecide =
    ticket.status === 'pending' &&
    !isRequester &&
    matchesApproverRule(me, ticket.approval.awaiting) &&
    !(step?.approvedBy ?? []).includes(me.id);
  const canExtend = isRequester && ticket.access.state === 'active' && ticket.duration?.type === 'limited';
  const canReraise = isRequester && ticket.access.state === 'expired';
  const canCancel = ticket.status === 'pending' && (isRequester || isAdmin);
  const canRelinquish = mayRelinquish(me, ticket);
  const canReview = mayReview(me, ticket);

  const done = (t: Ticket, message: string) => {
    setTicket(t);
    setAction(null);
    setNotice(message);
  };

  const confirmation = isDecision(action) ? confirmationOf(action, ticket) : null;

  return (
    <article className="ticket-panel" aria-labelledby={headingId}>
      <a href="#/tickets">← Back to tickets</a>
      <header className="ticket-head">
        <h1 id={headingId}>
          {ticket.id} <StatusBadge status={ticket.status} />
          {ticket.breakGlass && (
            <>
              {' '}
              <BreakGlassBadge />
            </>
          )}
        </h1>
        <p className="muted">
          {requestTypeLabel(ticket)} in <strong>{ticket.app.name}</strong>
          {ticket.parentTicketId && (
            <>
              {' '}
              · follows <a href={`#/tickets/${ticket.parentTicketId}`}>{ticket.parentTicketId}</a>
            </>
          )}
        </p>
      </header>

      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <ErrorMessage error={error} />

      <div className="actions">
        {canDecide && (
          <>
            <button type="button" className="primary" onClick={() => setAction('approve')}>
              Approve
            </button>
            <button type="button" className="danger" onClick={() => setAction('reject')}>
              Reject
            </button>
          </>
        )}
        {canExtend && (
          <button type="button" onClick={() => setAction('extend')}>
            Extend
          </button>
        )}
        {canReraise && (
          <button type="button" onClick={() => setAction('reraise')}>
            Re-raise
          </button>
        )}
        {canCancel && (
          <button type="button" onClick={() => setAction('cancel')}>
            Cancel ticket
          </button>
        )}
        {canRelinquish && (
          <button type="button" className="danger" onClick={() => setAction('relinquish')}>
            End my access
          </button>
        )}
      </div>

      {ticket.breakGlass && ticket.review && (
        <section className="card break-glass-review" aria-labelledby={`${headingId}-review`}>
          <h2 id={`${headingId}-review`}>Break-glass review</h2>
          <p>
            This is emergency access, granted without approval. The approvers review it afterwards and may revoke it.
          </p>
          <p>
            <strong>{reviewText(ticket.review)}</strong>
            {ticket.review.comment && <q>{ticket.review.comment}</q>}
          </p>
          {canReview && (
            <div className="actions">
              <button type="button" className="primary" onClick={() => setAction('confirm')}>
                Confirm access
              </button>
              <button type="button" className="danger" onClick={() => setAction('revoke')}>
                Revoke access
              </button>
            </div>
          )}
        </section>
      )}

      <TicketDetails ticket={ticket} headingId={headingId} />

      {confirmation && (
        <ConfirmDialog
          confirmation={confirmation}
          onClose={() => setAction(null)}
          onConfirm={async (comment) =>
            done(await confirmation.send(api, ticket, comment ? { comment } : {}), confirmation.done)
          }
        />
      )}
      {action === 'approve' && (
        <ApproveDialog
          ticket={ticket}
          onClose={() => setAction(null)}
          onDone={(t) => done(t, 'You approved this ticket.')}
        />
      )}
      {action === 'extend' && <ExtendDialog ticket={ticket} onClose={() => setAction(null)} />}
      {action === 'reraise' && <ReraiseDialog ticket={ticket} onClose={() => setAction(null)} />}
    </article>
  );
}

/** Marked in words and with an icon, never by its red alone. */
function BreakGlassBadge() {
  return (
    <span className="badge break-glass">
      <span aria-hidden="true">⚠ </span>Break glass<span className="visually-hidden"> (emergency access)</span>
    </span>
  );
}
