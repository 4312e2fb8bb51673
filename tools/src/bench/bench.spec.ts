/**
 * The benchmark's smoke mode runs every scenario at tiny sizes against the test servers. Asserts only
 * that each scenario produced numbers and that the JSON file was written: nothing about speed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseOptions, SCENARIOS } from './options';
import { runBench } from './run';

jest.setTimeout(240_000);

describe('npm run bench -- --smoke', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-spec-'));
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('runs every scenario and writes the results file', async () => {
    const opts = parseOptions(['--smoke', '--out', outDir, '--rounds', '1'], {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      MONGODB_URI: process.env.TEST_MONGODB_URI,
    });
    const lines: string[] = [];
    const report = await runBench(opts, (l) => lines.push(l));

    expect(report.failures).toEqual([]);
    expect(report.scenarios.map((s) => s.name)).toEqual([...SCENARIOS]);
    for (const s of report.scenarios) {
      expect(s.metrics.length).toBeGreaterThan(0);
      for (const m of s.metrics) expect(typeof m.gatehouse).toBe('number');
      expect(s.metrics.some((m) => Number.isFinite(m.gatehouse))).toBe(true);
    }
    expect(fs.existsSync(report.file)).toBe(true);
    const written = JSON.parse(fs.readFileSync(report.file, 'utf8'));
    expect(written.scenarios).toHaveLength(SCENARIOS.length);
    expect(report.table).toContain('create');
  });
});
