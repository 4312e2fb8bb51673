/** What a scenario reports, and the table printed at the end of a run. */
import { round } from './stats';

export interface Metric {
  name: string;
  unit: string;
  gatehouse: number;
  baseline?: number;
  /** gatehouse / baseline */
  ratio?: number;
  target?: string;
  met?: boolean;
}

export interface ScenarioResult {
  name: string;
  title: string;
  durationMs: number;
  metrics: Metric[];
  /** Per-round figures, explain output and anything else worth keeping in the JSON. */
  details: Record<string, unknown>;
}

/** 12,345 */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * What a target's text adds when the run measured at another size than the target's own:
 * ` (at 2,000; target is for 10,000)`; nothing when the sizes agree.
 */
export function sizeNote(measured: number, targetSize: number, unit = ''): string {
  if (measured === targetSize) return '';
  const u = unit ? ` ${unit}` : '';
  return ` (at ${count(measured)}${u}; target is for ${count(targetSize)})`;
}

export function ratioOf(gatehouse: number, baseline: number | undefined): number | undefined {
  return baseline === undefined || !Number.isFinite(baseline) || baseline === 0 ? undefined : gatehouse / baseline;
}

function fmt(value: number | undefined, digits = 1): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  return String(round(value, Math.abs(value) >= 100 ? 0 : digits));
}

export const TABLE_HEADER = ['scenario', 'metric', 'unit', 'gatehouse', 'baseline', 'ratio', 'target', 'met'];

/** The results table's cells, one row per metric (the printed table and the HTML report's). */
export function tableRows(results: ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    for (const m of r.metrics) {
      rows.push([
        r.name,
        m.name,
        m.unit,
        fmt(m.gatehouse),
        fmt(m.baseline),
        m.ratio === undefined ? '' : `${fmt(m.ratio, 2)}×`,
        m.target ?? '',
        m.met === undefined ? '' : m.met ? 'yes' : 'NO',
      ]);
    }
  }
  return rows;
}

export function formatTable(results: ScenarioResult[]): string {
  const header = TABLE_HEADER;
  const rows = tableRows(results);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
