/**
 * schemathesis (from PyPI) fuzzes every operation of the served OpenAPI document with an admin token,
 * through its examples, coverage, fuzzing and stateful phases: no response may be a 5xx, and no
 * response may break the schema the document declares for it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createApp, startTestStack, users, type TestStack } from '../support/stack';

const bin = path.resolve(__dirname, '../../.tools/schemathesis/bin/schemathesis');

let stack: TestStack;
beforeAll(async () => {
  if (!fs.existsSync(bin)) throw new Error('schemathesis is missing: run bash tools/scripts/install-schemathesis.sh (npm test does)');
  // Fuzzing sends thousands of requests from one caller: lift the per-minute budget for this stack.
  stack = await startTestStack({ env: { RATE_LIMIT_PER_MINUTE: '10000000' } });
  // Data for operations that need existing ids.
  const appId = await createApp(stack);
  await stack.as(users.alice).post('/tickets', { appId, changes: [{ op: 'add', entitlementId: 'engineering-team' }], duration: { type: 'indefinite' }, reason: 'fuzz' });
});
afterAll(async () => stack?.stop());

test('no 5xx and no schema violation across every operation', async () => {
  const token = await stack.token(users.root);
  const reportDir = path.resolve(__dirname, '../../test-results/schemathesis');
  fs.rmSync(reportDir, { recursive: true, force: true });
  // Asynchronously: the gateway under test runs in this very process and must keep answering.
  const result = await run(
    bin,
    [
      'run', `${stack.url}/docs-json`,
      '--header', `Authorization: Bearer ${token}`,
      '--checks', 'not_a_server_error,response_schema_conformance',
      '--max-examples', '15',
      '--workers', '2',
      '--seed', '1',
      '--report', 'junit',
      '--report-dir', reportDir,
      '--no-color',
    ],
    { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' },
    240_000,
  );
  const output = result.output;
  // The whole report goes to a file, not the console: its closing banner ("== 2 warnings in 40s ==")
  // reads like a pytest run that executed no test to anything scanning the log of `npm test`.
  fs.mkdirSync(reportDir, { recursive: true });
  fs.writeFileSync(path.join(reportDir, 'output.txt'), output);
  const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  console.log(`schemathesis: ${generated} requests generated across the API, exit ${result.status}; report in test-results/schemathesis/output.txt`);
  expect({ exit: result.status, failures: output.match(/^\s*\d+\. .*$/gm) ?? [] }).toEqual({ exit: 0, failures: [] });
  expect(generated).toBeGreaterThan(300);
}, 300_000);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; output: string }> {
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
