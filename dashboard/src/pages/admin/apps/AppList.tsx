// The applications, filterable by name, id or connector. GET /apps answers every app at once (a handful
// to a few hundred), so the filter runs here.
import { useEffect, useId, useMemo, useState } from 'react';
import { adminApps, type AppListItem } from '../../../api/admin-apps';
import { ErrorMessage } from '../../../components/Messages';
import { useSession } from '../../../session-context';

export function AppList() {
  const { api } = useSession();
  const id = useId();
  const [apps, setApps] = useState<AppListItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    const controller = new AbortController();
    adminApps.list(api, controller.signal).then(setApps, (err: unknown) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [api]);

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (apps ?? []).filter(
      (a) => !needle || [a.id, a.name, a.connectorType].some((s) => s.toLowerCase().includes(needle)),
    );
  }, [apps, filter]);

  return (
    <>
      <div className="page-head">
        <h1>Applications</h1>
        <a className="button primary" href="#/admin/apps/new">
          Add application
        </a>
      </div>
      <div className="field">
        <label htmlFor={`${id}-filter`}>Filter</label>
        <input
          id={`${id}-filter`}
          type="search"
          value={filter}
          placeholder="name, id or connector"
          onChange={(e) => setFilter(e.target.value)}
        />
      </div>
      <ErrorMessage error={error} />
      {!apps && !error && <p className="muted">Loading…</p>}
      {apps && (
        <table className="apps-table">
          <caption className="visually-hidden">Applications</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Connector</th>
              <th scope="col">Approval steps</th>
              <th scope="col">Revision</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id}>
                <td>
                  <a href={`#/admin/apps/${encodeURIComponent(a.id)}`}>{a.name}</a>
                </td>
                <td>
                  <code>{a.id}</code>
                </td>
                <td>{a.connectorType}</td>
                <td>{a.policy.approval.steps.map((s) => s.name).join(' → ') || 'none'}</td>
                <td>{a.revision}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {apps && !shown.length && (
        <p className="empty">{apps.length ? 'No application matches.' : 'No applications yet.'}</p>
      )}
    </>
  );
}
