// Admin console: Audit log (placeholder until the screen is built).
export function AuditAdmin() {
  return (
    <>
      <h1>Audit log</h1>
      <p>Nothing here yet.</p>
    </>
  );
}
