/**
 * The visual report of a run: `<timestamp>.html` beside its JSON (one self-contained page: the table and
 * every chart as inline SVG, nothing loaded from the network) and each chart as `<timestamp>-<chart>.svg`;
 * optionally copied to `docs/images/bench-<chart>.svg` for docs/performance.md to embed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chartsOf, renderSvg } from './charts';
import { TABLE_HEADER, tableRows, type ScenarioResult } from './report';

/** What the report reads of a run's JSON (`BenchReport`, run.ts). */
export interface ReportInput {
  startedAt: string;
  durationMs: number;
  mode: string;
  commit?: string | null;
  machine: { nproc: number; memoryGiB: number; cpuModel: string; node: string; platform: string };
  loadAverage: { start: number; end: number };
  servers: { temporal: string; mongo: string; startedByBench: boolean; ferretdbBinary: string | null };
  scenarios: ScenarioResult[];
  failures: Array<{ scenario: string; error: string }>;
  /** The run's options; `only` names the scenarios of an `--only` run. */
  options?: { only?: string[] };
}

/** What a run measured, for its report and charts: `smoke`, `full`, or the scenarios of an `--only` run. */
export function runKind(report: Pick<ReportInput, 'mode' | 'options'>): string {
  const only = report.options?.only ?? [];
  return report.mode === 'full' && only.length > 0 ? `--only ${only.join(',')}` : report.mode;
}

export interface WrittenReport {
  html: string;
  /** One per chart, `<timestamp>-<chart>.svg`. */
  svgs: string[];
  /** The copies in docs/images (with `docsImages`). */
  docsImages: string[];
}

/** The repository's docs/images, where `--docs-images` copies the charts. */
export const DOCS_IMAGES = path.resolve(__dirname, '../../../docs/images');

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 13px; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.met-yes { color: #2a7d2a; font-weight: bold; }
td.met-no { color: #c62828; font-weight: bold; }
figure { margin: 2em 0; }
figcaption { color: #444; max-width: 760px; margin-bottom: .5em; }
figcaption strong { display: block; color: #222; font-size: 1.1em; }
svg { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5em; }
`;

function tableHtml(scenarios: ScenarioResult[]): string {
  const numeric = new Set([3, 4, 5]);
  const head = `<tr>${TABLE_HEADER.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const body = tableRows(scenarios)
    .map((row) => {
      const cells = row.map((cell, i) => {
        const cls =
          i === 7 && cell ? `met-${cell === 'yes' ? 'yes' : 'no'}` : numeric.has(i) && cell ? 'num' : undefined;
        return `<td${cls ? ` class="${cls}"` : ''}>${escape(cell)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** The HTML page itself, with the charts' SVG given. */
export function reportHtml(
  report: ReportInput,
  charts: Array<{ id: string; title: string; caption: string; svg: string }>,
): string {
  const m = report.machine;
  const s = report.servers;
  const meta = [
    `${runKind(report)} run started ${report.startedAt}, ${Math.round(report.durationMs / 1000)} s${report.commit ? `, commit ${report.commit}` : ''}`,
    `${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}`,
    `load average (1 min) ${report.loadAverage.start.toFixed(1)} at start, ${report.loadAverage.end.toFixed(1)} at end`,
    `Temporal ${s.temporal}; MongoDB ${s.mongo}${s.ferretdbBinary ? ` (${s.ferretdbBinary})` : ''}${s.startedByBench ? ', started by the bench' : ''}`,
  ];
  const figures = charts
    .map(
      (c) =>
        `<figure id="chart-${escape(c.id)}">\n<figcaption><strong>${escape(c.title)}</strong>${escape(c.caption)}</figcaption>\n${c.svg.trim()}\n</figure>`,
    )
    .join('\n');
  const failures = report.failures.length
    ? `<h2>Failures</h2>\n${report.failures.map((f) => `<h3>${escape(f.scenario)}</h3><pre>${escape(f.error)}</pre>`).join('\n')}`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse benchmark ${escape(report.startedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Gatehouse benchmark</h1>
<p class="meta">${meta.map(escape).join('<br>\n')}</p>
<h2>Figures and targets</h2>
${tableHtml(report.scenarios)}
<h2>Charts</h2>
${figures || '<p>No chart: the run has none of the figures they need.</p>'}
${failures}
</body>
</html>
`;
}

/**
 * Writes the report of the run in `jsonFile` beside it: `<stem>.html` and `<stem>-<chart>.svg` (stem: the
 * JSON's name without `.json`). With `docsImages`, also copies each chart to `<docsDir>/bench-<chart>.svg`.
 */
export async function writeHtmlReport(
  report: ReportInput,
  jsonFile: string,
  opts: { docsImages?: boolean; docsDir?: string } = {},
): Promise<WrittenReport> {
  const dir = path.dirname(jsonFile);
  const stem = path.basename(jsonFile).replace(/\.json$/, '');
  const charts = [];
  const label = `${runKind(report)} run ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC${report.commit ? `, ${report.commit}` : ''}`;
  for (const chart of chartsOf(report.scenarios, label)) charts.push({ ...chart, svg: await renderSvg(chart.spec) });
  const svgs: string[] = [];
  const docsImages: string[] = [];
  for (const c of charts) {
    const file = path.join(dir, `${stem}-${c.id}.svg`);
    fs.writeFileSync(file, c.svg);
    svgs.push(file);
    if (opts.docsImages) {
      const docsDir = opts.docsDir ?? DOCS_IMAGES;
      fs.mkdirSync(docsDir, { recursive: true });
      const copy = path.join(docsDir, `bench-${c.id}.svg`);
      fs.copyFileSync(file, copy);
      docsImages.push(copy);
    }
  }
  const html = path.join(dir, `${stem}.html`);
  fs.writeFileSync(html, reportHtml(report, charts));
  return { html, svgs, docsImages };
}

/** The newest finished run's JSON in `dir` (partial results excluded), or null. */
export function newestResults(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.partial.json'))
    .sort();
  return files.length ? path.join(dir, files[files.length - 1]) : null;
}

/** `npm run bench -- report [<json>] [--docs-images]`: the report of a finished run, without running it again. */
export async function regenerateReport(
  jsonFile: string,
  opts: { docsImages?: boolean; docsDir?: string } = {},
): Promise<WrittenReport> {
  const report = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as ReportInput;
  if (!Array.isArray(report.scenarios)) throw new Error(`${jsonFile} is not a benchmark results file`);
  return writeHtmlReport(report, jsonFile, opts);
}
