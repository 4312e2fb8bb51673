import { describe, expect, it } from 'vitest';
import { formatLength, formatResolvedIn, fromLocalInput, relativeTime, toLocalInput } from './time';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

describe('relativeTime', () => {
  it('says "3 hours ago" for a ticket created three hours ago', () => {
    expect(relativeTime(ago(3 * 3600), NOW)).toBe('3 hours ago');
  });
  it('says "just now" within the first seconds', () => {
    expect(relativeTime(ago(10), NOW)).toBe('just now');
  });
  it('counts minutes, days and future times', () => {
    expect(relativeTime(ago(5 * 60), NOW)).toBe('5 minutes ago');
    expect(relativeTime(ago(86400), NOW)).toBe('yesterday');
    expect(relativeTime(ago(3 * 86400), NOW)).toBe('3 days ago');
    expect(relativeTime(ago(-2 * 86400), NOW)).toBe('in 2 days');
  });
  it('is empty for a missing or broken date', () => {
    expect(relativeTime(null, NOW)).toBe('');
    expect(relativeTime('not a date', NOW)).toBe('');
  });
});

describe('formatResolvedIn', () => {
  it('writes 2 hours 5 minutes as "2h 5m"', () => {
    expect(formatResolvedIn(2 * 3600 + 5 * 60 + 12)).toBe('2h 5m');
  });
  it('keeps the two largest units and drops zero ones', () => {
    expect(formatResolvedIn(3 * 86400 + 4 * 3600 + 59)).toBe('3d 4h');
    expect(formatResolvedIn(86400 + 30 * 60)).toBe('1d');
    expect(formatResolvedIn(7 * 60)).toBe('7m');
    expect(formatResolvedIn(45)).toBe('45s');
    expect(formatResolvedIn(0)).toBe('0s');
  });
  it('is empty while a ticket is unresolved', () => {
    expect(formatResolvedIn(null)).toBe('');
  });
});

describe('policy lengths and date-time inputs', () => {
  it('words a policy maximum', () => {
    expect(formatLength(86400)).toBe('1 day');
    expect(formatLength(30 * 86400)).toBe('30 days');
    expect(formatLength(5400)).toBe('1 hour 30 minutes');
  });
  it('round-trips a datetime-local value through ISO in the browser zone', () => {
    const iso = fromLocalInput('2026-12-01T09:30')!;
    expect(toLocalInput(iso)).toBe('2026-12-01T09:30');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('garbage')).toBeNull();
  });
});
