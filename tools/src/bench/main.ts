/** `npm run bench [-- options]`: see options.ts, or `npm run bench -- --help`. */
import path from 'node:path';
import { ROOT } from './bench-stack';
import { newestResults, regenerateReport } from './html-report';
import { HelpRequested, parseOptions, parseReportCommand, USAGE } from './options';
import { runBench } from './run';

/** `npm run bench -- report [<json>] [--docs-images]`: the report of a finished run, without running it again. */
async function regenerate(json: string | null, docsImages: boolean): Promise<void> {
  const file = json ? path.resolve(json) : newestResults(path.join(ROOT, 'bench-results'));
  if (!file) throw new Error('no results in bench-results: name a results JSON');
  const written = await regenerateReport(file, { docsImages });
  const rel = (f: string) => path.relative(process.cwd(), f);
  console.log(`[bench] report ${rel(written.html)} from ${rel(file)}`);
  for (const f of [...written.svgs, ...written.docsImages]) console.log(`[bench]   ${rel(f)}`);
}

async function main(): Promise<void> {
  let opts;
  try {
    const cmd = parseReportCommand(process.argv.slice(2));
    if (cmd) return await regenerate(cmd.json, cmd.docsImages);
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(USAGE);
      return;
    }
    throw err;
  }
  const report = await runBench(opts);
  process.exitCode = report.failures.length ? 1 : 0;
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => {
    // The Temporal runtime keeps native handles alive; everything was stopped, so leave.
    setTimeout(() => process.exit(), 500).unref();
  });
