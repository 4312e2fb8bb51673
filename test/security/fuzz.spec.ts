/**
 * schemathesis (from PyPI) fuzzes every operation of the served OpenAPI document with an admin token,
 * through its examples, coverage, fuzzing and stateful phases: no response may be a 5xx, and no
 * response may break the schema the document declares for it. An error inside schemathesis itself is
 * reported and its operations fuzzed once more (see schemathesis-report.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createApp, startTestStack, users, type TestStack } from '../support/stack';
import { classifyReport, isOperationLabel, parseJunitReport } from './schemathesis-report';

const bin = path.resolve(__dirname, '../../.tools/schemathesis/bin/schemathesis');

let stack: TestStack;
beforeAll(async () => {
  if (!fs.existsSync(bin))
    throw new Error('schemathesis is missing: run bash tools/scripts/install-schemathesis.sh (npm test does)');
  // Fuzzing sends thousands of requests from one caller: lift the per-minute budget for this stack.
  stack = await startTestStack({ env: { RATE_LIMIT_PER_MINUTE: '10000000' } });
  // Data for operations that need existing ids.
  const appId = await createApp(stack);
  await stack.as(users.alice).post('/tickets', {
    appId,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'indefinite' },
    reason: 'fuzz',
  });
});
afterAll(async () => stack?.stop());

test('no 5xx and no schema violation across every operation', async () => {
  const token = await stack.token(users.root);
  const reportDir = path.resolve(__dirname, '../../test-results/schemathesis');
  fs.rmSync(reportDir, { recursive: true, force: true });
  fs.mkdirSync(reportDir, { recursive: true });

  /** One schemathesis run; `operations` limits it to those (by label). Its report and output stay in `reportDir`. */
  async function fuzz(name: string, seed: number, operations: string[] = []) {
    const junitPath = path.join(reportDir, `${name}.xml`);
    // Asynchronously: the gateway under test runs in this very process and must keep answering.
    const result = await run(
      bin,
      [
        'run',
        `${stack.url}/docs-json`,
        '--header',
        `Authorization: Bearer ${token}`,
        '--checks',
        'not_a_server_error,response_schema_conformance',
        '--max-examples',
        '15',
        '--workers',
        '2',
        '--seed',
        String(seed),
        '--report',
        'junit',
        '--report-junit-path',
        junitPath,
        '--no-color',
        ...operations.flatMap((label) => ['--include-name', label]),
      ],
      { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' },
      240_000,
    );
    // The whole report goes to a file, not the console: its closing banner ("== 2 warnings in 40s ==")
    // reads like a pytest run that executed no test to anything scanning the log of `npm test`.
    fs.writeFileSync(path.join(reportDir, `${name}.txt`), result.output);
    const xml = fs.existsSync(junitPath) ? fs.readFileSync(junitPath, 'utf8') : '';
    const classified = classifyReport(parseJunitReport(xml));
    // A run that failed without saying why in its report (killed, crashed before writing it) is a problem too.
    if (result.status !== 0 && !classified.problems.length && !classified.fuzzerErrors.length) {
      classified.problems.push(
        `schemathesis exited ${result.status} with nothing in its report: see test-results/schemathesis/${name}.txt`,
      );
    }
    return { ...classified, generated: Number(/(\d+) generated/.exec(result.output)?.[1] ?? 0), status: result.status };
  }

  const first = await fuzz('run', 1);
  console.log(
    `schemathesis: ${first.generated} requests generated across the API, exit ${first.status}; report in test-results/schemathesis/run.txt`,
  );
  const problems = [...first.problems];
  if (first.fuzzerErrors.length) {
    // Errors inside schemathesis itself (a KeyError while generating, Hypothesis's "Inconsistent results")
    // say nothing about the API: report them and fuzz those operations once more, with another seed.
    console.warn(
      `schemathesis errored on its own, fuzzing again:\n${first.fuzzerErrors.map((e) => `  ${e.operation}: ${e.message}`).join('\n')}`,
    );
    const labels = [...new Set(first.fuzzerErrors.map((e) => e.operation))];
    const again = await fuzz('rerun', 2, labels.every(isOperationLabel) ? labels : []);
    problems.push(...again.problems);
    // Twice in a row is no accident: those operations went untested.
    problems.push(
      ...again.fuzzerErrors.map((e) => `${e.operation}: schemathesis failed twice on its own: ${e.message}`),
    );
  }
  expect(problems).toEqual([]);
  expect(first.generated).toBeGreaterThan(300);
}, 540_000);

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    // Its cache (.schemathesis/) lands in the working directory: keep it out of the repository root.
    const cwd = path.resolve(__dirname, '../../test-results');
    fs.mkdirSync(cwd, { recursive: true });
    const child = spawn(cmd, args, { env, cwd });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
