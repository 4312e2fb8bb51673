// When access ends: relative ("in 3 days") with the exact time on hover, or "Indefinite".
import { formatDateTime, relativeTime } from '../../../time';

export function EndCell({ end }: { end: string | null }) {
  if (!end) return <span>Indefinite</span>;
  return (
    <time dateTime={end} title={formatDateTime(end)}>
      {relativeTime(end)}
    </time>
  );
}
