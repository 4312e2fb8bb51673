/** Output for people (tables, relative times, colour on a TTY unless NO_COLOR) or, with --json, for programs. */

export interface Output {
  json: boolean;
  color: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function makeOutput(json: boolean, env: NodeJS.ProcessEnv = process.env): Output {
  return {
    json,
    color: Boolean(process.stdout.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== ''),
    out: (text) => {
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    },
    err: (text) => {
      process.stderr.write(text.endsWith('\n') ? text : text + '\n');
    },
  };
}

const ESCAPE = String.fromCharCode(27);
const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(o: Output, colour: Colour, text: string): string {
  return o.color ? `${ESCAPE}[${CODES[colour]}m${text}${ESCAPE}[0m` : text;
}

/** Printable width: colour codes take no room. */
const width = (s: string) =>
  s.split(ESCAPE).reduce((n, part, i) => n + (i ? part.replace(/^\[\d+m/, '') : part).length, 0);

export function table(rows: string[][], headers: string[]): string {
  if (!rows.length) return '';
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i] - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

/** `in 3h 20m`, `5m ago`, `now`. */
export function relative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  if (abs < 30_000) return 'now';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ];
  const parts: string[] = [];
  let rest = abs;
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  const text = parts.join(' ') || '<1m';
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function statusColour(status: string): Colour {
  if (['approved', 'active', 'granted'].includes(status)) return 'green';
  if (['rejected', 'cancelled', 'failed', 'revoked'].includes(status)) return 'red';
  if (['pending', 'scheduled', 'applying'].includes(status)) return 'yellow';
  return 'dim';
}
