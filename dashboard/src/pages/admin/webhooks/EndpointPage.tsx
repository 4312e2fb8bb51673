// One webhook endpoint: its settings (edit, enable or disable, delete), its signing secret's rotation, and its
// recent deliveries, paged by the server, with each one's attempts and a replay for those that failed.
import { useState } from 'react';
import { webhooksApi, type DeliveryStatus, type WebhookDelivery, type WebhookEndpoint } from '../../../api/admin-ops';
import { CursorPager, useCursorPages } from '../../../components/CursorPager';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { ErrorMessage } from '../../../components/Messages';
import { usePolling } from '../../../hooks';
import { navigate } from '../../../route';
import { useSession } from '../../../session-context';
import { formatDateTime, relativeTime } from '../../../time';
import { DeliveryAttempts } from './DeliveryAttempts';
import { DeliveryStatusBadge } from './DeliveryStatus';
import { EndpointForm } from './EndpointForm';
import { SecretOnce } from './SecretOnce';
import { nextAttemptAt } from './timing';

const PAGE_SIZE = 20;
const POLL_MS = 3_000;
const NOT_FOUND = { WEBHOOK_NOT_FOUND: 'There is no such webhook endpoint (any more).' };

export function EndpointPage({ id }: { id: string }) {
  const { api } = useSession();
  const hooks = webhooksApi(api);
  const [endpoint, setEndpoint] = useState<WebhookEndpoint | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);

  usePolling(
    async (signal) => {
      try {
        const e = await hooks.get(id, signal);
        if (!signal.aborted) setEndpoint(e);
      } catch (err) {
        if (!signal.aborted) setError(err);
      }
    },
    60_000,
    false,
    [api, id],
  );

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setActionError(null);
    try {
      await action();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  }

  if (error)
    return (
      <>
        <h1>Webhook endpoint</h1>
        <ErrorMessage error={error} context={NOT_FOUND} />
        <a href="#/admin/webhooks">← All endpoints</a>
      </>
    );
  if (!endpoint) return <p aria-busy="true">Loading {id}…</p>;

  return (
    <>
      <p>
        <a href="#/admin/webhooks">← All endpoints</a>
      </p>
      <div className="page-head">
        <h1 className="comment">{endpoint.url}</h1>
      </div>
      <dl className="summary">
        <dt>Id</dt>
        <dd>{endpoint.id}</dd>
        <dt>Events</dt>
        <dd>{endpoint.events.includes('*') ? 'All events' : endpoint.events.join(', ')}</dd>
        <dt>Enabled</dt>
        <dd>{endpoint.enabled ? 'Yes' : 'No: gets no new deliveries, and cannot be replayed to'}</dd>
        {endpoint.description && (
          <>
            <dt>Description</dt>
            <dd>{endpoint.description}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          {formatDateTime(endpoint.createdAt)} by {endpoint.createdBy}
        </dd>
      </dl>

      {secret && <SecretOnce secret={secret} rotated onDone={() => setSecret(null)} />}

      {editing ? (
        <EndpointForm
          initial={endpoint}
          submitLabel="Save endpoint"
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            setEndpoint(await hooks.update(id, body));
            setEditing(false);
          }}
        />
      ) : (
        <div className="row actions">
          <button type="button" onClick={() => setEditing(true)} disabled={busy}>
            Edit
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => void act(async () => setEndpoint(await hooks.update(id, { enabled: !endpoint.enabled })))}
          >
            {endpoint.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" onClick={() => setConfirm('rotate')} disabled={busy}>
            Rotate secret
          </button>
          <button type="button" className="danger" onClick={() => setConfirm('delete')} disabled={busy}>
            Delete
          </button>
        </div>
      )}
      <ErrorMessage error={actionError} context={NOT_FOUND} />

      {confirm === 'rotate' && (
        <ConfirmDialog
          confirmation={{
            title: 'Rotate the signing secret?',
            text: 'The current secret stops signing at once: every delivery from now on, retries included, is signed with the new one. Your consumer fails verification until it has the new secret.',
            confirm: 'Yes, rotate secret',
            tone: 'primary',
            errors: NOT_FOUND,
          }}
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            setSecret((await hooks.rotateSecret(id)).secret);
            setConfirm(null);
          }}
        />
      )}
      {confirm === 'delete' && (
        <ConfirmDialog
          confirmation={{
            title: 'Delete this endpoint?',
            text: 'Its delivery history goes with it, and its pending deliveries stop at their next attempt.',
            confirm: 'Yes, delete endpoint',
            tone: 'danger',
            errors: NOT_FOUND,
          }}
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            await hooks.remove(id);
            navigate('#/admin/webhooks');
          }}
        />
      )}

      <Deliveries endpoint={endpoint} />
    </>
  );
}

