// One application's latest drift report (#/admin/drift/<appId>): run it now, and grant again, per finding,
// access the target lost while its grant is active.
import { useEffect, useState } from 'react';
import { adminPeople, type DriftReport } from '../../../api/admin-people';
import { ErrorMessage } from '../../../components/Messages';
import { useSession } from '../../../session-context';
import { formatDateTime, relativeTime } from '../../../time';

type Finding = DriftReport['missing'][number];
const key = (f: Finding) => `${f.userId}:${f.entitlementId}`;

export function DriftReportPage({ appId }: { appId: string }) {
  const { api } = useSession();
  const [name, setName] = useState(appId);
  const [report, setReport] = useState<DriftReport | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  /** Per finding: being re-applied, re-applied, or the error it met. */
  const [reapplied, setReapplied] = useState<Record<string, 'busy' | 'done' | { error: unknown }>>({});

  useEffect(() => {
    const controller = new AbortController();
    adminPeople.app(api, appId, controller.signal).then(
      (a) => setName(a.name),
      () => undefined,
    );
    adminPeople.drift(api, appId, controller.signal).then(setReport, (err: unknown) => {
      if (!controller.signal.aborted) setError(err);
    });
    return () => controller.abort();
  }, [api, appId]);

  async function runNow() {
    setRunning(true);
    setError(null);
    try {
      setReport(await adminPeople.runDrift(api, appId));
      setReapplied({});
    } catch (err) {
      setError(err);
    } finally {
      setRunning(false);
    }
  }

  async function reapply(f: Finding) {
    setReapplied((r) => ({ ...r, [key(f)]: 'busy' }));
    try {
      await adminPeople.reapply(api, appId, { userId: f.userId, entitlementId: f.entitlementId });
      setReapplied((r) => ({ ...r, [key(f)]: 'done' }));
    } catch (err) {
      setReapplied((r) => ({ ...r, [key(f)]: { error: err } }));
    }
  }

  return (
    <article>
      <p>
        <a href="#/admin/drift">← Drift</a>
      </p>
      <div className="page-head">
        <h1>Drift of {name}</h1>
        <button type="button" className="button primary" disabled={running} onClick={() => void runNow()}>
          {running ? 'Running…' : 'Run now'}
        </button>
      </div>
      <ErrorMessage error={error} />
      {report === undefined && !error && <p className="muted">Loading…</p>}
      {report === null && <p className="empty">No report yet: one runs every hour, or run it now.</p>}
      {report && (
        <>
          <p role="status">
            Report of <time dateTime={report.generatedAt}>{formatDateTime(report.generatedAt)}</time> (
            {relativeTime(report.generatedAt)}).
          </p>

          <section aria-labelledby="drift-missing">
            <h2 id="drift-missing">Granted, but lost by the target ({report.missing.length})</h2>
            {!report.missing.length ? (
              <p className="empty">Every active grant is in place in the target.</p>
            ) : (
              <table className="admin-table">
                <caption className="visually-hidden">Grants the target does not show</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Entitlement</th>
                    <th scope="col">Ticket</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.missing.map((f) => {
                    const state = reapplied[key(f)];
                    return (
                      <tr key={key(f)}>
                        <td>
                          <a href={`#/admin/people/${encodeURIComponent(f.userId)}`}>{f.userId}</a>
                        </td>
                        <td>{f.entitlementId}</td>
                        <td>
                          <a href={`#/tickets/${encodeURIComponent(f.ticketId)}`}>{f.ticketId}</a>
                        </td>
                        <td>
                          {state === 'done' ? (
                            <span role="status">Re-applied</span>
                          ) : (
                            <button
                              type="button"
                              className="small"
                              disabled={state === 'busy'}
                              aria-label={`Re-apply ${f.entitlementId} for ${f.userId}`}
                              onClick={() => void reapply(f)}
                            >
                              {state === 'busy' ? 'Re-applying…' : 'Re-apply'}
                            </button>
                          )}
                          {typeof state === 'object' && <ErrorMessage error={state.error} />}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>

          <section aria-labelledby="drift-unmanaged">
            <h2 id="drift-unmanaged">In the target, not granted by Gatehouse ({report.unmanaged.length})</h2>
            {!report.unmanaged.length ? (
              <p className="empty">Nobody holds access Gatehouse did not grant.</p>
            ) : (
              <table className="admin-table">
                <caption className="visually-hidden">Access in the target without a grant</caption>
                <thead>
                  <tr>
                    <th scope="col">Account</th>
                    <th scope="col">Person</th>
                    <th scope="col">Entitlement</th>
                  </tr>
                </thead>
                <tbody>
                  {report.unmanaged.map((u) => (
                    <tr key={`${u.account}:${u.entitlementId}`}>
                      <td>
                        <code>{u.account}</code>
                      </td>
                      <td>
                        {u.userId ? (
                          <a href={`#/admin/people/${encodeURIComponent(u.userId)}`}>{u.userId}</a>
                        ) : (
                          <span className="muted">unknown</span>
                        )}
                      </td>
                      <td>{u.entitlementId}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          {report.errors.length > 0 && (
            <section aria-labelledby="drift-errors">
              <h2 id="drift-errors">Could not compare ({report.errors.length})</h2>
              <ul>
                {report.errors.map((e) => (
                  <li key={e.entitlementId}>
                    <strong>{e.entitlementId}</strong>: <code>{e.code}</code> {e.message}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </article>
  );
}
