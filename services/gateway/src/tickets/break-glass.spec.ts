import type { AccessPolicy, Duration } from '@gatehouse/domain';
import { breakGlassDurationDto, breakGlassFlags, breakGlassMaxSeconds, breakGlassReview } from './break-glass';

const now = new Date('2026-05-01T10:00:00.000Z');
const policy = (over: Partial<AccessPolicy> = {}): AccessPolicy => ({ approval: { steps: [] }, ...over });
const limited = (hours: number): Duration => ({
  type: 'limited',
  start: now.toISOString(),
  end: new Date(now.getTime() + hours * 3600_000).toISOString(),
});
const codes = (flags: { code: string }[]) => flags.map((f) => f.code);

test('the maximum: breakGlass.maxSeconds (4 hours when absent), never beyond maxDurationSeconds', () => {
  expect(breakGlassMaxSeconds(policy())).toBe(4 * 3600);
  expect(breakGlassMaxSeconds(policy({ breakGlass: { maxSeconds: 600 } }))).toBe(600);
  expect(breakGlassMaxSeconds(policy({ maxDurationSeconds: 1800 }))).toBe(1800);
});

test('asked for no duration: the maximum from now', () => {
  expect(breakGlassDurationDto(policy({ breakGlass: { maxSeconds: 600 } }), now)).toEqual({
    type: 'limited',
    end: '2026-05-01T10:10:00.000Z',
  });
});

test('a reason always, limited access within the maximum, no flag twice', () => {
  expect(breakGlassFlags(policy(), limited(1), 'INC-7', now, [])).toEqual([]);
  expect(codes(breakGlassFlags(policy(), limited(1), '  ', now, []))).toEqual(['REASON_REQUIRED']);
  expect(codes(breakGlassFlags(policy(), limited(5), 'INC-7', now, []))).toEqual(['MAX_DURATION_EXCEEDED']);
  expect(codes(breakGlassFlags(policy(), { type: 'indefinite' }, 'INC-7', now, []))).toEqual([
    'INDEFINITE_NOT_ALLOWED',
  ]);
  const existing = [{ code: 'REASON_REQUIRED' as const, message: 'A reason is required.', field: 'reason' }];
  expect(breakGlassFlags(policy(), limited(1), undefined, now, existing)).toEqual([]);
});

test('the review is due reviewWithinSeconds (24 hours when absent) after the ticket was raised', () => {
  expect(breakGlassReview(policy(), now, []).reviewDueAt).toBe('2026-05-02T10:00:00.000Z');
  expect(breakGlassReview(policy({ breakGlass: { reviewWithinSeconds: 60 } }), now, []).reviewDueAt).toBe(
    '2026-05-01T10:01:00.000Z',
  );
});
