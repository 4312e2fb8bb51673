/**
 * The report's charts: Vega-Lite specs built from a run's JSON, rendered to SVG in Node (no browser, no
 * canvas). A chart whose figures the JSON lacks (an older run, a scenario not run) is left out.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ScenarioResult } from './report';
import { round } from './stats';

export interface Chart {
  /** File-name part: `<timestamp>-<id>.svg`, `docs/images/bench-<id>.svg`. */
  id: string;
  title: string;
  /** One sentence on what to read off the chart. */
  caption: string;
  spec: TopLevelSpec;
}

/** The charts a full report has, in order (the spec checks a smoke run produces every one). */
export const CHART_IDS = ['create-latency', 'approve-latency', 'tracker', 'storm', 'open-memory'] as const;

const WIDTH = 520;
const HEIGHT = 260;
const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
};
/** Gatehouse in blue, baselines in grey-orange, the same on every chart. */
const SIDE_COLORS = { gatehouse: '#1f77b4', second: '#6baed6', baseline: '#e6550d' };

type Row = Record<string, string | number>;

/** Empirical CDF points of one series: each sample's value and the share of samples at or below it. */
export function cdf(values: number[], series: string): Row[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.map((ms, i) => ({ series, ms: Math.max(ms, 0.1), share: (i + 1) / sorted.length }));
}

function latencyCdf(title: string, series: Array<{ name: string; values: number[]; color: string }>): TopLevelSpec {
  const values = series.flatMap((s) => cdf(s.values, `${s.name} (n=${s.values.length})`));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency, ms (log scale)' },
      y: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of requests at or below' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 },
        scale: {
          domain: series.map((s) => `${s.name} (n=${s.values.length})`),
          range: series.map((s) => s.color),
        },
      },
    },
  };
}

function scenario(scenarios: ScenarioResult[], name: string): ScenarioResult | undefined {
  return scenarios.find((s) => s.name === name);
}

const nums = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
const rowsOf = (details: Record<string, unknown>, key: string): Array<Record<string, unknown>> =>
  Array.isArray(details[key]) ? (details[key] as Array<Record<string, unknown>>) : [];

function createChart(s: ScenarioResult): Chart | null {
  const rounds = rowsOf(s.details, 'rounds');
  const gh = rounds.flatMap((r) => nums((r.latencyMs as Record<string, unknown> | undefined)?.gatehouse));
  const bl = rounds.flatMap((r) => nums((r.latencyMs as Record<string, unknown> | undefined)?.baseline));
  if (!gh.length || !bl.length) return null;
  return {
    id: 'create-latency',
    title: 'Create: request latency',
    caption: `Every request of every round (${rounds.length}): POST /tickets against the raw workflow.start, at ${String(s.details.concurrency)} concurrent clients. Further left is faster; the gap at the top is the slow tail.`,
    spec: latencyCdf('Create: request latency (CDF)', [
      { name: 'Gatehouse POST /tickets', values: gh, color: SIDE_COLORS.gatehouse },
      { name: 'raw workflow.start', values: bl, color: SIDE_COLORS.baseline },
    ]),
  };
}

function approveChart(s: ScenarioResult): Chart | null {
  const rounds = rowsOf(s.details, 'rounds');
  const sample = (key: string) =>
    rounds.flatMap((r) => nums((r.samples as Record<string, unknown> | undefined)?.[key]));
  const active = sample('approveToActiveMs');
  const update = sample('baselineUpdateMs');
  if (!active.length || !update.length) return null;
  return {
    id: 'approve-latency',
    title: 'Approve → active: latency',
    caption: `Every approval of every round (${rounds.length}), ${String(s.details.concurrency)} concurrent, with ${String(s.details.openTickets ?? 0)} tickets open: from the approve request until the grant is active, the approve request alone, and the raw Update round trip it is compared with.`,
    spec: latencyCdf('Approve → active: latency (CDF)', [
      { name: 'Gatehouse approve → grant active', values: active, color: SIDE_COLORS.gatehouse },
      { name: 'Gatehouse approve request (HTTP)', values: sample('approveHttpMs'), color: SIDE_COLORS.second },
      { name: 'raw Update round trip', values: update, color: SIDE_COLORS.baseline },
    ]),
  };
}

