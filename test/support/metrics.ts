/**
 * The series docs/operations.md documents ("Metrics and traces", the table under "Series"), and readers of
 * what a Prometheus endpoint serves: the tests hold the docs, the endpoints, the alerts and the dashboard
 * to one list.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface DocumentedMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  from: 'gateway' | 'worker';
}

const OPERATIONS_DOC = path.join(__dirname, '../../docs/operations.md');

/** Every row of the series table: `| \`name\` | type | from | … |`. */
export function documentedMetrics(): Map<string, DocumentedMetric> {
  const doc = fs.readFileSync(OPERATIONS_DOC, 'utf8');
  const section = doc.slice(doc.indexOf('## Metrics and traces'));
  const metrics = new Map<string, DocumentedMetric>();
  for (const m of section.matchAll(/^\| `((?:gatehouse|temporal)_\w+)`\s*\| (\w+)\s*\| (\w+)\s*\|/gm)) {
    metrics.set(m[1], { name: m[1], type: m[2] as DocumentedMetric['type'], from: m[3] as DocumentedMetric['from'] });
  }
  return metrics;
}

/** The series a histogram or other metric is scraped as. */
export function seriesOf(metric: DocumentedMetric): string[] {
  return metric.type === 'histogram'
    ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
    : [metric.name];
}

/** The documented metric a series name belongs to (`…_bucket` to its histogram), or undefined. */
export function metricOfSeries(series: string, documented: Map<string, DocumentedMetric>): string | undefined {
  if (documented.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return documented.get(base)?.type === 'histogram' ? base : undefined;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
