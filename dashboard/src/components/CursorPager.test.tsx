import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorPager, useCursorPages } from './CursorPager';

afterEach(cleanup);

interface Page {
  items: string[];
  nextCursor: string | null;
}

/** A server holding `count` items per letter, answering two at a time; the cursor is the next item's index. */
function server(count: number) {
  const asked: { filter: string; cursor: string | null }[] = [];
  let failNext = false;
  const load = async (filter: string, cursor: string | null): Promise<Page> => {
    asked.push({ filter, cursor });
    if (failNext) {
      failNext = false;
      throw new Error('the server is away');
    }
    const from = cursor === null ? 0 : Number(cursor);
    const items = Array.from({ length: count }, (_, i) => `${filter}${i + 1}`).slice(from, from + 2);
    return { items, nextCursor: from + 2 < count ? String(from + 2) : null };
  };
  return { load, asked, failOnce: () => (failNext = true) };
}

function List({ load, hideSinglePage }: { load: ReturnType<typeof server>['load']; hideSinglePage?: boolean }) {
  const [filter, setFilter] = useState('a');
  const pages = useCursorPages<Page>((cursor) => load(filter, cursor), filter);
  return (
    <>
      <label>
        Filter
        <input value={filter} onChange={(e) => setFilter(e.target.value)} />
      </label>
      <button type="button" onClick={pages.reload}>
        Reload
      </button>
      {pages.error !== null && <p role="alert">{String(pages.error)}</p>}
      <ul aria-busy={pages.loading}>
        {pages.page?.items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <CursorPager pages={pages} label="Pages of items" hideSinglePage={hideSinglePage} />
    </>
  );
}

const items = () => screen.queryAllByRole('listitem').map((li) => li.textContent);
const newer = () => screen.getByRole('button', { name: '← Newer' }) as HTMLButtonElement;
const older = () => screen.getByRole('button', { name: 'Older →' }) as HTMLButtonElement;

async function shows(expected: string[], pageNumber: number) {
  await waitFor(() => expect(items()).toEqual(expected));
  await waitFor(() => expect(screen.getByRole('list').getAttribute('aria-busy')).toBe('false'));
  expect(screen.getByRole('navigation', { name: 'Pages of items' }).textContent).toContain(`Page ${pageNumber}`);
}

describe('the cursor pager', () => {
  it('goes forward by the cursor the server gave, and back by the cursors kept, without asking for counts', async () => {
    const s = server(5);
    render(<List load={s.load} />);
    await shows(['a1', 'a2'], 1);
    expect(newer().disabled).toBe(true);

    fireEvent.click(older());
    await shows(['a3', 'a4'], 2);
    fireEvent.click(older());
    await shows(['a5'], 3);
    fireEvent.click(newer());
    await shows(['a3', 'a4'], 2);
    fireEvent.click(newer());
    await shows(['a1', 'a2'], 1);
    expect(s.asked.map((a) => a.cursor)).toEqual([null, '2', '4', '2', null]);
  });

  it('the last page offers no further page; a list that fits on one page has no pager at all if asked', async () => {
    const s = server(3);
    render(<List load={s.load} />);
    await shows(['a1', 'a2'], 1);
    fireEvent.click(older());
    await shows(['a3'], 2);
    expect(older().disabled).toBe(true);
    expect(newer().disabled).toBe(false);
    cleanup();

    render(<List load={server(2).load} hideSinglePage />);
    await waitFor(() => expect(items()).toEqual(['a1', 'a2']));
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('a new filter starts at its first page, and so does going back to an earlier filter', async () => {
    const s = server(6);
    render(<List load={s.load} />);
    await shows(['a1', 'a2'], 1);
    fireEvent.click(older());
    await shows(['a3', 'a4'], 2);

    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'b' } });
    await shows(['b1', 'b2'], 1);
    expect(s.asked.at(-1)).toEqual({ filter: 'b', cursor: null });
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'a' } });
    await shows(['a1', 'a2'], 1);
    expect(newer().disabled).toBe(true);
  });

  it('offers no page while one is on its way, so a double click cannot skip a page', async () => {
    const s = server(8);
    render(<List load={s.load} />);
    await shows(['a1', 'a2'], 1);
    fireEvent.click(older());
    fireEvent.click(older());
    await shows(['a3', 'a4'], 2);
    expect(s.asked.map((a) => a.cursor)).toEqual([null, '2']);
  });

  it('shows a failed page as an error, keeps the page it has, and a reload asks again', async () => {
    const s = server(4);
    render(<List load={s.load} />);
    await shows(['a1', 'a2'], 1);
    s.failOnce();
    fireEvent.click(screen.getByRole('button', { name: 'Reload' }));
    await screen.findByRole('alert');
    expect(items()).toEqual(['a1', 'a2']);
    fireEvent.click(screen.getByRole('button', { name: 'Reload' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    expect(s.asked.length).toBe(3);
  });
});
