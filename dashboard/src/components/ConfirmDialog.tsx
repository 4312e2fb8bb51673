// "Are you sure?" before a decision that cannot be taken back: a question, an optional or required comment
// that goes with the decision, the answer's error in place, and two buttons. Each decision is a
// `Confirmation` (data), so every confirmation looks, reads and behaves the same.
import { useId, useState, type ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorMessage } from './Messages';

export interface Confirmation {
  title: string;
  /** The question, read out with the dialog's title. */
  text: ReactNode;
  /** The confirming button, e.g. "Yes, reject ticket"; `busy` is its text while the decision is sent. */
  confirm: string;
  busy?: string;
  tone: 'primary' | 'danger';
  /** The button that closes without deciding ("Cancel" unless given). */
  dismiss?: string;
  /** A comment to send with the decision; `required` is what is said when it is missing. */
  comment?: { label: string; rows?: number; required?: string };
  /** Plain words for the error codes the decision may answer with. */
  errors?: Partial<Record<string, string>>;
}

export function ConfirmDialog({
  confirmation: c,
  onConfirm,
  onClose,
}: {
  confirmation: Confirmation;
  /** Sends the decision with the trimmed comment ('' when none); a rejection is shown in the dialog. */
  onConfirm: (comment: string) => Promise<void>;
  onClose: () => void;
}) {
  const id = useId();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const lacking = missing && !!c.comment?.required && !comment.trim();

  async function confirm() {
    if (c.comment?.required && !comment.trim()) {
      setMissing(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onConfirm(comment.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={c.title} description={<p>{c.text}</p>} onClose={onClose} busy={busy}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        {c.comment && (
          <div className="field">
            <label htmlFor={`${id}-comment`}>{c.comment.label}</label>
            <textarea
              id={`${id}-comment`}
              rows={c.comment.rows ?? 2}
              maxLength={2000}
              value={comment}
              aria-invalid={lacking || undefined}
              aria-describedby={lacking ? `${id}-missing` : undefined}
              onChange={(e) => setComment(e.target.value)}
            />
            {lacking && (
              <p id={`${id}-missing`} className="error-text">
                {c.comment.required}
              </p>
            )}
          </div>
        )}
        <ErrorMessage error={error} context={c.errors} />
        <div className="dialog-actions">
          <button type="submit" className={c.tone} disabled={busy}>
            {busy && c.busy ? c.busy : c.confirm}
          </button>
          <button type="button" disabled={busy} onClick={onClose}>
            {c.dismiss ?? 'Cancel'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
