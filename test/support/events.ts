/** A ticket event's snapshot for tests of what reads events (messages, channels, webhooks); no I/O. */
import type { TicketEventSnapshot } from '@gatehouse/domain';

export function sampleTicketSnapshot(overrides: Partial<TicketEventSnapshot> = {}): TicketEventSnapshot {
  return {
    id: 'TCK-1042',
    type: 'request',
    action: 'add',
    status: 'pending',
    app: { id: 'github', name: 'GitHub' },
    requester: { id: 'alice', name: 'Alice Requester' },
    beneficiary: { id: 'alice', name: 'Alice Requester' },
    changes: [{ op: 'add', entitlementId: 'maintainer', entitlementName: 'Maintainer' }],
    duration: { type: 'limited', start: '2026-11-26T09:00:00.000Z', end: '2026-11-27T09:00:00.000Z' },
    reason: 'On-call rotation',
    approval: {
      currentStep: 0,
      awaiting: ['user:carol'],
      steps: [{ name: 'Team lead', state: 'waiting', approvers: ['user:carol'], approvedBy: [] }],
    },
    access: { state: 'pending', start: null, end: null },
    parentTicketId: null,
    ...overrides,
  };
}
