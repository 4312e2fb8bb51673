// Ask for more of the same access: extend it while active, or re-raise it once expired. Either makes a new
// ticket that goes through approval, and the panel moves to it.
import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import type { Ticket } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorMessage, FieldFlags } from '../../components/Messages';
import { groupFlags } from '../../requestForm';
import { navigate } from '../../route';
import { useSession } from '../../session-context';
import { fromLocalInput, toLocalInput } from '../../time';
import { DurationPickers, limitedDuration, useSubmit } from './fields';

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

export function ExtendDialog({ ticket, onClose }: { ticket: Ticket; onClose: () => void }) {
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

export function ReraiseDialog({ ticket, onClose }: { ticket: Ticket; onClose: () => void }) {
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
