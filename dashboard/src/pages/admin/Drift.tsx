// Admin console: Drift (placeholder until the screen is built).
export function DriftAdmin({ id }: { id?: string }) {
  return (
    <>
      <h1>Drift</h1>
      <p>{id ? `Loading ${id}…` : 'Nothing here yet.'}</p>
    </>
  );
}
