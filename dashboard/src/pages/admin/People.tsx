// Admin console: People (placeholder until the screen is built).
export function PeopleAdmin({ id }: { id?: string }) {
  return (
    <>
      <h1>People</h1>
      <p>{id ? `Loading ${id}…` : 'Nothing here yet.'}</p>
    </>
  );
}
