import { makeOutput, paint, relative, table } from './output';

const ESC = String.fromCharCode(27);
const plain = (s: string) =>
  s
    .split(ESC)
    .map((part, i) => (i ? part.replace(/^\[\d+m/, '') : part))
    .join('');

describe('output for people', () => {
  const wasTty = process.stdout.isTTY;
  afterEach(() => (process.stdout.isTTY = wasTty));

  it('colours only on a terminal, and not when NO_COLOR is set', () => {
    process.stdout.isTTY = true;
    expect(paint(makeOutput(false, {}), 'red', 'x')).toBe('\x1b[31mx\x1b[0m');
    expect(paint(makeOutput(false, { NO_COLOR: '1' }), 'red', 'x')).toBe('x');
    expect(paint(makeOutput(false, { NO_COLOR: '' }), 'red', 'x')).toBe('\x1b[31mx\x1b[0m'); // empty: not set
    process.stdout.isTTY = false;
    expect(paint(makeOutput(false, {}), 'red', 'x')).toBe('x');
  });

  it('says times relative to now, to two units', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    const at = (ms: number) => new Date(now + ms).toISOString();
    expect(relative(at(3 * 3_600_000 + 20 * 60_000 + 5_000), now)).toBe('in 3h 20m');
    expect(relative(at(-5 * 60_000), now)).toBe('5m ago');
    expect(relative(at(2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000), now)).toBe('in 2d 3h');
    expect(relative(at(10_000), now)).toBe('now');
    expect(relative(null, now)).toBe('-');
  });

  it('aligns table columns, colour codes taking no room', () => {
    const o = { ...makeOutput(false, {}), color: true };
    expect(
      plain(
        table(
          [
            ['TCK-1', paint(o, 'green', 'approved'), 'x'],
            ['TCK-10', 'pending', 'y'],
          ],
          ['ticket', 'status', 'app'],
        ),
      ),
    ).toBe('TICKET  STATUS    APP\nTCK-1   approved  x\nTCK-10  pending   y');
  });
});
