/** `npm run bench [-- options]`: see options.ts, or `npm run bench -- --help`. */
import { HelpRequested, parseOptions, USAGE } from './options';
import { runBench } from './run';

async function main(): Promise<void> {
  let opts;
  try {
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
