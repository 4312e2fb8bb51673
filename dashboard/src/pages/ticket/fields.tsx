// The pieces the ticket's dialogs share: sending with a busy flag and the answer's error, the optional
// comment, and start/end pickers that show the server's flags under each field.
import { useId, useState } from 'react';
import { ApiError } from '../../api/client';
import type { Duration } from '../../api/types';
import { FieldFlags } from '../../components/Messages';
import { groupFlags } from '../../requestForm';
import { fromLocalInput } from '../../time';

export function useSubmit() {
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

export function CommentField({
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
export function DurationPickers(props: {
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

export function limitedDuration(start: string, end: string): Duration | string {
  const e = fromLocalInput(end);
  if (!e) return 'Choose an end date and time.';
  const s = fromLocalInput(start);
  return { type: 'limited', ...(s ? { start: s } : {}), end: e };
}
