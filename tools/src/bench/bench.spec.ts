/**
 * The benchmark's smoke mode runs every scenario at tiny sizes against the test servers. Asserts that each
 * scenario produced numbers, that the JSON file was written with the raw figures the charts are drawn from,
 * and that `--report` wrote the HTML page and one SVG per chart: nothing about speed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHART_IDS } from './charts';
import { regenerateReport, runKind } from './html-report';
import { parseOptions, parseReportCommand, SCENARIOS, trackerSizes } from './options';
import { sizeNote } from './report';
import { runBench, type BenchReport } from './run';

jest.setTimeout(240_000);

describe('bench options', () => {
  it('measures the tracker at a tenth, a quarter, half and all of --tracker-n, and at the target size 10,000', () => {
    expect(trackerSizes(parseOptions(['--tracker-n', '10000'], {}))).toEqual([1000, 2500, 5000, 10000]);
    expect(trackerSizes(parseOptions(['--tracker-n', '100000'], {}))).toEqual([10000, 25000, 50000, 100000]);
    expect(trackerSizes(parseOptions(['--tracker-n', '40000'], {}))).toEqual([4000, 10000, 20000, 40000]);
    expect(trackerSizes(parseOptions(['--tracker-sizes', '5000,1000'], {}))).toEqual([1000, 5000]);
  });

  it('says when a target was evaluated at another size than its own', () => {
    expect(sizeNote(2000, 10_000, 'tickets')).toBe(' (at 2,000 tickets; target is for 10,000)');
    expect(sizeNote(10_000, 10_000, 'tickets')).toBe('');
  });

  it('reads the report command', () => {
    expect(parseReportCommand(['report', 'r.json', '--docs-images'])).toEqual({ json: 'r.json', docsImages: true });
    expect(parseReportCommand(['report'])).toEqual({ json: null, docsImages: false });
    expect(parseReportCommand(['--smoke'])).toBeNull();
    expect(parseOptions(['--docs-images'], {})).toMatchObject({ report: true, docsImages: true });
  });

  it('names an --only run by its scenarios in its report and charts, not as a full run', () => {
    expect(runKind({ mode: 'full', options: { only: ['create', 'storm'] } })).toBe('--only create,storm');
    expect(runKind({ mode: 'full', options: { only: [] } })).toBe('full');
    expect(runKind({ mode: 'smoke', options: { only: ['storm'] } })).toBe('smoke');
    expect(runKind({ mode: 'full' })).toBe('full');
  });
});

describe('npm run bench -- --smoke --report', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-spec-'));
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));
  let report: BenchReport;
  let written: BenchReport;

  it('runs every scenario and writes the results file', async () => {
    const opts = parseOptions(['--smoke', '--report', '--out', outDir, '--rounds', '1'], {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      MONGODB_URI: process.env.TEST_MONGODB_URI,
    });
    const lines: string[] = [];
    report = await runBench(opts, (l) => lines.push(l));

    expect(report.failures).toEqual([]);
    expect(report.scenarios.map((s) => s.name)).toEqual([...SCENARIOS]);
    for (const s of report.scenarios) {
      expect(s.metrics.length).toBeGreaterThan(0);
      for (const m of s.metrics) expect(typeof m.gatehouse).toBe('number');
      expect(s.metrics.some((m) => Number.isFinite(m.gatehouse))).toBe(true);
    }
    expect(fs.existsSync(report.file)).toBe(true);
    written = JSON.parse(fs.readFileSync(report.file, 'utf8'));
    expect(written.scenarios).toHaveLength(SCENARIOS.length);
    expect(report.table).toContain('create');
  });

  it('keeps in the JSON the raw figures the charts are drawn from, for every round', () => {
    const details = (name: string) => written.scenarios.find((s) => s.name === name)!.details as Record<string, any>;
    const opts = written.options;

    const create = details('create');
    expect(create.rounds).toHaveLength(opts.rounds);
    for (const r of create.rounds) {
      expect(r.latencyMs.gatehouse).toHaveLength(opts.createPerRound);
      expect(r.latencyMs.baseline).toHaveLength(opts.createPerRound);
      // CPU per ticket by process, each side: the bench process, and the servers when the run started them.
      for (const side of [r.cpuMsPerTicket.gatehouse, r.cpuMsPerTicket.baseline]) {
        expect(Object.keys(side)).toContain('bench process (gateway+workers in-process)');
        for (const ms of Object.values(side)) expect(ms).toBeGreaterThanOrEqual(0);
      }
      expect(r.cpuMsPerTicket.gatehouse['bench process (gateway+workers in-process)']).toBeGreaterThan(0);
    }

    const approve = details('approve');
    expect(approve.openTickets).toBe(opts.approveOpenTickets);
    expect(approve.rounds).toHaveLength(opts.rounds);
    for (const r of approve.rounds) {
      expect(r.samples.approveToActiveMs).toHaveLength(opts.approvePerRound);
      expect(r.samples.approveHttpMs).toHaveLength(opts.approvePerRound);
      expect(r.samples.baselineUpdateMs).toHaveLength(opts.approvePerRound);
    }

    const storm = details('storm');
    expect(storm.rounds).toHaveLength(opts.stormRounds);
    for (const r of storm.rounds) {
      expect(r.expiredAtMs).toHaveLength(opts.stormSize);
      expect(r.baselineClosedAtMs).toHaveLength(opts.stormSize);
      expect(Math.max(...r.expiredAtMs)).toBe(r.lastExpiredMs);
      expect(r.cpuMsPerExpiry.gatehouse['bench process (gateway+workers in-process)']).toBeGreaterThan(0);
      expect(r.cpuMsPerExpiry.baseline['bench process (gateway+workers in-process)']).toBeGreaterThanOrEqual(0);
    }

    // The tracker: every shape, the dashboard's page among them, at every size up to --tracker-n.
    const tracker = details('tracker');
    const sizes = trackerSizes(opts);
    expect(sizes.length).toBeGreaterThan(1);
    expect(tracker.perSize.map((p: { tickets: number }) => p.tickets)).toEqual(sizes);
    for (const p of tracker.perSize) {
      expect(p.visible).toBe(true);
      const names = p.shapes.map((s: { name: string }) => s.name);
      expect(names).toContain('dashboard tickets page');
      expect(names).toContain('awaiting=me');
      for (const s of p.shapes) expect(Number.isFinite(s.api.p95)).toBe(true);
    }
    const largest = written.scenarios
      .find((s) => s.name === 'tracker')!
      .metrics.find((m) => m.name === 'largest size measured');
    expect(largest?.gatehouse).toBe(sizes[sizes.length - 1]);
    const p95 = written.scenarios.find((s) => s.name === 'tracker')!.metrics.find((m) => m.name === 'tab=all p95');
    expect(p95?.target).toContain('target is for 10,000');

    expect(details('open').series.length).toBeGreaterThan(0);
  });

  it('writes the HTML report with one inline SVG per chart, and each chart as its own SVG', () => {
    const html = fs.readFileSync(report.report!.html, 'utf8');
    expect(path.basename(report.report!.html)).toBe(path.basename(report.file).replace(/\.json$/, '.html'));
    expect(html.match(/<svg[\s>]/g)).toHaveLength(CHART_IDS.length);
    for (const id of CHART_IDS) expect(html).toContain(`id="chart-${id}"`);
    // Self-contained: nothing to fetch (the only URLs are the SVG namespaces).
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html.match(/https?:\/\/[^"'\s)]+/g)?.filter((u) => !u.startsWith('http://www.w3.org/')) ?? []).toEqual([]);
    expect(report.report!.svgs.map((f) => path.basename(f))).toEqual(
      CHART_IDS.map((id) => path.basename(report.file).replace(/\.json$/, `-${id}.svg`)),
    );
    for (const f of report.report!.svgs) expect(fs.readFileSync(f, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(report.report!.docsImages).toEqual([]);
  });

  it('regenerates the report from the JSON alone, and copies the charts for the docs', async () => {
    const firstHtml = fs.readFileSync(report.report!.html, 'utf8');
    fs.rmSync(report.report!.html);
    const docsDir = path.join(outDir, 'docs-images');
    const again = await regenerateReport(report.file, { docsImages: true, docsDir });
    expect(fs.readFileSync(again.html, 'utf8')).toBe(firstHtml);
    expect(again.docsImages.map((f) => path.basename(f))).toEqual(CHART_IDS.map((id) => `bench-${id}.svg`));
    for (const [i, f] of again.docsImages.entries())
      expect(fs.readFileSync(f, 'utf8')).toBe(fs.readFileSync(again.svgs[i], 'utf8'));
  });
});
