// Admin console: Applications (placeholder until the screen is built).
export function AppsAdmin({ id }: { id?: string }) {
  return (
    <>
      <h1>Applications</h1>
      <p>{id ? `Loading ${id}…` : 'Nothing here yet.'}</p>
    </>
  );
}
