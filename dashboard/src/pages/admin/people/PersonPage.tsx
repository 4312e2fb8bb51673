// One person: who they are in the directory (groups, roles, manager, their account in each app), what they
// hold now (with its end), the tickets for them or raised by them, and the leaver workflow's progress when they left.
import { useEffect, useState } from 'react';
import { adminPeople, type DirectoryUser, type Grant } from '../../../api/admin-people';
import type { TicketList } from '../../../api/types';
import { ErrorMessage } from '../../../components/Messages';
import { StatusBadge } from '../../../components/Status';
import { useSession } from '../../../session-context';
import { formatDateTime, relativeTime } from '../../../time';
import { EndCell } from './EndCell';

export function PersonPage({ userId }: { userId: string }) {
  const { api } = useSession();
  const [user, setUser] = useState<DirectoryUser | null>(null);
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [tickets, setTickets] = useState<TicketList | null>(null);
  const [role, setRole] = useState<'for' | 'by'>('for');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    const failed = (err: unknown) => !controller.signal.aborted && setError(err);
    adminPeople.user(api, userId, controller.signal).then(setUser, failed);
    adminPeople.grantsOf(api, userId, controller.signal).then(setGrants, failed);
    return () => controller.abort();
  }, [api, userId]);

  useEffect(() => {
    const controller = new AbortController();
    setTickets(null);
    adminPeople
      .ticketsOf(api, userId, role, null, controller.signal)
      .then(setTickets, (err: unknown) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [api, userId, role]);

  async function moreTickets() {
    if (!tickets?.nextCursor) return;
    const more = await adminPeople.ticketsOf(api, userId, role, tickets.nextCursor).catch((err: unknown) => {
      setError(err);
      return null;
    });
    if (more) setTickets({ ...more, items: [...tickets.items, ...more.items] });
  }

  return (
    <article className="person">
      <p>
        <a href="#/admin/people">← People</a>
      </p>
      <h1>{user ? (user.name ?? user.id) : userId}</h1>
      <ErrorMessage error={error} />
      {user && <Profile user={user} />}

      <section aria-labelledby="person-grants">
        <h2 id="person-grants">Access held</h2>
        {!grants && !error && <p className="muted">Loading…</p>}
        {grants && !grants.length && <p className="empty">No access held now.</p>}
        {grants && grants.length > 0 && (
          <div className="table-wrap">
            <table className="admin-table">
              <caption className="visually-hidden">Access held by {userId}</caption>
              <thead>
                <tr>
                  <th scope="col">Application</th>
                  <th scope="col">Entitlement</th>
                  <th scope="col">Since</th>
                  <th scope="col">Ends</th>
                  <th scope="col">Through</th>
                </tr>
              </thead>
              <tbody>
                {grants.map((g) => (
                  <tr key={`${g.appId}:${g.entitlementId}`}>
                    <td>{g.appId}</td>
                    <td>{g.entitlementId}</td>
                    <td title={formatDateTime(g.start)}>{relativeTime(g.start)}</td>
                    <td>
                      <EndCell end={g.end} />
                    </td>
                    <td>
                      <TicketLinks grant={g} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="person-tickets">
        <h2 id="person-tickets">Tickets</h2>
        <div role="group" aria-label="Which tickets">
          <button type="button" className="small" aria-pressed={role === 'for'} onClick={() => setRole('for')}>
            For them
          </button>
          <button type="button" className="small" aria-pressed={role === 'by'} onClick={() => setRole('by')}>
            Raised by them
          </button>
        </div>
        {!tickets && !error && <p className="muted">Loading…</p>}
        {tickets && !tickets.items.length && <p className="empty">No tickets.</p>}
        {tickets && tickets.items.length > 0 && (
          <div className="table-wrap">
            <table className="admin-table">
              <caption className="visually-hidden">
                {role === 'for' ? `Tickets for ${userId}` : `Tickets raised by ${userId}`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Ticket</th>
                  <th scope="col">Status</th>
                  <th scope="col">Application</th>
                  <th scope="col">{role === 'for' ? 'Raised by' : 'For'}</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {tickets.items.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <a href={`#/tickets/${encodeURIComponent(t.id)}`}>{t.id}</a>
                    </td>
                    <td>
                      <StatusBadge status={t.status} />
                    </td>
                    <td>{t.app.name}</td>
                    <td>
                      {role === 'for' ? (t.requester.name ?? t.requester.id) : (t.beneficiary.name ?? t.beneficiary.id)}
                    </td>
                    <td title={formatDateTime(t.createdAt)}>{relativeTime(t.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {tickets?.nextCursor && (
          <button type="button" onClick={() => void moreTickets()}>
            Show more tickets
          </button>
        )}
      </section>
    </article>
  );
}

function Profile({ user }: { user: DirectoryUser }) {
  const accounts = Object.entries(user.accounts);
  return (
    <>
      {user.offboarding && (
        <p className={user.offboarding.state === 'done' ? 'notice' : 'flag'} role="status">
          {user.offboarding.state === 'done'
            ? 'Offboarding done: every ticket and access of theirs has been ended.'
            : `Offboarding under way: ${user.offboarding.remaining} ticket${user.offboarding.remaining === 1 ? '' : 's'} still to end.`}
        </p>
      )}
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
        <dt>Email</dt>
        <dd>{user.email ?? '—'}</dd>
        <dt>Status</dt>
        <dd>{user.active ? 'Active' : 'Left (inactive)'}</dd>
        <dt>Manager</dt>
        <dd>
          {user.manager ? <a href={`#/admin/people/${encodeURIComponent(user.manager)}`}>{user.manager}</a> : '—'}
        </dd>
        {user.department && (
          <>
            <dt>Department</dt>
            <dd>{user.department}</dd>
          </>
        )}
        <dt>Groups</dt>
        <dd>{user.groups.length ? user.groups.join(', ') : '—'}</dd>
        <dt>Roles</dt>
        <dd>{user.roles.length ? user.roles.join(', ') : '—'}</dd>
      </dl>
      <section aria-labelledby="person-accounts">
        <h2 id="person-accounts">Accounts in applications</h2>
        {accounts.length ? (
          <table className="admin-table">
            <caption className="visually-hidden">Accounts of {user.id}</caption>
            <thead>
              <tr>
                <th scope="col">Connector</th>
                <th scope="col">Account</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map(([type, account]) => (
                <tr key={type}>
                  <td>{type}</td>
                  <td>
                    <code>{account}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="empty">No accounts recorded.</p>
        )}
      </section>
    </>
  );
}

/** The tickets through which a grant is held, each a link to the ticket. */
export function TicketLinks({ grant }: { grant: Grant }) {
  const ids = grant.holders.length ? grant.holders.map((h) => h.ticketId) : [grant.ticketId];
  return (
    <>
      {ids.map((id, i) => (
        <span key={id}>
          {i > 0 && ', '}
          <a href={`#/tickets/${encodeURIComponent(id)}`}>{id}</a>
        </span>
      ))}
      {grant.preexisting && <span className="muted"> (held before Gatehouse)</span>}
    </>
  );
}
