import { parseDuration, parseInstant } from './duration';

describe('durations', () => {
  it('reads units and combinations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('4h')).toBe(4 * 3_600_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
    expect(parseDuration('1w')).toBe(7 * 86_400_000);
  });

  it('refuses what is not a duration rather than guessing', () => {
    for (const bad of ['4', 'h', '4x', '4h and some', '', '-1h'])
      expect(() => parseDuration(bad)).toThrow(/not a duration/);
  });

  it('reads an instant as an ISO time or a duration from a given moment', () => {
    expect(parseInstant('2026-12-01T09:00:00Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(parseInstant('2h', Date.parse('2026-12-01T09:00:00Z'))).toBe('2026-12-01T11:00:00.000Z');
    expect(() => parseInstant('2026-13-45')).toThrow(/not a valid timestamp/);
  });
});
