// Every application with its latest drift report at a glance: when it ran and what it found.
import { useEffect, useState } from 'react';
import { adminPeople, type DriftReport } from '../../../api/admin-people';
import { ErrorMessage } from '../../../components/Messages';
import { useSession } from '../../../session-context';
import { formatDateTime, relativeTime } from '../../../time';

interface Row {
  id: string;
  name: string;
  /** undefined: still loading; null: no report yet. */
  report?: DriftReport | null;
  error?: unknown;
}

export function DriftList() {
  const { api } = useSession();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    adminPeople.apps(api, signal).then(
      (apps) => {
        setRows(apps.map((a) => ({ id: a.id, name: a.name })));
        // One report per app, each shown as it arrives.
        for (const a of apps)
          adminPeople.drift(api, a.id, signal).then(
            (report) => setRows((rs) => rs && rs.map((r) => (r.id === a.id ? { ...r, report } : r))),
            (err: unknown) =>
              !signal.aborted && setRows((rs) => rs && rs.map((r) => (r.id === a.id ? { ...r, error: err } : r))),
          );
      },
      (err: unknown) => !signal.aborted && setError(err),
    );
    return () => controller.abort();
  }, [api]);

  return (
    <>
      <h1>Drift</h1>
      <p className="lede">
        Each application’s target is compared with the access Gatehouse holds, every hour: access in the target nobody
        was granted, and granted access the target lost.
      </p>
      <ErrorMessage error={error} />
      {!rows && !error && <p className="muted">Loading…</p>}
      {rows && !rows.length && <p className="empty">No applications yet.</p>}
      {rows && rows.length > 0 && (
        <div className="table-wrap">
          <table className="admin-table">
            <caption className="visually-hidden">Latest drift report of each application</caption>
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">Last report</th>
                <th scope="col">Lost by the target</th>
                <th scope="col">Not granted by Gatehouse</th>
                <th scope="col">Could not compare</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`#/admin/drift/${encodeURIComponent(r.id)}`}>{r.name}</a>
                  </td>
                  {r.error ? (
                    <td colSpan={4}>
                      <ErrorMessage error={r.error} />
                    </td>
                  ) : r.report === undefined ? (
                    <td colSpan={4} className="muted">
                      Loading…
                    </td>
                  ) : r.report === null ? (
                    <td colSpan={4} className="muted">
                      No report yet
                    </td>
                  ) : (
                    <>
                      <td title={formatDateTime(r.report.generatedAt)}>{relativeTime(r.report.generatedAt)}</td>
                      <td>{r.report.missing.length}</td>
                      <td>{r.report.unmanaged.length}</td>
                      <td>{r.report.errors.length}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
