// Keyset paging for every paged list: the server answers a page and the cursor of the next one; the list keeps
// the cursors of the pages before, so going back costs the server no counting.
import { useCallback, useState } from 'react';
import { usePolling } from '../hooks';

/** What a paged endpoint answers (the tickets list's cursor is a number, the others' are strings). */
export interface CursorPage {
  nextCursor: string | number | null;
}

export interface CursorPages<P> {
  /** The page shown: the last one loaded, kept while the next loads (see `clearOnNewKey`). */
  page: P | null;
  error: unknown;
  /** True until the page asked for last (by key, cursor or reload) has come or failed; polls do not count. */
  loading: boolean;
  /** 1-based number of the page shown. */
  number: number;
  /** Go to the next page, or null when there is none or a page is on its way. */
  forward: (() => void) | null;
  /** Go to the page before, or null on the first page or while a page is on its way. */
  back: (() => void) | null;
  /** Load the page shown again (after a change made from the list). */
  reload: () => void;
}

export interface CursorPagesOptions {
  /** Load the page shown again every `pollMs`, for lists that change by themselves. */
  pollMs?: number;
  /** Show no page while a new key's first page loads, rather than the previous key's. */
  clearOnNewKey?: boolean;
}

/** Loads the pages of `load`; starts over at the first page whenever `key` (what the list is filtered by) changes. */
export function useCursorPages<P extends CursorPage>(
  load: (cursor: string | null, signal: AbortSignal) => Promise<P>,
  key: string,
  { pollMs, clearOnNewKey = false }: CursorPagesOptions = {},
): CursorPages<P> {
  // The cursors of the pages so far, for the key they were taken with; null is the first page.
  const [trail, setTrail] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  // A new key starts at page 1 at once, in this render, and for good: going back to an earlier key starts over too.
  if (trail.key !== key) setTrail({ key, cursors: [null] });
  const cursors = trail.key === key ? trail.cursors : [null];
  const cursor = cursors[cursors.length - 1];
  const [generation, setGeneration] = useState(0);
  const request = JSON.stringify([key, cursors.length, cursor, generation]);
  const [shown, setShown] = useState<{ key: string; page: P } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [settled, setSettled] = useState<string | null>(null);

  usePolling(
    async (signal) => {
      try {
        const page = await load(cursor, signal);
        if (signal.aborted) return;
        setShown({ key, page });
        setError(null);
      } catch (err) {
        if (signal.aborted) return;
        setError(err);
      }
      setSettled(request);
    },
    pollMs ?? 0,
    pollMs !== undefined,
    [request],
  );

  const loading = settled !== request;
  const page = shown && (!clearOnNewKey || shown.key === key) ? shown.page : null;
  const next = page?.nextCursor ?? null;
  return {
    page,
    error,
    loading,
    number: cursors.length,
    forward: next !== null && !loading ? () => setTrail({ key, cursors: [...cursors, String(next)] }) : null,
    back: cursors.length > 1 && !loading ? () => setTrail({ key, cursors: cursors.slice(0, -1) }) : null,
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}

/** The words of the two buttons: by time for lists newest first, by order for the others (people by name). */
const WORDS = {
  time: ['← Newer', 'Older →'],
  order: ['← Previous', 'Next →'],
} as const;

export function CursorPager({
  pages,
  label,
  words = 'time',
  hideSinglePage = false,
}: {
  pages: CursorPages<CursorPage>;
  /** The navigation landmark's name, e.g. "Pages of deliveries". */
  label: string;
  words?: keyof typeof WORDS;
  /** Leave the pager out while everything fits on the first page. */
  hideSinglePage?: boolean;
}) {
  if (hideSinglePage && (!pages.page || (pages.number === 1 && (pages.page.nextCursor ?? null) === null))) return null;
  const [back, forward] = WORDS[words];
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={!pages.back} onClick={() => pages.back?.()}>
        {back}
      </button>
      <span aria-live="polite">Page {pages.number}</span>
      <button type="button" disabled={!pages.forward} onClick={() => pages.forward?.()}>
        {forward}
      </button>
    </nav>
  );
}
