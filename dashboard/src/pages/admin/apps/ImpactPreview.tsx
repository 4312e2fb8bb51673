// What saving would do, from the API's impact preview: one line per fact, the people behind each count
// (as many as the API lists), and the open tickets concerned.
import type { AppImpact, PeopleDelta } from '../../../api/admin-apps';

function People({ delta, label }: { delta: PeopleDelta; label: string }) {
  if (!delta.count) return null;
  const more = delta.count - delta.people.length;
  return (
    <p className="small">
      {label}: {delta.people.map((p) => p.name ?? p.id).join(', ')}
      {more > 0 ? ` and ${more} more` : ''}
    </p>
  );
}

export function ImpactPreview({ impact, stale }: { impact: AppImpact | null; stale: boolean }) {
  return (
    <section className="card impact" aria-labelledby="impact-title" aria-live="polite" aria-busy={stale}>
      <h2 id="impact-title">Impact preview</h2>
      {!impact && <p className="muted">Checking the change…</p>}
      {impact && !impact.summary.length && <p>No change to who approves what, and no open ticket concerned.</p>}
      {impact && impact.summary.length > 0 && (
        <ul className="impact-lines">
          {impact.summary.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {impact?.steps.map((s) => (
        <div key={`${s.scope}:${s.entitlementId ?? ''}:${s.index}`}>
          <People delta={s.becomeApprovers} label={`Step ${s.index + 1} (${s.name}), new approvers`} />
          <People delta={s.stopApprovers} label={`Step ${s.index + 1} (${s.name}), no longer approvers`} />
        </div>
      ))}
      {impact && impact.openTickets.count > 0 && (
        <p className="small">
          Open tickets:{' '}
          {impact.openTickets.ids.map((t, i) => (
            <span key={t}>
              {i > 0 && ', '}
              <a href={`#/tickets/${t}`}>{t}</a>
            </span>
          ))}
        </p>
      )}
    </section>
  );
}