function trackerChart(s: ScenarioResult): Chart | null {
  const perSize = rowsOf(s.details, 'perSize');
  if (!perSize.length) return null;
  const sizes = perSize.map((p) => Number(p.tickets));
  const values: Row[] = [];
  for (const size of perSize) {
    for (const shape of (size.shapes as Array<Record<string, unknown>>) ?? []) {
      const api = shape.api as { p50: number; p95: number };
      for (const stat of ['p50', 'p95'] as const)
        values.push({ tickets: Number(size.tickets), shape: String(shape.name), stat, ms: Math.max(api[stat], 0.1) });
    }
  }
  // The targets (p95 at 10,000 tickets): 100 ms for every tab and filter, 150 ms for the dashboard page.
  const targetLines: Extract<TopLevelSpec, { layer: unknown }>['layer'][number] = {
    data: {
      values: [
        { ms: 100, label: 'target 100 ms' },
        { ms: 150, label: 'dashboard target 150 ms' },
      ],
    },
    layer: [
      {
        mark: { type: 'rule', color: '#d62728', strokeDash: [4, 4] },
        encoding: { y: { field: 'ms', type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, dy: -6, color: '#d62728', fontSize: 10, x: 0 },
        encoding: { y: { field: 'ms', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  };
  const panel = (stat: 'p50' | 'p95'): Extract<TopLevelSpec, { layer: unknown }> => ({
    width: 300,
    height: HEIGHT,
    title: `${stat} per shape`,
    layer: [
      {
        data: { values: values.filter((v) => v.stat === stat) },
        mark: { type: 'line', point: true, strokeWidth: 1.5 },
        encoding: {
          x: {
            field: 'tickets',
            type: 'quantitative',
            scale: { type: 'log' },
            axis: { values: sizes, format: ',d' },
            title: 'tickets (log scale)',
          },
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: `${stat}, ms (log scale)` },
          color: { field: 'shape', type: 'nominal', title: 'shape', scale: { scheme: 'tableau20' } },
          strokeDash: {
            condition: { test: "datum.shape === 'dashboard tickets page'", value: [6, 3] },
            value: [1, 0],
          },
        },
      },
      ...(stat === 'p95' ? [targetLines] : []),
    ],
  });
  return {
    id: 'tracker',
    title: 'Tracker: GET /tickets against the number of tickets',
    caption: `p50 and p95 of each tab and filter shape and of the dashboard's tickets page (dashed), measured at ${sizes.map((n) => n.toLocaleString('en-US')).join(', ')} tickets in one run; the red lines are the p95 targets, set at 10,000 tickets.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Tracker: GET /tickets against the number of tickets',
      config: CONFIG,
      hconcat: [panel('p50'), panel('p95')],
      resolve: { scale: { y: 'shared' } },
    },
  };
}

function stormChart(s: ScenarioResult): Chart | null {
  const rounds = rowsOf(s.details, 'rounds');
  const values: Row[] = [];
  const names: string[] = [];
  rounds.forEach((r, i) => {
    const suffix = rounds.length > 1 ? ` (round ${i + 1})` : '';
    for (const [key, name] of [
      ['expiredAtMs', `Gatehouse: grants expired${suffix}`],
      ['baselineClosedAtMs', `raw timers completed${suffix}`],
    ] as const) {
      const times = nums(r[key]).sort((a, b) => a - b);
      if (!times.length) continue;
      names.push(name);
      values.push({ series: name, seconds: 0, done: 0 });
      times.forEach((t, k) => values.push({ series: name, seconds: round(t / 1000, 3), done: k + 1 }));
    }
  });
  if (!names.some((n) => n.startsWith('Gatehouse')) || !names.some((n) => n.startsWith('raw'))) return null;
  return {
    id: 'storm',
    title: 'Expiry storm: grants expired after T',
    caption: `${String(s.details.size)} grants ending at the same instant T: how many had expired (Gatehouse) or completed (raw timer workflows, the baseline) so many seconds after T. The target: the last within 2× the baseline's last.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Expiry storm: ${String(s.details.size)} grants ending at T`,
      width: WIDTH,
      height: HEIGHT,
      config: CONFIG,
      data: { values },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: { field: 'seconds', type: 'quantitative', title: 'seconds after T' },
        y: { field: 'done', type: 'quantitative', title: 'grants expired / timers completed' },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 },
          scale: {
            domain: names,
            range: names.map((n) => (n.startsWith('Gatehouse') ? SIDE_COLORS.gatehouse : SIDE_COLORS.baseline)),
          },
        },
        strokeDash: { field: 'series', type: 'nominal', legend: null },
      },
    },
  };
}

function openChart(s: ScenarioResult): Chart | null {
  const series = rowsOf(s.details, 'series');
  if (!series.length) return null;
  const idle = (s.details.memory as { idle?: { rssMiB?: number } } | undefined)?.idle?.rssMiB;
  const values: Row[] = [
    ...(typeof idle === 'number' ? [{ open: 0, rssMiB: round(idle) }] : []),
    ...series.map((p) => ({ open: Number(p.open), rssMiB: Number(p.rssMiB) })),
  ];
  return {
    id: 'open-memory',
    title: 'Open tickets: worker memory',
    caption: `The worker's resident memory as open (pending) tickets are added, ${String(s.details.openTickets)} in all; the target is under 1.5 GiB (1,536 MiB) with 10,000 open.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Open tickets: worker RSS',
      width: WIDTH,
      height: HEIGHT,
      config: CONFIG,
      layer: [
        {
          data: { values },
          mark: { type: 'line', point: true, strokeWidth: 2, color: SIDE_COLORS.gatehouse },
          encoding: {
            x: { field: 'open', type: 'quantitative', title: 'open tickets' },
            y: { field: 'rssMiB', type: 'quantitative', title: 'worker RSS, MiB', scale: { zero: true } },
          },
        },
      ],
    },
  };
}

/** The charts of a run, from its JSON's scenarios. */
export function chartsOf(scenarios: ScenarioResult[], runLabel?: string): Chart[] {
  const build: Array<[string, (s: ScenarioResult) => Chart | null]> = [
    ['create', createChart],
    ['approve', approveChart],
    ['tracker', trackerChart],
    ['storm', stormChart],
    ['open', openChart],
  ];
  return build.flatMap(([name, make]) => {
    const s = scenario(scenarios, name);
    const chart = s ? make(s) : null;
    if (!chart) return [];
    // Each chart names its run, so that a copy in the docs says where its figures come from.
    const title = typeof chart.spec.title === 'string' ? chart.spec.title : chart.title;
    return [{ ...chart, spec: { ...chart.spec, title: runLabel ? { text: title, subtitle: runLabel } : title } }];
  });
}

/** One chart as a standalone SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
