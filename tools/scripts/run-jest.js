// Runs every project's tests in one Jest process and ends with one plain summary line,
// "Tests: N passed, N failed, N skipped", which CI reads. Exits with Jest's exit code.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const out = path.join(root, 'test-results', 'jest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });

// Two cores: two Jest workers share the servers started once by test/support/global-setup.js.
const args = ['--maxWorkers=2', '--json', `--outputFile=${out}`, ...process.argv.slice(2)];
const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), ...args], {
  cwd: root,
  stdio: 'inherit',
});

let summary = 'Tests: 0 passed, 0 failed (no results: Jest did not write test-results/jest.json)';
if (fs.existsSync(out)) {
  const r = JSON.parse(fs.readFileSync(out, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  const failedSuites = r.numRuntimeErrorTestSuites ? ` (${r.numRuntimeErrorTestSuites} suites failed to run)` : '';
  summary = `Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped${failedSuites}`;
}
console.log(`\n${summary}`);
process.exit(result.status ?? 1);