function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { api } = useSession();
  const hooks = webhooksApi(api);
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [open, setOpen] = useState<string | null>(null);
  const [replaying, setReplaying] = useState<string | null>(null);
  const [replayed, setReplayed] = useState<string | null>(null);
  const [replayError, setReplayError] = useState<unknown>(null);
  const pages = useCursorPages(
    (cursor, signal) =>
      hooks.deliveries(endpoint.id, { status: status || undefined, limit: PAGE_SIZE, cursor }, signal),
    JSON.stringify([endpoint.id, status]),
    { pollMs: POLL_MS },
  );
  const { page, reload } = pages;

  async function replay(d: WebhookDelivery) {
    setReplaying(d.id);
    setReplayError(null);
    try {
      const r = await hooks.replay(endpoint.id, d.id);
      setReplayed(`Replay ${r.replay} of ${d.eventType} ${d.ticketId} started.`);
      setOpen(d.id);
      reload();
    } catch (err) {
      setReplayError(err);
    } finally {
      setReplaying(null);
    }
  }

  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Recent deliveries</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deliveries">
        <div className="field">
          <label htmlFor="delivery-status">Status</label>
          <select
            id="delivery-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as DeliveryStatus | '')}
          >
            <option value="">All</option>
            <option value="pending">Retrying</option>
            <option value="failed">Failed</option>
            <option value="delivered">Delivered</option>
          </select>
        </div>
      </form>
      <ErrorMessage error={pages.error} />
      <ErrorMessage
        error={replayError}
        context={{ WEBHOOK_DISABLED: 'This endpoint is disabled: enable it before replaying its deliveries.' }}
      />
      <p role="status">{replayed}</p>
      {!page && !pages.error && <p aria-busy="true">Loading deliveries…</p>}
      {page && page.items.length === 0 && <p className="empty">No deliveries {status ? 'with this status' : 'yet'}.</p>}
      {page && page.items.length > 0 && (
        <div className="table-wrap">
          <table className="tickets">
            <caption className="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Next attempt</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((d) => {
                const next = nextAttemptAt(d);
                return (
                  <tr key={d.id}>
                    <td>
                      {d.eventType} <a href={`#/tickets/${encodeURIComponent(d.ticketId)}`}>{d.ticketId}</a>
                      <div className="muted">{d.eventId}</div>
                    </td>
                    <td>
                      <DeliveryStatusBadge status={d.status} />
                      {d.replays > 0 && <div className="muted">replayed {d.replays}×</div>}
                    </td>
                    <td>{d.attempts}</td>
                    <td className="comment">
                      {d.lastStatusCode ?? (d.lastAttemptAt ? 'No response' : '')}
                      {d.lastError && <div className="muted">{d.lastError}</div>}
                    </td>
                    <td>{relativeTime(d.lastAttemptAt)}</td>
                    <td>{next ? `about ${relativeTime(next)}` : ''}</td>
                    <td>
                      <div className="row">
                        <button
                          type="button"
                          className="small"
                          aria-expanded={open === d.id}
                          aria-label={`Attempts of ${d.eventType} ${d.ticketId}`}
                          onClick={() => setOpen(open === d.id ? null : d.id)}
                        >
                          Attempts
                        </button>
                        {d.status === 'failed' && (
                          <button
                            type="button"
                            className="small primary"
                            disabled={replaying !== null || !endpoint.enabled}
                            aria-label={`Replay ${d.eventType} ${d.ticketId}`}
                            onClick={() => void replay(d)}
                          >
                            Replay
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager pages={pages} label="Pages of deliveries" />
      {open && (
        <DeliveryAttempts
          key={open}
          endpointId={endpoint.id}
          deliveryId={open}
          listed={page?.items.find((d) => d.id === open)}
        />
      )}
    </section>
  );
}
