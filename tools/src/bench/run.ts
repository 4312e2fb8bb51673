/** Runs the benchmark: boots the stack, runs the scenarios, prints the table, writes the JSON. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBenchStack, ROOT } from './bench-stack';
import type { BenchOptions, ScenarioName } from './options';
import { CpuMeter, MongoProfiler } from './profile';
import { writeHtmlReport, type WrittenReport } from './html-report';
import { formatTable, type ScenarioResult } from './report';
import {
  approveScenario,
  createScenario,
  errorSamples,
  listsScenario,
  openScenario,
  stormScenario,
  trackerScenario,
  type Ctx,
} from './scenarios';
import { writesScenario } from './writes-scenario';

const RUNNERS: Record<ScenarioName, (ctx: Ctx) => Promise<ScenarioResult>> = {
  create: createScenario,
  approve: approveScenario,
  storm: stormScenario,
  tracker: trackerScenario,
  open: openScenario,
  lists: listsScenario,
  writes: writesScenario,
};

export interface BenchReport {
  startedAt: string;
  durationMs: number;
  mode: 'smoke' | 'full';
  /** The checkout measured (`git describe --always --dirty`), when there is one. */
  commit: string | null;
  machine: { nproc: number; memoryGiB: number; cpuModel: string; node: string; platform: string };
  /** 1-minute load average before and after: other work on the machine skews every number. */
  loadAverage: { start: number; end: number };
  servers: { temporal: string; mongo: string; startedByBench: boolean; ferretdbBinary: string | null };
  options: BenchOptions;
  scenarios: ScenarioResult[];
  failures: Array<{ scenario: string; error: string }>;
  table: string;
  file: string;
  /** The HTML report and chart files (`--report`); returned, not stored in the JSON. */
  report?: WrittenReport;
}

export function machineInfo(): BenchReport['machine'] {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return null;
  }
}

/** Results so far, so that an interrupted run still leaves its numbers behind. */
function writePartial(opts: BenchOptions, startedAt: string, scenarios: ScenarioResult[]): void {
  const outDir = path.resolve(ROOT, opts.outDir);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, `${startedAt.replace(/[:.]/g, '-')}.partial.json`),
    `${JSON.stringify({ startedAt, scenarios }, null, 2)}\n`,
  );
}

export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void = (l) => console.log(l),
): Promise<BenchReport> {
  const started = Date.now();
  const loadStart = os.loadavg()[0];
  const startedAt = new Date(started).toISOString();
  log(`[bench] ${opts.smoke ? 'smoke' : 'full'} run: ${opts.only.join(', ')}`);
  const stack = await startBenchStack({
    temporalAddress: opts.temporalAddress,
    mongoUri: opts.mongoUri,
    workflowBundlePath: opts.workflowBundlePath,
    log: (l) => log(`[bench] ${l}`),
  });
  const scenarios: ScenarioResult[] = [];
  const failures: BenchReport['failures'] = [];
  try {
    log(`[bench] stack up in ${Date.now() - started} ms`);
    const ctx: Ctx = { stack, opts, log };
    for (const name of opts.only) {
      const s = Date.now();
      log(`[bench] ${name} …`);
      const cpu = new CpuMeter(() => stack.serverPids);
      const mongo = new MongoProfiler(stack.store);
      cpu.start();
      mongo.start();
      try {
        const result = await RUNNERS[name](ctx);
        // Where the time went: CPU per process, and the gateway's + in-process worker's MongoDB commands.
        result.details.profile = { ...cpu.stop(), mongoCommands: mongo.stop() };
        if (errorSamples.length) result.details.errorSamples = errorSamples.splice(0);
        scenarios.push(result);
        log(`[bench] ${name} done in ${Math.round((Date.now() - s) / 1000)} s`);
        writePartial(opts, startedAt, scenarios);
      } catch (err) {
        const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        mongo.stop();
        failures.push({ scenario: name, error });
        log(`[bench] ${name} FAILED: ${error}`);
      }
    }
  } finally {
    await stack.stop();
  }
  const table = formatTable(scenarios);
  const outDir = path.resolve(ROOT, opts.outDir);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${startedAt.replace(/[:.]/g, '-')}.json`);
  const report: BenchReport = {
    startedAt,
    durationMs: Date.now() - started,
    mode: opts.smoke ? 'smoke' : 'full',
    commit: gitCommit(),
    machine: machineInfo(),
    loadAverage: { start: loadStart, end: os.loadavg()[0] },
    servers: {
      temporal: stack.temporalAddress,
      mongo: stack.mongoUri.replace(/\/\/[^@/]*@/, '//***@'),
      startedByBench: stack.ownServers,
      // Which FerretDB build the run measured: the pinned one, or another (FERRETDB_BIN, e.g. ferretdb-idfix).
      ferretdbBinary:
        stack.ownServers && !opts.mongoUri
          ? process.env.FERRETDB_BIN
            ? path.basename(process.env.FERRETDB_BIN)
            : 'ferretdb'
          : null,
    },
    options: opts,
    scenarios,
    failures,
    table,
    file,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  fs.rmSync(path.join(outDir, `${startedAt.replace(/[:.]/g, '-')}.partial.json`), { force: true });
  if (opts.report) {
    try {
      report.report = await writeHtmlReport(report, file, { docsImages: opts.docsImages });
      log(
        `[bench] report ${path.relative(process.cwd(), report.report.html)} (${report.report.svgs.length} charts)` +
          (report.report.docsImages.length
            ? `; charts copied to ${report.report.docsImages.map((f) => path.relative(process.cwd(), f)).join(', ')}`
            : ''),
      );
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      report.failures.push({ scenario: 'report', error });
      log(`[bench] the HTML report failed: ${error}`);
    }
  }
  log(`\n${table}\n`);
  log(
    `[bench] load average (1 min) ${loadStart.toFixed(1)} at start, ${report.loadAverage.end.toFixed(1)} at end, on ${report.machine.nproc} CPUs`,
  );
  log(
    `[bench] ${failures.length ? `${failures.length} scenario(s) failed; ` : ''}finished in ${Math.round(report.durationMs / 1000)} s; results in ${path.relative(process.cwd(), file)}`,
  );
  return report;
}
