// Status as an icon *and* text: colour alone never carries the meaning.
import type { AccessState, TicketStatus } from '../api/types';

const STATUS: Record<TicketStatus, { icon: string; label: string }> = {
  pending: { icon: '◷', label: 'Open' },
  approved: { icon: '✓', label: 'Approved' },
  rejected: { icon: '✕', label: 'Rejected' },
  cancelled: { icon: '⊘', label: 'Cancelled' },
};

export function StatusBadge({ status }: { status: TicketStatus }) {
  const s = STATUS[status] ?? { icon: '•', label: status };
  return (
    <span className={`status status-${status}`}>
      <span aria-hidden="true" className="status-icon">
        {s.icon}
      </span>
      {s.label}
    </span>
  );
}

const ACCESS: Record<AccessState, string> = {
  pending: 'Waiting for approval',
  scheduled: 'Approved, starts later',
  applying: 'Being applied',
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
  removed: 'Removed',
  failed: 'Failed to apply',
  none: 'No access',
};

export function accessLabel(state: AccessState): string {
  return ACCESS[state] ?? state;
}

export function AccessBadge({ state }: { state: AccessState }) {
  return <span className={`access access-${state}`}>{accessLabel(state)}</span>;
}
