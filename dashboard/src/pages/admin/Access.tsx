// Admin console: Access (placeholder until the screen is built).
export function AccessAdmin() {
  return (
    <>
      <h1>Access</h1>
      <p>Nothing here yet.</p>
    </>
  );
}
