import { describe, expect, it } from 'vitest';
// The server's own list of log events: a new one without words here fails this test, not a reader.
import ticketSource from '../../domain/src/ticket.ts?raw';
import type { Me, Ticket } from './api/types';
import { durationText, eventDetail, eventLabel, EVENT_LABEL, mayRelinquish, mayReview, reviewText } from './ticketText';

/** The members of `export type LogEventType = | 'a' | 'b' …;` in domain/src/ticket.ts. */
function serverEventTypes(): string[] {
  const code = ticketSource.replace(/\/\*\*[\s\S]*?\*\//g, '');
  const union = /export type LogEventType =([\s\S]*?);/.exec(code)?.[1] ?? '';
  return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
}

const BREAK_GLASS_EVENTS = ['break_glass', 'break_glass_confirmed', 'break_glass_revoked', 'break_glass_escalated'];

const me = (over: Partial<Me> = {}): Me => ({ id: 'carol', name: 'Carol', roles: [], groups: ['leads'], ...over });

const ticket = (over: Partial<Ticket> = {}): Ticket =>
  ({
    id: 'TCK-7',
    type: 'request',
    action: 'add',
    status: 'approved',
    requester: { id: 'alice' },
    beneficiary: { id: 'alice' },
    app: { id: 'github', name: 'GitHub' },
    changes: [],
    licenses: [],
    duration: { type: 'indefinite' },
    approval: { currentStep: 0, awaiting: [], steps: [] },
    access: { state: 'active', start: null, end: null, grantedAt: null, revokedAt: null, error: null },
    log: [],
    parentTicketId: null,
    childTicketIds: [],
    createdAt: '2026-11-28T10:00:00.000Z',
    resolvedAt: null,
    resolvedInSeconds: null,
    ...over,
  }) as Ticket;

describe('log event labels', () => {
  it('every event type the server logs has words, none falls back to its code', () => {
    const types = serverEventTypes();
    expect(types).toContain('relinquished');
    expect(types.length).toBeGreaterThan(15);
    for (const type of [...types, ...BREAK_GLASS_EVENTS]) {
      expect(EVENT_LABEL[type], type).toBeTruthy();
      expect(eventLabel(type)).not.toBe(type);
    }
  });

  it('an auto-approval names its policies when it carries no comment; the comment says it otherwise', () => {
    const details = { policies: [{ id: 'sre-baseline', revision: 2, policyId: 'policy0', advice: 'on-call SREs' }] };
    const base = { at: '', actor: 'system', event: 'auto_approved' };
    expect(eventDetail({ ...base, comment: null, details })).toBe('by policy sre-baseline/policy0: on-call SREs');
    expect(eventDetail({ ...base, comment: 'auto-approved by sre-baseline: on-call SREs', details })).toBeNull();
  });

  it('a removed approver names the leaver and the steps (1-based)', () => {
    expect(
      eventDetail({
        at: '',
        actor: 'system',
        event: 'approver_removed',
        comment: null,
        details: { userId: 'dave', steps: [0, 1] },
      }),
    ).toBe('dave, from step 1, 2');
  });
});

describe('durations', () => {
  it('a relative duration reads as its length from the approval', () => {
    expect(durationText({ type: 'relative', seconds: 8 * 3600 })).toBe('8 hours from approval');
    expect(durationText({ type: 'relative', seconds: 5400 })).toBe('1 hour 30 minutes from approval');
    expect(durationText({ type: 'indefinite' })).toBe('Indefinite');
    expect(durationText(null)).toBe('No duration (removal)');
  });
});

describe('who may end access early', () => {
  it('the beneficiary of active access only', () => {
    expect(mayRelinquish({ id: 'alice' }, ticket())).toBe(true);
    expect(mayRelinquish({ id: 'carol' }, ticket())).toBe(false);
    const onBehalf = ticket({ requester: { id: 'carol' }, beneficiary: { id: 'alice' } });
    expect(mayRelinquish({ id: 'carol' }, onBehalf)).toBe(false);
    expect(mayRelinquish({ id: 'alice' }, onBehalf)).toBe(true);
    for (const state of ['pending', 'expired', 'revoked', 'applying'] as const)
      expect(mayRelinquish({ id: 'alice' }, ticket({ access: { ...ticket().access, state } }))).toBe(false);
    expect(mayRelinquish({ id: 'alice' }, ticket({ type: 'extend' }))).toBe(false);
    expect(mayRelinquish({ id: 'alice' }, ticket({ action: 'remove' }))).toBe(false);
  });
});

describe('who reviews break-glass access', () => {
  const review = { state: 'pending' as const, dueAt: '2026-11-28T12:00:00.000Z', escalated: false };
  const glass = ticket({ breakGlass: true, review });

  it('approvers and admins while the review is pending, never the beneficiary nor who broke glass for them', () => {
    expect(mayReview(me(), glass)).toBe(true);
    expect(mayReview(me({ id: 'root', roles: ['admin'] }), glass)).toBe(true);
    expect(mayReview(me({ id: 'alice', roles: ['admin'] }), glass)).toBe(false);
    const onBehalf = { ...glass, requester: { id: 'carol' }, beneficiary: { id: 'bob' } };
    expect(mayReview(me(), onBehalf)).toBe(false);
    expect(mayReview(me({ id: 'bob' }), onBehalf)).toBe(false);
    expect(mayReview(me(), ticket({ breakGlass: true, review: { ...review, state: 'confirmed' } }))).toBe(false);
    expect(mayReview(me(), ticket())).toBe(false);
  });

  it('the review in words: due, overdue, escalated, decided', () => {
    const before = Date.parse(review.dueAt) - 60_000;
    expect(reviewText(review, before)).toMatch(/^Waiting for review, due by /);
    expect(reviewText({ ...review, escalated: true }, before + 3600_000)).toMatch(/overdue since .*\(escalated\)$/);
    expect(reviewText({ ...review, state: 'confirmed', by: 'carol' })).toBe('Confirmed by carol');
    expect(reviewText({ ...review, state: 'revoked', by: 'dave' })).toBe('Revoked by dave');
  });
});
