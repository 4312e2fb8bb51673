// A delivery's state in words and colour, reusing the ticket status styles.
import type { DeliveryStatus } from '../../../api/admin-ops';

const LOOK: Record<DeliveryStatus, { label: string; className: string; icon: string }> = {
  pending: { label: 'Retrying', className: 'status-pending', icon: '◷' },
  delivered: { label: 'Delivered', className: 'status-approved', icon: '✓' },
  failed: { label: 'Failed', className: 'status-rejected', icon: '✕' },
};

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  const look = LOOK[status];
  return (
    <span className={`status ${look.className}`}>
      <span className="status-icon" aria-hidden="true">
        {look.icon}
      </span>
      {look.label}
    </span>
  );
}
