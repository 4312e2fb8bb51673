import type { App, ApprovalStepPolicy } from './app';
import { breakGlassEscalation, breakGlassReviewers, reviewRefusal, type ReviewSubject } from './break-glass';
import { effectivePolicy } from './effective-policy';
import { plannedNotifications, type TicketEvent } from './notifications';

const lead: ApprovalStepPolicy = { name: 'Lead', approvers: ['user:carol'], minApprovals: 1 };
const it: ApprovalStepPolicy = {
  name: 'IT',
  approvers: ['group:it'],
  minApprovals: 1,
  escalateTo: ['group:security'],
};

const subject = (over: Partial<ReviewSubject> = {}): ReviewSubject => ({
  requesterId: 'ann',
  beneficiaryId: 'ann',
  steps: [lead, it],
  review: { state: 'pending', dueAt: '2026-01-01T00:00:00.000Z', escalated: false },
  ...over,
});
const person = (id: string, groups: string[] = [], roles: string[] = []) => ({ id, groups, roles });

describe('reviewRefusal', () => {
  test('an approver of any step or an admin may review; others may not', () => {
    expect(reviewRefusal(subject(), person('carol'))).toBeNull();
    expect(reviewRefusal(subject(), person('ivan', ['it']))).toBeNull();
    expect(reviewRefusal(subject(), person('root', [], ['admin']))).toBeNull();
    expect(reviewRefusal(subject(), person('mallory', ['sales']))).toBe('FORBIDDEN');
  });

  test('never the beneficiary nor whoever broke glass for them, even an admin or an approver', () => {
    expect(reviewRefusal(subject({ beneficiaryId: 'carol' }), person('carol'))).toBe('FORBIDDEN');
    expect(reviewRefusal(subject({ requesterId: 'root' }), person('root', [], ['admin']))).toBe('FORBIDDEN');
  });

  test('fallback approvers review once the review escalated', () => {
    expect(reviewRefusal(subject(), person('sam', ['security']))).toBe('FORBIDDEN');
    const escalated = subject({ review: { state: 'pending', dueAt: '2026-01-01T00:00:00.000Z', escalated: true } });
    expect(reviewRefusal(escalated, person('sam', ['security']))).toBeNull();
  });

  test('no review, or one already done, is REVIEW_NOT_PENDING (before who is asking)', () => {
    expect(reviewRefusal(subject({ review: undefined }), person('carol'))).toBe('REVIEW_NOT_PENDING');
    const done = subject({ review: { state: 'confirmed', dueAt: '2026-01-01T00:00:00.000Z', escalated: false } });
    expect(reviewRefusal(done, person('mallory'))).toBe('REVIEW_NOT_PENDING');
  });
});

test('reviewers and escalation: the steps fallback approvers, else the admins', () => {
  expect(breakGlassReviewers([lead, it, lead], false)).toEqual(['user:carol', 'group:it']);
  expect(breakGlassReviewers([lead, it], true)).toEqual(['user:carol', 'group:it', 'group:security']);
  expect(breakGlassEscalation([lead, it])).toEqual(['group:security']);
  expect(breakGlassEscalation([lead])).toEqual(['role:admin']);
  expect(breakGlassEscalation([])).toEqual(['role:admin']);
});

test('an entitlement policy combines break-glass limits at their strictest, defaults filling absent ones', () => {
  const app: App = {
    id: 'db',
    name: 'DB',
    connector: { type: 'demo', config: {} },
    licenses: [],
    entitlements: [
      { id: 'read', kind: 'role', name: 'Read' },
      { id: 'root', kind: 'role', name: 'Root', policy: { breakGlass: { maxSeconds: 900 } } },
    ],
    policy: { approval: { steps: [lead] }, breakGlass: { maxSeconds: 7200, reviewWithinSeconds: 600 } },
  };
  expect(effectivePolicy(app, ['read']).policy.breakGlass).toEqual({ maxSeconds: 7200, reviewWithinSeconds: 600 });
  expect(effectivePolicy(app, ['root']).policy.breakGlass).toEqual({ maxSeconds: 900 });
  expect(effectivePolicy(app, ['read', 'root']).policy.breakGlass).toEqual({ maxSeconds: 900 });
});

describe('who hears about break-glass', () => {
  const event = (type: TicketEvent['type'], details: Record<string, unknown> = {}): TicketEvent =>
    ({
      id: 'TCK-1:2',
      sequence: 2,
      type,
      ticketId: 'TCK-1',
      at: '2026-01-01T00:00:00.000Z',
      actor: 'ann',
      comment: 'INC-7',
      details,
      ticket: {
        status: 'approved',
        approval: {
          currentStep: 0,
          awaiting: [],
          steps: [
            { name: 'Lead', state: 'skipped', approvers: ['user:carol'], approvedBy: [] },
            { name: 'IT', state: 'skipped', approvers: ['group:it', 'user:carol'], approvedBy: [] },
          ],
        },
      },
    }) as unknown as TicketEvent;

  test('break_glass: every approver of every step and every admin, at once', () => {
    expect(plannedNotifications(event('break_glass'))).toEqual([
      {
        kind: 'break_glass',
        audience: { approvers: ['user:carol', 'group:it', 'role:admin'], excludeApproved: false },
      },
    ]);
  });

  test('break_glass_escalated: whom it escalated to', () => {
    expect(plannedNotifications(event('break_glass_escalated', { to: ['group:security'] }))).toEqual([
      { kind: 'break_glass_overdue', audience: { approvers: ['group:security'], excludeApproved: false } },
    ]);
  });
});
