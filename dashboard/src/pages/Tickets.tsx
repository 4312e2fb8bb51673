// Tickets: tabs with counts, filters, "Waiting for me", paging by cursor, refreshed every few seconds.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { AppSummary, Tab } from '../api/types';
import { CursorPager, useCursorPages } from '../components/CursorPager';
import { ErrorMessage } from '../components/Messages';
import { TicketTable } from '../components/TicketTable';
import { useDebounced } from '../hooks';
import { useSession } from '../session-context';

const TABS: { id: Tab; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'open', label: 'Open' },
  { id: 'closed', label: 'Closed' },
  { id: 'rejected', label: 'Rejected' },
];

export const POLL_MS = 4000;
const PAGE_SIZE = 25;

export function TicketsPage() {
  const { api } = useSession();
  const id = useId();
  const [tab, setTab] = useState<Tab>('all');
  const [appId, setAppId] = useState('');
  const [type, setType] = useState('');
  const [requesterInput, setRequesterInput] = useState('');
  const requesterId = useDebounced(requesterInput.trim(), 400);
  const [awaitingMe, setAwaitingMe] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const [apps, setApps] = useState<AppSummary[]>([]);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    api.apps(undefined, controller.signal).then(setApps, () => setApps([]));
    return () => controller.abort();
  }, [api]);

  const filter = {
    tab,
    appId: appId || undefined,
    type: type || undefined,
    requesterId: requesterId || undefined,
    awaitingMe,
  };
  const pages = useCursorPages(
    async (cursor, signal) => {
      const list = await api.tickets({ ...filter, limit: PAGE_SIZE, cursor }, signal);
      setNow(Date.now());
      return list;
    },
    JSON.stringify(filter),
    { pollMs: POLL_MS },
  );
  const data = pages.page;

  function onTabKey(e: KeyboardEvent, index: number) {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const next = delta
      ? (index + delta + TABS.length) % TABS.length
      : e.key === 'Home'
        ? 0
        : e.key === 'End'
          ? TABS.length - 1
          : -1;
    if (next < 0) return;
    e.preventDefault();
    setTab(TABS[next].id);
    tabRefs.current[next]?.focus();
  }

  const tabLabel = TABS.find((t) => t.id === tab)!.label;

  return (
    <section aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h1 id={`${id}-title`}>Tickets</h1>
        <a className="button primary" href="#/request">
          + Request access
        </a>
      </div>

      <div role="tablist" aria-label="Ticket status" className="tabs">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`${id}-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${id}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t.label} <span className="count">{data?.counts?.[t.id] ?? '–'}</span>
          </button>
        ))}
      </div>

      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`}>
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter tickets">
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
            <label htmlFor={`${id}-type`}>Type</label>
            <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value)}>
              <option value="">All types</option>
              <option value="request">Request</option>
              <option value="extend">Extension</option>
              <option value="reraise">Re-raise</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-requester`}>Requester (user id)</label>
            <input
              id={`${id}-requester`}
              type="search"
              value={requesterInput}
              onChange={(e) => setRequesterInput(e.target.value)}
              placeholder="e.g. alice"
              autoComplete="off"
            />
          </div>
          <div className="field toggle">
            <input
              id={`${id}-awaiting`}
              type="checkbox"
              checked={awaitingMe}
              onChange={(e) => setAwaitingMe(e.target.checked)}
            />
            <label htmlFor={`${id}-awaiting`}>Waiting for me</label>
          </div>
        </form>

        <ErrorMessage error={pages.error} />

        {data && data.items.length === 0 && (
          <p className="empty">{awaitingMe ? 'Nothing is waiting for your approval.' : 'No tickets here yet.'}</p>
        )}
        {data && data.items.length > 0 && <TicketTable items={data.items} now={now} caption={`${tabLabel} tickets`} />}
        {!data && !pages.error && <p aria-busy="true">Loading tickets…</p>}

        <CursorPager pages={pages} label="Pages" />
      </div>
    </section>
  );
}
