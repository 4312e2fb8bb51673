import type { PolicyFlag } from '../api/types';
import { errorText, flagText, ticketIdIn } from '../errorText';

/** An API error next to what caused it. role="alert" so screen readers hear it when it appears. */
/** `showFlags: false` where the flags are already shown next to their fields. */
export function ErrorMessage({
  error,
  context,
  id,
  showFlags = true,
}: {
  error: unknown;
  context?: Partial<Record<string, string>>;
  id?: string;
  showFlags?: boolean;
}) {
  if (!error) return null;
  const e = error as { code?: string; message?: string; flags?: PolicyFlag[] };
  const duplicateOf = e.code === 'DUPLICATE_OPEN_TICKET' && e.message ? ticketIdIn(e.message) : null;
  return (
    <div className="error" role="alert" id={id}>
      <p>
        {errorText(error, context)}
        {duplicateOf && (
          <>
            {' '}
            <a href={`#/tickets/${duplicateOf}`}>Open {duplicateOf}</a>
          </>
        )}
      </p>
      {showFlags && e.flags && e.flags.length > 0 && (
        <ul>
          {e.flags.map((f, i) => (
            <li key={i}>{flagText(f)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The policy flags that belong to one field, shown under it; `id` is referenced by the field's aria-describedby. */
export function FieldFlags({ flags, id }: { flags: PolicyFlag[]; id: string }) {
  if (flags.length === 0) return null;
  return (
    <div className="flag" id={id} role="status">
      {flags.map((f, i) => (
        <p key={i}>
          <span aria-hidden="true">⚠ </span>
          {flagText(f)}
        </p>
      ))}
    </div>
  );
}
