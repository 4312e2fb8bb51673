// The dashboard's component tests run under Vitest (jsdom, TSX), which this Jest run does not pick up:
// run them as a child process so `npm test` fails when they do.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
/** Raise when tests are added; a suite that silently lost tests should fail. */
const MIN_PASSED = 31;

describe('dashboard component tests (vitest)', () => {
  it(`all pass, and there are at least ${MIN_PASSED}`, () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-vitest-')), 'results.json');
    const run = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        'dashboard/vite.config.ts',
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '1', NODE_ENV: 'test' }, timeout: 240_000 },
    );
    const report = fs.existsSync(out)
      ? (JSON.parse(fs.readFileSync(out, 'utf8')) as {
          numPassedTests: number;
          numFailedTests: number;
          testResults: {
            name: string;
            message?: string;
            assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
          }[];
        })
      : null;
    const failures = (report?.testResults ?? []).flatMap((f) =>
      f.assertionResults
        .filter((a) => a.status === 'failed')
        .map((a) => `${path.relative(root, f.name)} › ${a.fullName}\n${a.failureMessages.join('\n')}`),
    );
    if (run.status !== 0 || !report) {
      throw new Error(
        `vitest exited with ${run.status ?? run.signal}\n${failures.join('\n\n') || run.stderr || run.stdout}`,
      );
    }
    expect(failures).toEqual([]);
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(MIN_PASSED);
  }, 300_000);
});
