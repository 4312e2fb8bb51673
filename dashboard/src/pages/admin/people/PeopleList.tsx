// Everyone Gatehouse knows (directory users, and people known from their tokens), searchable, a page at a
// time from GET /users: a directory holds thousands, so the server pages and searches.
import { useId, useState } from 'react';
import { adminPeople } from '../../../api/admin-people';
import { CursorPager, useCursorPages } from '../../../components/CursorPager';
import { ErrorMessage } from '../../../components/Messages';
import { useDebounced } from '../../../hooks';
import { useSession } from '../../../session-context';

const PAGE_SIZE = 25;

export function PeopleList() {
  const { api } = useSession();
  const id = useId();
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const paged = useCursorPages(
    (cursor, signal) => adminPeople.users(api, { q, limit: PAGE_SIZE, cursor }, signal),
    `people:${q}`,
  );
  const people = paged.page?.items ?? [];

  return (
    <>
      <h1>People</h1>
      <div className="field">
        <label htmlFor={`${id}-q`}>Search</label>
        <input
          id={`${id}-q`}
          type="search"
          value={search}
          placeholder="name, email or id"
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <ErrorMessage error={paged.error} />
      {!paged.page && !paged.error && <p className="muted">Loading…</p>}
      {paged.page && (
        <div className="table-wrap">
          <table className="admin-table" aria-busy={paged.loading}>
            <caption className="visually-hidden">People</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Email</th>
                <th scope="col">Groups</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {people.map((p) => (
                <tr key={p.id}>
                  <td>
                    <a href={`#/admin/people/${encodeURIComponent(p.id)}`}>{p.name ?? p.id}</a>
                  </td>
                  <td>
                    <code>{p.id}</code>
                  </td>
                  <td>{p.email ?? ''}</td>
                  <td>{p.groups.join(', ')}</td>
                  <td>{p.active ? 'Active' : 'Left'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {paged.page && !people.length && (
        <p className="empty">
          {q ? `Nobody matches “${q}”.` : 'Nobody yet: people appear once they sign in or a directory provisions them.'}
        </p>
      )}
      <CursorPager pages={paged} label="People pages" words="order" hideSinglePage />
    </>
  );
}
