// Admin console: Webhooks. `#/admin/webhooks` lists the endpoints, `#/admin/webhooks/new` registers one,
// `#/admin/webhooks/<id>` is one endpoint with its deliveries.
import { useState } from 'react';
import { webhooksApi, type WebhookWithSecret } from '../../api/admin-ops';
import { navigate } from '../../route';
import { useSession } from '../../session-context';
import { EndpointForm } from './webhooks/EndpointForm';
import { EndpointList } from './webhooks/EndpointList';
import { EndpointPage } from './webhooks/EndpointPage';
import { SecretOnce } from './webhooks/SecretOnce';

export function WebhooksAdmin({ id }: { id?: string }) {
  if (id === 'new') return <NewEndpoint />;
  if (id) return <EndpointPage key={id} id={id} />;
  return <EndpointList />;
}

function NewEndpoint() {
  const { api } = useSession();
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const open = (endpointId: string) => navigate(`#/admin/webhooks/${encodeURIComponent(endpointId)}`);
  return (
    <>
      <p>
        <a href="#/admin/webhooks">← All endpoints</a>
      </p>
      <h1>New webhook endpoint</h1>
      {created ? (
        <>
          <p>
            Endpoint <strong>{created.id}</strong> for {created.url} is registered.
          </p>
          <SecretOnce secret={created.secret} onDone={() => open(created.id)} />
        </>
      ) : (
        <EndpointForm
          submitLabel="Create endpoint"
          onCancel={() => navigate('#/admin/webhooks')}
          onSubmit={async (body) => setCreated(await webhooksApi(api).create(body))}
        />
      )}
    </>
  );
}
