// Admin console: Audit log. Search by actor, target, action and time range; pages come from the server
// (cursor), newest first; Export downloads every matching entry, not just the page shown, as CSV or JSON Lines.
import { useId, useState, type FormEvent } from 'react';
import { auditApi, fetchAuditExport, type AuditFilter, type ExportFormat } from '../../api/admin-ops';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { ErrorMessage } from '../../components/Messages';
import { useSession } from '../../session-context';
import { loadToken } from '../../session';
import { formatDateTime, fromLocalInput } from '../../time';

const PAGE_SIZE = 50;
const KNOWN_ACTIONS = [
  'ticket.create',
  'ticket.approve',
  'ticket.reject',
  'ticket.cancel',
  'ticket.extend',
  'app.put',
  'app.delete',
  'user.put',
  'policy.put',
  'webhook.create',
  'webhook.update',
  'webhook.rotate',
  'webhook.delete',
  'webhook.replay',
  'audit.export',
];

interface FormState {
  actor: string;
  target: string;
  action: string;
  from: string;
  to: string;
}
const EMPTY: FormState = { actor: '', target: '', action: '', from: '', to: '' };

/** The filter the API takes: trimmed, empty fields left out, local times as UTC instants. */
function filterOf(form: FormState): AuditFilter {
  return {
    actor: form.actor.trim() || undefined,
    target: form.target.trim() || undefined,
    action: form.action.trim() || undefined,
    from: fromLocalInput(form.from) ?? undefined,
    to: fromLocalInput(form.to) ?? undefined,
  };
}

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function AuditAdmin() {
  const { api } = useSession();
  const id = useId();
  const [form, setForm] = useState<FormState>(EMPTY);
  // Each search is a new one, even with the same filter: it starts from the first page of what is there now.
  const [search, setSearch] = useState<{ number: number; filter: AuditFilter }>({ number: 0, filter: {} });
  const filter = search.filter;
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const pages = useCursorPages(
    (cursor, signal) => auditApi(api).list({ ...filter, limit: PAGE_SIZE, cursor }, signal),
    String(search.number),
    { clearOnNewKey: true },
  );
  const { page, error } = pages;

  function onSearch(e: FormEvent) {
    e.preventDefault();
    setSearch((s) => ({ number: s.number + 1, filter: filterOf(form) }));
  }

  async function download(format: ExportFormat) {
    setExporting(format);
    setExportError(null);
    try {
      const token = loadToken(window.sessionStorage);
      if (!token) throw new Error('Sign in again to export: your session keeps no token in this tab.');
      const { blob, filename } = await fetchAuditExport(token, format, filter);
      save(blob, filename);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(null);
    }
  }

  const field = (key: keyof FormState, label: string, props: Record<string, string> = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        value={form[key]}
        onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))}
        autoComplete="off"
        {...props}
      />
    </div>
  );

  return (
    <section aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h1 id={`${id}-title`}>Audit log</h1>
      </div>
      <p className="lede">Every decision and administrative change, as it reached the API, newest first.</p>
      <form className="filters" onSubmit={onSearch} aria-label="Search the audit log">
        {field('actor', 'Actor (user id)', { type: 'search', placeholder: 'e.g. root' })}
        {field('action', 'Action', { type: 'search', placeholder: 'e.g. webhook.create', list: `${id}-actions` })}
        <datalist id={`${id}-actions`}>
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        {field('target', 'Target (ticket, app, user or webhook id)', { type: 'search' })}
        {field('from', 'From', { type: 'datetime-local' })}
        {field('to', 'Until', { type: 'datetime-local' })}
        <div className="field toggle">
          <button type="submit" className="primary">
            Search
          </button>
        </div>
      </form>

      <div className="row actions">
        <span className="muted">Export everything matching the search:</span>
        {(['csv', 'jsonl'] as const).map((format) => (
          <button key={format} type="button" disabled={exporting !== null} onClick={() => void download(format)}>
            {exporting === format ? 'Exporting…' : format === 'csv' ? 'Export CSV' : 'Export JSON Lines'}
          </button>
        ))}
      </div>
      <ErrorMessage error={exportError} />
      <ErrorMessage error={error} />

      {!page && !error && <p aria-busy="true">Loading the audit log…</p>}
      {page && page.items.length === 0 && <p className="empty">No entries match.</p>}
      {page && page.items.length > 0 && (
        <div className="table-wrap">
          <table className="tickets">
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Status</th>
                <th scope="col">Details</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr key={e.id}>
                  <td title={e.at}>{formatDateTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>{e.target}</td>
                  <td>{e.status}</td>
                  <td className="comment">
                    {Object.entries(e.details)
                      .map(([k, v]) => `${k}: ${String(v)}`)
                      .join(', ')}
                  </td>
                  <td className="muted">{e.requestId}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager pages={pages} label="Pages of the audit log" />
    </section>
  );
}
