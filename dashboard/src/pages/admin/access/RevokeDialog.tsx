// Revoke a grant with a reason. Access is held through tickets (its holders): each holder ticket's
// access is revoked, with the reason in its log; the target loses the access once the last one ends.
import { useId, useState } from 'react';
import { adminPeople, type Grant } from '../../../api/admin-people';
import { Dialog } from '../../../components/Dialog';
import { ErrorMessage } from '../../../components/Messages';
import { useSession } from '../../../session-context';

export function RevokeDialog({
  grant,
  onClose,
  onDone,
}: {
  grant: Grant;
  onClose: () => void;
  onDone: (ticketIds: string[]) => void;
}) {
  const { api } = useSession();
  const id = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const tickets = grant.holders.length ? grant.holders.map((h) => h.ticketId) : [grant.ticketId];

  async function revoke() {
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // One at a time: each is a decision in its ticket's workflow, and a failure names where it stopped.
      for (const ticketId of tickets) await adminPeople.revoke(api, ticketId, reason.trim());
      onDone(tickets);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={`Revoke ${grant.entitlementId} from ${grant.userId}`}
      description={
        <p>
          {grant.userId} loses {grant.entitlementId} in {grant.appId} now. This revokes the access of{' '}
          {tickets.length === 1 ? 'ticket' : 'tickets'} {tickets.join(', ')}, including any other access{' '}
          {tickets.length === 1 ? 'it grants' : 'they grant'}.
        </p>
      }
      onClose={onClose}
      busy={busy}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void revoke();
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason (required)</label>
          <textarea
            id={`${id}-reason`}
            data-autofocus
            rows={3}
            maxLength={2000}
            value={reason}
            aria-invalid={missing && !reason.trim() ? true : undefined}
            aria-describedby={missing && !reason.trim() ? `${id}-missing` : undefined}
            onChange={(e) => setReason(e.target.value)}
          />
          {missing && !reason.trim() && (
            <p id={`${id}-missing`} className="error-text">
              Say why: the reason goes into the ticket’s log.
            </p>
          )}
        </div>
        <ErrorMessage error={error} />
        <div className="dialog-actions">
          <button type="submit" className="danger" disabled={busy}>
            {busy ? 'Revoking…' : 'Revoke access'}
          </button>
          <button type="button" disabled={busy} onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
