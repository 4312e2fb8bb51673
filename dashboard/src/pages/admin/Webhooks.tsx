// Admin console: Webhooks (placeholder until the screen is built).
export function WebhooksAdmin({ id }: { id?: string }) {
  return (
    <>
      <h1>Webhooks</h1>
      <p>{id ? `Loading ${id}…` : 'Nothing here yet.'}</p>
    </>
  );
}
