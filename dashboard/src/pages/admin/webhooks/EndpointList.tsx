// Every webhook endpoint with its subscription and how its latest delivery went.
import { useState } from 'react';
import { webhooksApi, type WebhookDelivery, type WebhookEndpoint } from '../../../api/admin-ops';
import { ErrorMessage } from '../../../components/Messages';
import { usePolling } from '../../../hooks';
import { useSession } from '../../../session-context';
import { relativeTime } from '../../../time';
import { DeliveryStatusBadge } from './DeliveryStatus';

const POLL_MS = 10_000;

interface Row {
  endpoint: WebhookEndpoint;
  last: WebhookDelivery | null;
}

export function EndpointList() {
  const { api } = useSession();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  usePolling(
    async (signal) => {
      try {
        const hooks = webhooksApi(api);
        const endpoints = await hooks.list(signal);
        // One small read per endpoint: endpoints are few, and their latest delivery is what an admin scans for.
        const lasts = await Promise.all(
          endpoints.map((e) => hooks.deliveries(e.id, { limit: 1 }, signal).then((p) => p.items[0] ?? null)),
        );
        if (signal.aborted) return;
        setRows(endpoints.map((endpoint, i) => ({ endpoint, last: lasts[i] })));
        setError(null);
      } catch (err) {
        if (!signal.aborted) setError(err);
      }
    },
    POLL_MS,
    true,
    [api],
  );

  return (
    <>
      <div className="page-head">
        <h1>Webhooks</h1>
        <a className="button primary" href="#/admin/webhooks/new">
          + New endpoint
        </a>
      </div>
      <p className="lede">
        Endpoints receive ticket events as signed POSTs, retried with backoff until they answer 2xx.
      </p>
      <ErrorMessage error={error} />
      {!rows && !error && <p aria-busy="true">Loading endpoints…</p>}
      {rows && rows.length === 0 && <p className="empty">No webhook endpoints yet.</p>}
      {rows && rows.length > 0 && (
        <div className="table-wrap">
          <table className="tickets">
            <caption className="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Enabled</th>
                <th scope="col">Last delivery</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ endpoint, last }) => (
                <tr key={endpoint.id}>
                  <td className="comment">
                    <a href={`#/admin/webhooks/${encodeURIComponent(endpoint.id)}`}>{endpoint.url}</a>
                    {endpoint.description && <div className="muted">{endpoint.description}</div>}
                  </td>
                  <td className="comment">
                    {endpoint.events.includes('*') ? 'All events' : endpoint.events.join(', ')}
                  </td>
                  <td>{endpoint.enabled ? 'Yes' : 'No (disabled)'}</td>
                  <td>
                    {last ? (
                      <>
                        <DeliveryStatusBadge status={last.status} />{' '}
                        <span className="muted">{relativeTime(last.lastAttemptAt ?? last.createdAt)}</span>
                      </>
                    ) : (
                      <span className="muted">None yet</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
