// Every active grant, filtered by app, entitlement, person and how soon it ends, a page at a time from
// GET /admin/grants; "Revoke" ends it through the tickets that hold it (POST /tickets/:id/revoke).
import { useEffect, useId, useRef, useState } from 'react';
import { adminPeople, type AdminApp, type Grant, type GrantFilter } from '../../../api/admin-people';
import { CursorPager, useCursorPages } from '../../../components/CursorPager';
import { ErrorMessage } from '../../../components/Messages';
import { useDebounced } from '../../../hooks';
import { useSession } from '../../../session-context';
import { formatDateTime, relativeTime } from '../../../time';
import { EndCell } from '../people/EndCell';
import { TicketLinks } from '../people/PersonPage';
import { RevokeDialog } from './RevokeDialog';

const PAGE_SIZE = 25;
const ENDING_WITHIN: [string, number | undefined][] = [
  ['Any time', undefined],
  ['1 day', 86400],
  ['7 days', 7 * 86400],
  ['30 days', 30 * 86400],
];

export function AccessList() {
  const { api } = useSession();
  const id = useId();
  const [apps, setApps] = useState<{ id: string; name: string }[]>([]);
  const [app, setApp] = useState<AdminApp | null>(null);
  const [appId, setAppId] = useState('');
  const [entitlementId, setEntitlementId] = useState('');
  const [user, setUser] = useState('');
  const [ending, setEnding] = useState(0);
  const [revoking, setRevoking] = useState<Grant | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const userId = useDebounced(user.trim(), 300);

  useEffect(() => {
    const controller = new AbortController();
    adminPeople.apps(api, controller.signal).then(setApps, () => setApps([]));
    return () => controller.abort();
  }, [api]);

  useEffect(() => {
    setEntitlementId('');
    setApp(null);
    if (!appId) return;
    const controller = new AbortController();
    adminPeople.app(api, appId, controller.signal).then(setApp, () => setApp(null));
    return () => controller.abort();
  }, [api, appId]);

  const filter: GrantFilter = {
    appId: appId || undefined,
    entitlementId: entitlementId || undefined,
    // A user id holds only these characters; anything else would be refused, so it is not sent.
    userId: /^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(userId) ? userId : undefined,
    endingWithinSeconds: ENDING_WITHIN[ending][1],
  };
  const paged = useCursorPages(
    (cursor, signal) => adminPeople.grants(api, { ...filter, limit: PAGE_SIZE, cursor }, signal),
    JSON.stringify(filter),
  );
  const grants = paged.page?.items ?? [];

  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  return (
    <>
      <h1>Access</h1>
      <form className="filters" role="search" aria-label="Filter access" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={`${id}-app`}>Application</label>
          <select id={`${id}-app`} value={appId} onChange={(e) => setAppId(e.target.value)}>
            <option value="">All applications</option>
            {apps.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-ent`}>Entitlement</label>
          <select
            id={`${id}-ent`}
            value={entitlementId}
            disabled={!app}
            onChange={(e) => setEntitlementId(e.target.value)}
          >
            <option value="">{app ? 'All entitlements' : 'Choose an application first'}</option>
            {app?.entitlements.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-user`}>Person (user id)</label>
          <input id={`${id}-user`} type="search" value={user} onChange={(e) => setUser(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-ending`}>Ending within</label>
          <select id={`${id}-ending`} value={ending} onChange={(e) => setEnding(Number(e.target.value))}>
            {ENDING_WITHIN.map(([label], i) => (
              <option key={label} value={i}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {notice && (
        <p className="notice" role="status" tabIndex={-1} ref={noticeRef}>
          {notice}
        </p>
      )}
      <ErrorMessage error={paged.error} />
      {!paged.page && !paged.error && <p className="muted">Loading…</p>}
      {paged.page && grants.length > 0 && (
        <div className="table-wrap">
          <table className="admin-table" aria-busy={paged.loading}>
            <caption className="visually-hidden">Active access</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Application</th>
                <th scope="col">Entitlement</th>
                <th scope="col">Since</th>
                <th scope="col">Ends</th>
                <th scope="col">Through</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {grants.map((g) => (
                <tr key={`${g.appId}:${g.userId}:${g.entitlementId}`}>
                  <td>
                    <a href={`#/admin/people/${encodeURIComponent(g.userId)}`}>{g.userId}</a>
                  </td>
                  <td>{g.appId}</td>
                  <td>{g.entitlementId}</td>
                  <td title={formatDateTime(g.start)}>{relativeTime(g.start)}</td>
                  <td>
                    <EndCell end={g.end} />
                  </td>
                  <td>
                    <TicketLinks grant={g} />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="small danger"
                      aria-label={`Revoke ${g.entitlementId} in ${g.appId} from ${g.userId}`}
                      onClick={() => {
                        setNotice(null);
                        setRevoking(g);
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {paged.page && !grants.length && <p className="empty">No active access matches.</p>}
      <CursorPager pages={paged} label="Access pages" words="order" hideSinglePage />
      {revoking && (
        <RevokeDialog
          grant={revoking}
          onClose={() => setRevoking(null)}
          onDone={(ticketIds) => {
            setRevoking(null);
            setNotice(
              `Revoked ${revoking.entitlementId} in ${revoking.appId} from ${revoking.userId} (${ticketIds.join(', ')}).`,
            );
            paged.reload();
          }}
        />
      )}
    </>
  );
}
