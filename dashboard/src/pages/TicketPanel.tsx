// One ticket: what changes, licenses, access state, approval steps, the log and the Temporal link, and
// the actions the signed-in person may take: approve / reject (approvers), extend / re-raise / cancel
// (requester or beneficiary), end my access (beneficiary), confirm / revoke break-glass access (reviewers).
// Refreshed every few seconds until nothing can change any more by itself.
import { useId, useState, type FormEvent } from 'react';
import type { Duration, Ticket } from '../api/types';
import { ApiError } from '../api/client';
import { Dialog } from '../components/Dialog';
import { ErrorMessage, FieldFlags } from '../components/Messages';
import { AccessBadge, StatusBadge } from '../components/Status';
import { requestTypeLabel } from '../components/TicketTable';
import { usePolling } from '../hooks';
import { groupFlags } from '../requestForm';
import { navigate } from '../route';
import { matchesApproverRule, useSession } from '../session-context';
import { durationText, eventDetail, eventLabel, mayRelinquish, mayReview, reviewText } from '../ticketText';
import { formatDateTime, formatLength, formatResolvedIn, fromLocalInput, relativeTime, toLocalInput } from '../time';

export const TICKET_POLL_MS = 3000;

/** Access states that still move on their own (a timer or a worker), so the panel keeps polling. */
const MOVING = new Set(['pending', 'scheduled', 'applying', 'active']);

type Action = 'approve' | 'reject' | 'extend' | 'reraise' | 'cancel' | 'relinquish' | 'confirm' | 'revoke' | null;

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

  const adds = ticket.changes.filter((c) => c.op === 'add');
  const removes = ticket.changes.filter((c) => c.op === 'remove');

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
                <time dateTime={entry.at}>{formatDateTime(entry.at)}</time> <strong>{eventLabel(entry.event)}</strong>{' '}
                by {entry.actor}
                {eventDetail(entry) && <span className="muted"> ({eventDetail(entry)})</span>}
                {entry.comment && <q>{entry.comment}</q>}
              </li>
            ))}
          </ol>
        </section>
      </div>

      {action === 'approve' && (
        <ApproveDialog
          ticket={ticket}
          onClose={() => setAction(null)}
          onDone={(t) => done(t, 'You approved this ticket.')}
        />
      )}
      {action === 'reject' && (
        <RejectDialog
          ticket={ticket}
          onClose={() => setAction(null)}
          onDone={(t) => done(t, 'You rejected this ticket.')}
        />
      )}
      {action === 'cancel' && (
        <CancelDialog
          ticket={ticket}
          onClose={() => setAction(null)}
          onDone={(t) => done(t, 'The ticket is cancelled.')}
        />
      )}
      {action === 'relinquish' && (
        <RelinquishDialog
          ticket={ticket}
          onClose={() => setAction(null)}
          onDone={(t) => done(t, 'Your access has ended.')}
        />
      )}
      {(action === 'confirm' || action === 'revoke') && (
        <ReviewDialog
          ticket={ticket}
          decision={action}
          onClose={() => setAction(null)}
          onDone={(t) =>
            done(t, action === 'confirm' ? 'You confirmed this break-glass access.' : 'The access is revoked.')
          }
        />
      )}
      {action === 'extend' && <ExtendDialog ticket={ticket} onClose={() => setAction(null)} />}
      {action === 'reraise' && <ReraiseDialog ticket={ticket} onClose={() => setAction(null)} />}
    </article>
  );
}

type DialogProps = { ticket: Ticket; onClose: () => void; onDone: (t: Ticket) => void };

function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function run(fn: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, run };
}

