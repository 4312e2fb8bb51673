// Create or edit a webhook endpoint: its URL, the ticket events it receives (or all), a description, enabled.
import { useId, useState, type FormEvent } from 'react';
import { WEBHOOK_EVENTS, type WebhookEndpoint, type WebhookInput } from '../../../api/admin-ops';
import { ErrorMessage } from '../../../components/Messages';

export function EndpointForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: WebhookEndpoint;
  submitLabel: string;
  onSubmit: (body: WebhookInput) => Promise<void>;
  onCancel: () => void;
}) {
  const id = useId();
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [all, setAll] = useState(initial ? initial.events.includes('*') : true);
  const [events, setEvents] = useState<string[]>(initial?.events.filter((e) => e !== '*') ?? []);
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const toggle = (event: string, on: boolean) =>
    setEvents((current) => (on ? [...current, event] : current.filter((e) => e !== event)));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit({
        url: url.trim(),
        events: all ? ['*'] : WEBHOOK_EVENTS.filter((ev) => events.includes(ev)),
        // An emptied description is cleared on edit, and left out on create.
        description: description.trim() || (initial ? null : undefined),
        enabled,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-label={submitLabel}>
      <div className="field">
        <label htmlFor={`${id}-url`}>URL</label>
        <input
          id={`${id}-url`}
          type="url"
          required
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://hooks.example.com/gatehouse"
          autoComplete="off"
        />
        <p className="hint">Receives a signed POST per ticket event. https in production; no credentials in the URL.</p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description (optional)</label>
        <input
          id={`${id}-description`}
          value={description}
          maxLength={500}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="e.g. SIEM"
        />
      </div>
      <fieldset className="field">
        <legend>Events</legend>
        <div className="field toggle">
          <input id={`${id}-all`} type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
          <label htmlFor={`${id}-all`}>All events</label>
        </div>
        {!all && (
          <div className="choices">
            {WEBHOOK_EVENTS.map((ev) => (
              <label key={ev} className="choice">
                <input type="checkbox" checked={events.includes(ev)} onChange={(e) => toggle(ev, e.target.checked)} />{' '}
                {ev}
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <div className="field toggle">
        <input id={`${id}-enabled`} type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        <label htmlFor={`${id}-enabled`}>Enabled</label>
      </div>
      <ErrorMessage error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy || (!all && events.length === 0)}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
