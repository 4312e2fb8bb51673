/**
 * The Prometheus alert rules and the Grafana dashboard read only series that docs/operations.md documents
 * (test/e2e/metrics.spec.ts checks that the gateway and the workers serve each of those): a renamed metric
 * cannot leave an alert silently watching nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { HISTOGRAM_BUCKETS } from '@gatehouse/worker';
import { documentedMetrics, metricOfSeries } from '../support/metrics';

const root = path.join(__dirname, '../..');
const documented = documentedMetrics();

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

const rules = (
  yaml.load(fs.readFileSync(path.join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'deploy/grafana/gatehouse.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};

/** The Gatehouse and Temporal SDK series an expression reads. */
const seriesIn = (expr: string) => [...expr.matchAll(/\b(?:gatehouse|temporal)_\w+/g)].map((m) => m[0]);

test('the docs list the series, each once, with a type and the service that serves it', () => {
  expect(documented.size).toBeGreaterThanOrEqual(15);
  for (const metric of documented.values()) {
    expect(['counter', 'gauge', 'histogram']).toContain(metric.type);
    expect(['gateway', 'worker']).toContain(metric.from);
    // Prometheus conventions: counters end in _total, durations in _seconds (the SDK's own keep their names).
    if (metric.name.startsWith('gatehouse_') && metric.type === 'counter') expect(metric.name).toMatch(/_total$/);
  }
});

test('every alert rule reads documented series only, and says how bad and what happened', () => {
  expect(rules.map((r) => r.alert)).toEqual(
    expect.arrayContaining([
      'GatehouseProvisioningParked',
      'GatehouseTicketsStuckInFailed',
      'GatehouseRevocationRetryingLong',
      'GatehousePendingPastReminder',
      'GatehouseWorkflowTaskFailures',
      'GatehouseWebhookEndpointFailing',
    ]),
  );
  for (const rule of rules) {
    const series = seriesIn(rule.expr);
    expect({ alert: rule.alert, reads: series.length > 0 }).toEqual({ alert: rule.alert, reads: true });
    for (const s of series)
      expect({ alert: rule.alert, series: s, documented: metricOfSeries(s, documented) !== undefined }).toEqual({
        alert: rule.alert,
        series: s,
        documented: true,
      });
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(rule.annotations.summary).toBeTruthy();
  }
});

test('the revocation alert reads a bucket bound the workers configure', () => {
  const rule = rules.find((r) => r.alert === 'GatehouseRevocationRetryingLong')!;
  const bound = /gatehouse_revocation_retry_age_seconds_bucket\{le="([\d.]+)"\}/.exec(rule.expr)?.[1];
  expect(HISTOGRAM_BUCKETS.gatehouse_revocation_retry_age_seconds).toContain(Number(bound));
  expect(Number(bound)).toBe(15 * 60);
});

test('every dashboard panel reads documented series only', () => {
  expect(dashboard.uid).toBe('gatehouse');
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  expect(panels.length).toBeGreaterThanOrEqual(10);
  const read = new Set<string>();
  for (const panel of panels) {
    expect({ panel: panel.title, targets: (panel.targets ?? []).length > 0 }).toEqual({
      panel: panel.title,
      targets: true,
    });
    for (const target of panel.targets ?? [])
      for (const s of seriesIn(target.expr)) {
        expect({ panel: panel.title, series: s, documented: metricOfSeries(s, documented) !== undefined }).toEqual({
          panel: panel.title,
          series: s,
          documented: true,
        });
        read.add(metricOfSeries(s, documented)!);
      }
  }
  // Every documented series is on the dashboard somewhere.
  expect([...documented.keys()].filter((name) => !read.has(name))).toEqual([]);
});
