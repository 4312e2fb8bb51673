/**
 * `npx gatehouse` right after `npm install`: the workspace's `prepare` script builds cli/dist, and the bin
 * builds it itself when it is missing all the same, or rebuilds it when a source is newer than the build.
 * Run in copies of cli/ without dist (the repository's own dist is left alone), next to the repository's
 * node_modules or without TypeScript.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const COPIED = ['bin', 'scripts', 'src', 'schema', 'package.json', 'tsconfig.json', 'tsconfig.lib.json'];

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-install-'))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of cli/ (no dist) with the tsconfig it extends; node_modules: the repository's, or only these. */
function copyOfCli(name: string, modules: 'all' | string[]): string {
  const dir = path.join(scratch, name);
  for (const entry of COPIED) cpSync(path.join(root, 'cli', entry), path.join(dir, 'cli', entry), { recursive: true });
  cpSync(path.join(root, 'tsconfig.base.json'), path.join(dir, 'tsconfig.base.json'));
  if (modules === 'all') symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  else {
    mkdirSync(path.join(dir, 'node_modules'));
    for (const m of modules) symlinkSync(path.join(root, 'node_modules', m), path.join(dir, 'node_modules', m));
  }
  return path.join(dir, 'cli');
}

const run = (cwd: string, command: string, args: string[]) => {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** The next `--help` builds nothing: the same output, nothing on stderr. */
function expectQuietRun(cli: string, stdout: string) {
  const next = run(cli, process.execPath, ['bin/gatehouse.js', '--help']);
  expect({ code: next.code, stderr: next.stderr, stdout: next.stdout }).toEqual({ code: 0, stderr: '', stdout });
}

describe('installing the CLI', () => {
  it('npm runs the prepare script on install, and it builds cli/dist', () => {
    const cli = copyOfCli('prepare', 'all');
    expect(JSON.parse(readFileSync(path.join(cli, 'package.json'), 'utf8')).scripts.prepare).toBe(
      'node scripts/build.js',
    );
    const prepared = run(cli, 'npm', ['run', '--silent', 'prepare']);
    expect(prepared).toMatchObject({ code: 0, stdout: '' });
    expect(existsSync(path.join(cli, 'dist', 'main.js'))).toBe(true);
    const help = run(cli, process.execPath, ['bin/gatehouse.js', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
  }, 120_000);

  it('the bin builds a missing cli/dist once, keeping stdout for the command', () => {
    const cli = copyOfCli('bin', 'all');
    const first = run(cli, process.execPath, ['bin/gatehouse.js', '--help']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Usage: gatehouse \[options\] \[command\]/);
    expect(first.stdout).toContain('login [options]');
    expect(first.stderr).toContain('building the CLI first (cli/dist is missing)');
    expect(existsSync(path.join(cli, 'dist', 'main.js'))).toBe(true);

    expectQuietRun(cli, first.stdout);
  }, 120_000);

  it('the bin rebuilds a cli/dist older than its sources before running it', () => {
    const cli = copyOfCli('stale', 'all');
    expect(run(cli, process.execPath, ['scripts/build.js']).code).toBe(0);
    const before = run(cli, process.execPath, ['bin/gatehouse.js', '--help']);
    expect(before).toMatchObject({ code: 0, stderr: '' });
    expect(before.stdout).toContain('Gatehouse access requests');

    // A `git pull` that changed a source: newer than the build, and the old dist would still run.
    const mainTs = path.join(cli, 'src', 'main.ts');
    writeFileSync(
      mainTs,
      readFileSync(mainTs, 'utf8').replace("'Gatehouse access requests", "'Newer Gatehouse access requests"),
    );
    const builtBefore = new Date(Date.now() - 60_000);
    utimesSync(path.join(cli, 'dist', '.tsbuildinfo'), builtBefore, builtBefore);

    const after = run(cli, process.execPath, ['bin/gatehouse.js', '--help']);
    expect(after.code).toBe(0);
    expect(after.stderr).toContain('rebuilding the CLI first (cli/src changed since cli/dist was built)');
    expect(after.stdout).toContain('Newer Gatehouse access requests');
    expectQuietRun(cli, after.stdout);
  }, 120_000);

  it('without TypeScript the install still succeeds, and the bin says how to build', () => {
    const cli = copyOfCli('no-typescript', ['commander', 'yaml', 'ajv']);
    const prepared = run(cli, process.execPath, ['scripts/build.js']);
    expect(prepared.code).toBe(0);
    expect(prepared.stderr).toContain('TypeScript is not installed');
    const help = run(cli, process.execPath, ['bin/gatehouse.js', '--help']);
    expect(help.code).toBe(1);
    expect(help.stderr).toContain('Run `npm install`, then `npm run build`');
  }, 60_000);
});
