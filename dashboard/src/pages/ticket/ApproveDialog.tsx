// Approve a ticket as requested, or with a duration of the approver's own (checked against the policy).
import { useState } from 'react';
import type { Duration, Ticket } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorMessage } from '../../components/Messages';
import { useSession } from '../../session-context';
import { durationText } from '../../ticketText';
import { toLocalInput } from '../../time';
import { CommentField, DurationPickers, limitedDuration, useSubmit } from './fields';

export function ApproveDialog({
  ticket,
  onClose,
  onDone,
}: {
  ticket: Ticket;
  onClose: () => void;
  onDone: (t: Ticket) => void;
}) {
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
