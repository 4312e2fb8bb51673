import { initialApproval, newTicketState, type AccessState, type TicketState } from '@gatehouse/domain';
import { nextAction } from './offboarding-activities';

const pending = (approvers: string[][]): TicketState => ({
  ...newTicketState({
    schema: 1,
    ticketId: 'TCK-1',
    type: 'request',
    action: 'add',
    requester: { id: 'kim', name: 'Kim' },
    beneficiary: { id: 'kim', name: 'Kim' },
    app: { id: 'app', name: 'App' },
    changes: [],
    duration: { type: 'indefinite' },
    reason: null,
    policy: { approval: { steps: approvers.map((a, i) => ({ name: `s${i}`, approvers: a, minApprovals: 1 })) } },
    createdAt: new Date().toISOString(),
    parentTicketId: null,
    createdBy: { id: 'kim' },
  }),
});
const approved = (access: AccessState): TicketState => ({
  ...pending([]),
  status: 'approved',
  approval: initialApproval([]),
  access: { ...pending([]).access, state: access },
});

describe('what offboarding does to a ticket, as its workflow answers', () => {
  const own = { party: true, holdsAccess: true };
  const others = { party: false, holdsAccess: false };

  test('a pending ticket of theirs is cancelled; another waiting on them loses them as an approver', () => {
    expect(nextAction(pending([['user:carol']]), 'lee', own)).toBe('cancelled');
    expect(nextAction(pending([['user:carol'], ['user:lee']]), 'lee', others)).toBe('approver_removed');
    expect(nextAction(pending([['group:it-admins']]), 'lee', others)).toBe('nothing');
  });

  test('their access is revoked once it can be, waited for while it is being granted, left when over', () => {
    for (const state of ['scheduled', 'active', 'failed'] as const)
      expect(nextAction(approved(state), 'lee', own)).toBe('revoked');
    for (const state of ['pending', 'applying'] as const) expect(nextAction(approved(state), 'lee', own)).toBe('wait');
    for (const state of ['revoked', 'expired', 'removed', 'none'] as const)
      expect(nextAction(approved(state), 'lee', own)).toBe('nothing');
    // Someone else's access, an extension or a removal holds nothing of theirs.
    expect(nextAction(approved('active'), 'lee', { party: true, holdsAccess: false })).toBe('nothing');
  });
});
