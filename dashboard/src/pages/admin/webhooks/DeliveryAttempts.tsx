// One delivery's attempts, run by run (the first run, then each replay), refreshed while it is retrying.
import { useState } from 'react';
import { webhooksApi, type WebhookDelivery, type WebhookDeliveryDetail } from '../../../api/admin-ops';
import { ErrorMessage } from '../../../components/Messages';
import { usePolling } from '../../../hooks';
import { useSession } from '../../../session-context';
import { formatDateTime } from '../../../time';
import { nextAttemptAt } from './timing';

const POLL_MS = 2_000;

/** `listed` is the delivery as the list last showed it: a change there (a replay started) refreshes the attempts. */
export function DeliveryAttempts({
  endpointId,
  deliveryId,
  listed,
}: {
  endpointId: string;
  deliveryId: string;
  listed?: Pick<WebhookDelivery, 'status' | 'replays' | 'attempts'>;
}) {
  const { api } = useSession();
  const [detail, setDetail] = useState<WebhookDeliveryDetail | null>(null);
  const [error, setError] = useState<unknown>(null);

  usePolling(
    async (signal) => {
      try {
        const d = await webhooksApi(api).delivery(endpointId, deliveryId, signal);
        if (signal.aborted) return;
        setDetail(d);
        setError(null);
      } catch (err) {
        if (!signal.aborted) setError(err);
      }
    },
    POLL_MS,
    listed?.status === 'pending' || (detail?.status !== 'delivered' && detail?.status !== 'failed'),
    [api, endpointId, deliveryId, listed?.status, listed?.replays, listed?.attempts],
  );

  const next = detail ? nextAttemptAt(detail, detail.history) : null;
  return (
    <section className="card" aria-label={`Attempts of ${deliveryId}`}>
      <h3>Attempts of {detail ? `${detail.eventType} ${detail.ticketId}` : deliveryId}</h3>
      <ErrorMessage error={error} />
      {!detail && !error && <p aria-busy="true">Loading attempts…</p>}
      {detail && detail.history.length === 0 && <p className="empty">Not attempted yet.</p>}
      {detail && detail.history.length > 0 && (
        <div className="table-wrap">
          <table className="tickets">
            <caption className="visually-hidden">Attempts</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Attempt</th>
                <th scope="col">At</th>
                <th scope="col">Response</th>
                <th scope="col">Error</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {detail.history.map((a) => (
                <tr key={`${a.replay}.${a.attempt}`}>
                  <td>{a.replay === 0 ? 'First run' : `Replay ${a.replay}`}</td>
                  <td>{a.attempt}</td>
                  <td>{formatDateTime(a.at)}</td>
                  <td>{a.statusCode ?? 'No response'}</td>
                  <td className="comment">{a.error ?? ''}</td>
                  <td>{a.durationMs} ms</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && <p className="muted">Next attempt about {formatDateTime(next)}.</p>}
    </section>
  );
}
