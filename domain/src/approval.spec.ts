import {
  decisionRefusal,
  initialApproval,
  isFullyApproved,
  recordApproval,
  recordRejection,
  skipRemaining,
} from './approval';
import type { ApprovalState } from './ticket';

const steps = [
  { name: 'Lead', approvers: ['user:carol'], minApprovals: 1 },
  { name: 'IT', approvers: ['group:it-admins', 'role:admin'], minApprovals: 2 },
];
const person = (id: string, groups: string[] = [], roles: string[] = []) => ({ id, groups, roles });
const subject = (approval: ApprovalState, status: 'pending' | 'approved' = 'pending') => ({
  status,
  requesterId: 'alice',
  beneficiaryId: 'bob',
  approval,
});

describe('approval state machine', () => {
  test('starts waiting on the first step, awaiting its approvers', () => {
    const a = initialApproval(steps);
    expect(a.currentStep).toBe(0);
    expect(a.awaiting).toEqual(['user:carol']);
    expect(a.steps.map((s) => s.state)).toEqual(['waiting', 'waiting']);
  });

  test('steps complete in order, each with minApprovals distinct approvers', () => {
    let a = initialApproval(steps);
    a = recordApproval(a, 'carol');
    expect([a.currentStep, a.awaiting]).toEqual([1, ['group:it-admins', 'role:admin']]);
    a = recordApproval(a, 'dave');
    expect(a.steps[1]).toMatchObject({ state: 'waiting', approvedBy: ['dave'] });
    expect(isFullyApproved(a)).toBe(false);
    a = recordApproval(a, 'root');
    expect(isFullyApproved(a)).toBe(true);
    expect(a.awaiting).toEqual([]);
  });

  test('the requester cannot approve their own ticket', () => {
    expect(
      decisionRefusal(
        subject(initialApproval([{ name: 'x', approvers: ['group:eng'], minApprovals: 1 }])),
        person('alice', ['eng']),
      ),
    ).toBe('NOT_AN_APPROVER');
  });

  test('the beneficiary cannot approve a ticket raised for them', () => {
    expect(
      decisionRefusal(
        subject(initialApproval([{ name: 'x', approvers: ['user:bob'], minApprovals: 1 }])),
        person('bob'),
      ),
    ).toBe('NOT_AN_APPROVER');
  });

  test('an approver of a later step may not decide the current one', () => {
    expect(decisionRefusal(subject(initialApproval(steps)), person('dave', ['it-admins']))).toBe('NOT_AN_APPROVER');
  });

  test('eligibility follows user, group and role rules', () => {
    const a = recordApproval(initialApproval(steps), 'carol');
    expect(decisionRefusal(subject(a), person('dave', ['it-admins']))).toBeNull();
    expect(decisionRefusal(subject(a), person('root', [], ['admin']))).toBeNull();
    expect(decisionRefusal(subject(a), person('mallory', ['sales'], ['viewer']))).toBe('NOT_AN_APPROVER');
  });

  test('the same person twice on one step is ALREADY_DECIDED', () => {
    const a = recordApproval(recordApproval(initialApproval(steps), 'carol'), 'dave');
    expect(decisionRefusal(subject(a), person('dave', ['it-admins']))).toBe('ALREADY_DECIDED');
  });

  test('nothing is decided once the ticket left pending', () => {
    expect(decisionRefusal(subject(initialApproval(steps), 'approved'), person('carol'))).toBe('TICKET_NOT_PENDING');
  });

  test('a rejection rejects the current step and skips the rest', () => {
    const a = recordRejection(
      recordApproval(initialApproval([...steps, { name: 'Last', approvers: ['user:x'], minApprovals: 1 }]), 'carol'),
    );
    expect(a.steps.map((s) => s.state)).toEqual(['approved', 'rejected', 'skipped']);
    expect(a.awaiting).toEqual([]);
  });

  test('a cancelled ticket skips every step still waiting', () => {
    expect(skipRemaining(recordApproval(initialApproval(steps), 'carol')).steps.map((s) => s.state)).toEqual([
      'approved',
      'skipped',
    ]);
  });

  test('state is never mutated in place', () => {
    const a = initialApproval(steps);
    recordApproval(a, 'carol');
    recordRejection(a);
    expect(a.steps[0]).toMatchObject({ state: 'waiting', approvedBy: [] });
  });
});
