import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import { endedWithShift } from '../tickets/ticket-eligibility';
import { PagerDutyOnCall, parseSchedules } from './pagerduty-oncall';

test('PAGERDUTY_SCHEDULES: apps separated by ; or spaces, ids by commas; a malformed entry is refused', () => {
  expect(parseSchedules('payments=PABC123,PDEF456; billing=PXYZ789 payments=PABC123')).toEqual(
    new Map([
      ['payments', ['PABC123', 'PDEF456']],
      ['billing', ['PXYZ789']],
    ]),
  );
  expect(parseSchedules(undefined)).toEqual(new Map());
  expect(() => parseSchedules('payments')).toThrow(/PAGERDUTY_SCHEDULES: "payments"/);
  expect(() => parseSchedules('payments=P1/../x')).toThrow(/PAGERDUTY_SCHEDULES/);
});

test('PagerDuty unreachable: not on call, and a warning names the app', async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const onCall = new PagerDutyOnCall({
    token: 'token',
    apiUrl: `http://127.0.0.1:${port}`,
    schedulesByApp: new Map([['payments', ['PABC123']]]),
  });
  await expect(onCall.shiftsOf('payments', 'olive@example.com')).resolves.toEqual([]);
  expect(warn).toHaveBeenCalledWith(expect.stringMatching(/on-call lookup failed for payments/));
  warn.mockRestore();
});

describe('endedWithShift', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const shift = (end: string | null) => ({ scheduleId: 'PABC123', end });
  const limited = (start: string, end: string) => ({ type: 'limited' as const, start, end });

  test('a longer request ends with the shift, a shorter one is kept', () => {
    const asked = limited('2026-01-01T10:00:00Z', '2026-01-01T18:00:00Z');
    expect(endedWithShift(asked, [shift('2026-01-01T12:00:00Z')], now)).toEqual(
      limited('2026-01-01T10:00:00Z', '2026-01-01T12:00:00.000Z'),
    );
    expect(endedWithShift(asked, [shift('2026-01-01T20:00:00Z')], now)).toBe(asked);
  });

  test('indefinite access becomes limited to the latest end of the current shifts', () => {
    const ends = [shift('2026-01-01T12:00:00Z'), shift('2026-01-01T14:00:00Z')];
    expect(endedWithShift({ type: 'indefinite' }, ends, now)).toEqual(
      limited('2026-01-01T10:00:00.000Z', '2026-01-01T14:00:00.000Z'),
    );
  });

  test('a relative duration (granted at once) within the shift is kept; past it, it ends with the shift', () => {
    const relative = { type: 'relative' as const, seconds: 3600 };
    expect(endedWithShift(relative, [shift('2026-01-01T12:00:00Z')], now)).toBe(relative);
    expect(endedWithShift({ ...relative, seconds: 4 * 3600 }, [shift('2026-01-01T12:00:00Z')], now)).toEqual(
      limited('2026-01-01T10:00:00.000Z', '2026-01-01T12:00:00.000Z'),
    );
  });

  test('no shift, or a start after the shift: nothing to end with; a shift without an end keeps the request', () => {
    const asked = limited('2026-01-01T13:00:00Z', '2026-01-01T18:00:00Z');
    expect(endedWithShift(asked, [], now)).toBeNull();
    expect(endedWithShift(asked, [shift('2026-01-01T12:00:00Z')], now)).toBeNull();
    expect(endedWithShift(asked, [shift(null)], now)).toBe(asked);
  });
});
