// Keyset paging for the admin lists: the server answers a page and the cursor of the next one; the screen
// keeps the cursors of the pages before, so Previous goes back without the server counting anything.
import { useCallback, useEffect, useState } from 'react';
import type { Page } from '../../../api/admin-people';

export interface Paged<T> {
  page: Page<T> | null;
  error: unknown;
  loading: boolean;
  /** 1-based number of the page shown. */
  number: number;
  next: (() => void) | null;
  previous: (() => void) | null;
  reload: () => void;
}

/** Loads page after page of `load`; starts over at the first page whenever `key` changes (a new filter). */
export function usePaged<T>(
  load: (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>,
  key: string,
): Paged<T> {
  // The cursors of the pages so far, for the filter they were taken with: a new filter starts at page 1.
  const [trail, setTrail] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  const cursors = trail.key === key ? trail.cursors : [null];
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(cursor, controller.signal).then(
      (p) => {
        setPage(p);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => controller.abort();
    // `load` changes with every render of its caller; `key` names what it loads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, cursor, generation]);

  const nextCursor = page?.nextCursor ?? null;
  return {
    page,
    error,
    loading,
    number: cursors.length,
    next: nextCursor && !loading ? () => setTrail({ key, cursors: [...cursors, nextCursor] }) : null,
    previous: cursors.length > 1 && !loading ? () => setTrail({ key, cursors: cursors.slice(0, -1) }) : null,
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}

export function Pager({ paged, label }: { paged: Paged<unknown>; label: string }) {
  if (!paged.page || (paged.number === 1 && !paged.page.nextCursor)) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={!paged.previous} onClick={() => paged.previous?.()}>
        ← Previous
      </button>
      <span aria-live="polite">Page {paged.number}</span>
      <button type="button" disabled={!paged.next} onClick={() => paged.next?.()}>
        Next →
      </button>
    </nav>
  );
}