function CommentField({
  value,
  onChange,
  label = 'Comment (optional)',
}: {
  value: string;
  onChange: (v: string) => void;
  label?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={2} maxLength={2000} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

/** Start/end pickers with the server's flags under each. */
function DurationPickers(props: {
  start: string;
  end: string;
  onStart: (v: string) => void;
  onEnd: (v: string) => void;
  error: unknown;
  startLabel?: string;
  endLabel?: string;
  withStart?: boolean;
}) {
  const id = useId();
  const flags = props.error instanceof ApiError ? groupFlags(props.error.flags ?? [], []) : new Map();
  const startFlags = flags.get('duration.start') ?? [];
  const endFlags = [...(flags.get('duration.end') ?? []), ...(flags.get('duration.type') ?? [])];
  return (
    <div className="row">
      {props.withStart !== false && (
        <div className="field">
          <label htmlFor={`${id}-start`}>{props.startLabel ?? 'Start'}</label>
          <input
            id={`${id}-start`}
            type="datetime-local"
            value={props.start}
            onChange={(e) => props.onStart(e.target.value)}
            aria-invalid={startFlags.length > 0}
            aria-describedby={startFlags.length ? `${id}-start-flags` : undefined}
          />
          <FieldFlags flags={startFlags} id={`${id}-start-flags`} />
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-end`}>{props.endLabel ?? 'End'}</label>
        <input
          id={`${id}-end`}
          type="datetime-local"
          value={props.end}
          onChange={(e) => props.onEnd(e.target.value)}
          aria-invalid={endFlags.length > 0}
          aria-describedby={endFlags.length ? `${id}-end-flags` : undefined}
        />
        <FieldFlags flags={endFlags} id={`${id}-end-flags`} />
      </div>
    </div>
  );
}

function limitedDuration(start: string, end: string): Duration | string {
  const e = fromLocalInput(end);
  if (!e) return 'Choose an end date and time.';
  const s = fromLocalInput(start);
  return { type: 'limited', ...(s ? { start: s } : {}), end: e };
}

export function ApproveDialog({ ticket, onClose, onDone }: DialogProps) {
  const { api } = useSession();
  const [comment, setComment] = useState('');
  const [modify, setModify] = useState(false);
  const requested = ticket.duration?.type === 'limited' ? ticket.duration : null;
  // A requested start already in the past would be flagged START_IN_PAST: empty means "from now".
  const [start, setStart] = useState(
    requested?.start && Date.parse(requested.start) > Date.now() ? toLocalInput(requested.start) : '',
  );
  const [end, setEnd] = useState(toLocalInput(requested?.end));
  const [localProblem, setLocalProblem] = useState<string | null>(null);
  const { busy, error, run } = useSubmit();

  const approve = (withDuration: boolean) =>
    run(async () => {
      let duration: Duration | undefined;
      if (withDuration) {
        const d = limitedDuration(start, end);
        if (typeof d === 'string') return setLocalProblem(d);
        duration = d;
      }
      setLocalProblem(null);
      onDone(
        await api.approve(ticket.id, {
          ...(comment.trim() ? { comment: comment.trim() } : {}),
          ...(duration ? { duration } : {}),
        }),
      );
    });

  return (
    <Dialog
      title={`Approve ${ticket.id}`}
      description={<p>Are you sure you want to approve this request?</p>}
      onClose={onClose}
      busy={busy}
    >
      <p className="muted">Requested duration: {durationText(ticket.duration)}</p>
      <CommentField value={comment} onChange={setComment} />
      {modify && (
        <fieldset>
          <legend>Modified duration</legend>
          <DurationPickers
            start={start}
            end={end}
            onStart={setStart}
            onEnd={setEnd}
            error={error}
            startLabel="Start (empty: now)"
          />
          {localProblem && (
            <p className="error" role="alert">
              {localProblem}
            </p>
          )}
        </fieldset>
      )}
      <ErrorMessage
        error={error}
        context={{
          POLICY_VIOLATION: 'The modified duration does not meet the application’s policy: see the marked field.',
        }}
        showFlags={!modify}
      />
      <div className="dialog-actions">
        {!modify ? (
          <>
            <button type="button" className="primary" disabled={busy} onClick={() => void approve(false)}>
              Yes, approve ticket as is
            </button>
            {ticket.duration && (
              <button type="button" disabled={busy} onClick={() => setModify(true)}>
                Modify duration before approving
              </button>
            )}
          </>
        ) : (
          <>
            <button type="button" className="primary" disabled={busy} onClick={() => void approve(true)}>
              Approve with modified duration
            </button>
            <button type="button" disabled={busy} onClick={() => setModify(false)}>
              Keep the requested duration
            </button>
          </>
        )}
        <button type="button" disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

function RejectDialog({ ticket, onClose, onDone }: DialogProps) {
  const { api } = useSession();
  const [comment, setComment] = useState('');
  const { busy, error, run } = useSubmit();
  return (
    <Dialog
      title={`Reject ${ticket.id}`}
      description={<p>Are you sure you want to reject this request?</p>}
      onClose={onClose}
      busy={busy}
    >
      <CommentField value={comment} onChange={setComment} />
      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() =>
            void run(async () => onDone(await api.reject(ticket.id, comment.trim() ? { comment: comment.trim() } : {})))
          }
        >
          Yes, reject ticket
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

function CancelDialog({ ticket, onClose, onDone }: DialogProps) {
  const { api } = useSession();
  const [comment, setComment] = useState('');
  const { busy, error, run } = useSubmit();
  return (
    <Dialog
      title={`Cancel ${ticket.id}`}
      description={<p>The ticket will no longer wait for approval. This cannot be undone.</p>}
      onClose={onClose}
      busy={busy}
    >
      <CommentField value={comment} onChange={setComment} />
      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() =>
            void run(async () => onDone(await api.cancel(ticket.id, comment.trim() ? { comment: comment.trim() } : {})))
          }
        >
          Yes, cancel ticket
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          Keep it
        </button>
      </div>
    </Dialog>
  );
}

/** Marked in words and with an icon, never by its red alone. */
export function BreakGlassBadge() {
  return (
    <span className="badge break-glass">
      <span aria-hidden="true">⚠ </span>Break glass<span className="visually-hidden"> (emergency access)</span>
    </span>
  );
}

function RelinquishDialog({ ticket, onClose, onDone }: DialogProps) {
  const { api } = useSession();
  const [comment, setComment] = useState('');
  const { busy, error, run } = useSubmit();
  const what = ticket.changes
    .filter((c) => c.op === 'add')
    .map((c) => c.entitlement.name)
    .join(', ');
  return (
    <Dialog
      title={`End your access to ${ticket.app.name}?`}
      description={
        <p>{what} will be removed now, without waiting for its end. To have it again you need a new request.</p>
      }
      onClose={onClose}
      busy={busy}
    >
      <CommentField value={comment} onChange={setComment} />
      <ErrorMessage
        error={error}
        context={{
          ACCESS_NOT_ACTIVE: 'This access is no longer active: it has already ended.',
          ACCESS_ENDING: 'This access is already being removed.',
        }}
      />
      <div className="dialog-actions">
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() =>
            void run(async () =>
              onDone(await api.relinquish(ticket.id, comment.trim() ? { comment: comment.trim() } : {})),
            )
          }
        >
          Yes, end my access
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          Keep it
        </button>
      </div>
    </Dialog>
  );
}

function ReviewDialog({ ticket, decision, onClose, onDone }: DialogProps & { decision: 'confirm' | 'revoke' }) {
  const { api } = useSession();
  const [comment, setComment] = useState('');
  const { busy, error, run } = useSubmit();
  const who = ticket.beneficiary.name || ticket.beneficiary.id;
  return (
    <Dialog
      title={decision === 'confirm' ? `Confirm ${ticket.id}` : `Revoke ${ticket.id}`}
      description={
        <p>
          {decision === 'confirm'
            ? `${who} keeps this emergency access until it ends.`
            : `${who}'s emergency access is removed now.`}
        </p>
      }
      onClose={onClose}
      busy={busy}
    >
      <CommentField value={comment} onChange={setComment} />
      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button
          type="button"
          className={decision === 'confirm' ? 'primary' : 'danger'}
          disabled={busy}
          onClick={() =>
            void run(async () =>
              onDone(await api.review(ticket.id, { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) })),
            )
          }
        >
          {decision === 'confirm' ? 'Yes, confirm access' : 'Yes, revoke access'}
        </button>
        <button type="button" disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

const NOT_OFFERED = (what: string) => ({
  NOT_FOUND: `This Gatehouse server does not offer ${what} yet (the endpoint answered 404). Ask your Gatehouse admins, or raise a new request instead.`,
});

function ReasonField({ value, onChange, error }: { value: string; onChange: (v: string) => void; error: unknown }) {
  const id = useId();
  const flags = error instanceof ApiError ? (groupFlags(error.flags ?? [], []).get('reason') ?? []) : [];
  return (
    <div className="field">
      <label htmlFor={id}>Reason</label>
      <textarea
        id={id}
        rows={2}
        maxLength={2000}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={flags.length > 0}
        aria-describedby={flags.length ? `${id}-flags` : undefined}
      />
      <FieldFlags flags={flags} id={`${id}-flags`} />
    </div>
  );
}

function ExtendDialog({ ticket, onClose }: { ticket: Ticket; onClose: () => void }) {
  const { api } = useSession();
  const [end, setEnd] = useState(
    toLocalInput(ticket.access.end ?? (ticket.duration?.type === 'limited' ? ticket.duration.end : null)),
  );
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const iso = fromLocalInput(end);
      if (!iso) return setProblem('Choose the new end date and time.');
      setProblem(null);
      const child = await api.extend(ticket.id, { end: iso, reason: reason.trim() });
      navigate(`/tickets/${encodeURIComponent(child.id)}`);
    });
  };
  return (
    <Dialog
      title={`Extend ${ticket.id}`}
      description={
        <p>Ask for this access to last longer. The extension goes through the same approval as a request.</p>
      }
      onClose={onClose}
      busy={busy}
    >
      <form onSubmit={submit} noValidate>
        <DurationPickers
          start=""
          end={end}
          onStart={() => undefined}
          onEnd={setEnd}
          error={error}
          withStart={false}
          endLabel="New end"
        />
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <ReasonField value={reason} onChange={setReason} error={error} />
        <ErrorMessage error={error} context={NOT_OFFERED('extending access')} showFlags={false} />
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy}>
            Request extension
          </button>
          <button type="button" disabled={busy} onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ReraiseDialog({ ticket, onClose }: { ticket: Ticket; onClose: () => void }) {
  const { api } = useSession();
  const [type, setType] = useState<'limited' | 'indefinite'>(
    ticket.duration?.type === 'indefinite' ? 'indefinite' : 'limited',
  );
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [reason, setReason] = useState(ticket.reason ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error, run } = useSubmit();
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const duration = type === 'indefinite' ? ({ type: 'indefinite' } as const) : limitedDuration(start, end);
      if (typeof duration === 'string') return setProblem(duration);
      setProblem(null);
      const child = await api.reraise(ticket.id, { duration, reason: reason.trim() });
      navigate(`/tickets/${encodeURIComponent(child.id)}`);
    });
  };
  return (
    <Dialog
      title={`Re-raise ${ticket.id}`}
      description={<p>This access has expired. Ask for the same access again, for a new period.</p>}
      onClose={onClose}
      busy={busy}
    >
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Duration</legend>
          <div className="choices">
            <label className="choice">
              <input
                type="radio"
                name={`${id}-type`}
                checked={type === 'limited'}
                onChange={() => setType('limited')}
              />{' '}
              Until a date
            </label>
            <label className="choice">
              <input
                type="radio"
                name={`${id}-type`}
                checked={type === 'indefinite'}
                onChange={() => setType('indefinite')}
              />{' '}
              Indefinitely
            </label>
          </div>
          {type === 'limited' && (
            <DurationPickers
              start={start}
              end={end}
              onStart={setStart}
              onEnd={setEnd}
              error={error}
              startLabel="Start (empty: when approved)"
            />
          )}
        </fieldset>
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <ReasonField value={reason} onChange={setReason} error={error} />
        <ErrorMessage error={error} context={NOT_OFFERED('re-raising expired access')} showFlags={type !== 'limited'} />
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy}>
            Re-raise
          </button>
          <button type="button" disabled={busy} onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
