/** A page of a keyset-paged list, as the repositories answer it: its items and the next page's cursor. */
interface CursorPage<P> {
  nextCursor: P | null;
}

/**
 * Follows the first `maxPages` pages of one query through a list index in memory and the database query it
 * mirrors, expecting the two equal page by page (the cursor comes from the database's page, so a wrong
 * cursor from the index shows on the next page). Returns how many pages it compared.
 */
export async function expectSamePages<Q extends object, C, P>(
  query: Q,
  sources: {
    index: (q: Q & { cursor?: C }) => Promise<CursorPage<P>>;
    database: (q: Q & { cursor?: C }) => Promise<CursorPage<P>>;
  },
  maxPages: number,
  toCursor: (next: P) => C = (next) => next as unknown as C,
): Promise<number> {
  let cursor: C | undefined;
  let pages = 0;
  while (pages < maxPages) {
    const q = { ...query, cursor };
    const fromIndex = await sources.index(q);
    const fromDatabase = await sources.database(q);
    expect({ query: q, page: fromIndex }).toEqual({ query: q, page: fromDatabase });
    pages++;
    if (fromDatabase.nextCursor === null) break;
    cursor = toCursor(fromDatabase.nextCursor);
  }
  return pages;
}
