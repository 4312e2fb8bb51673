/** Durations as people type them: `90s`, `10m`, `4h`, `2d`, `1w`, or combined (`1h30m`). */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+)\s*([smhdw])/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== trimmed.replace(/\s+/g, '')) {
    throw new Error(`"${text}" is not a duration: use e.g. 30m, 4h, 2d, 1w or 1h30m`);
  }
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit], 0);
}

/** An instant given as an ISO timestamp or as a duration from `from`. */
export function parseInstant(text: string, from: number = Date.now()): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new Error(`"${text}" is not a valid timestamp`);
    return new Date(at).toISOString();
  }
  return new Date(from + parseDuration(text)).toISOString();
}
