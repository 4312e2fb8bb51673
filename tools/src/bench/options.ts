/** Command-line options of `npm run bench`, with the full-run defaults and the `--smoke` sizes. */

export const SCENARIOS = ['create', 'approve', 'storm', 'tracker', 'open'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  smoke: boolean;
  /** Existing servers; absent, the benchmark starts its own Temporal dev server and FerretDB. */
  temporalAddress: string | null;
  mongoUri: string | null;
  only: ScenarioName[];
  rounds: number;
  createPerRound: number;
  createConcurrency: number;
  approvePerRound: number;
  approveConcurrency: number;
  /** How often the approve scenario polls the read model for the grant. */
  pollMs: number;
  stormSize: number;
  stormRounds: number;
  /** Time between the start of a storm round's setup and T, the common end of every grant (0: 20 s + 150 ms per grant). */
  stormLeadMs: number;
  trackerDocs: number;
  trackerSamples: number;
  openTickets: number;
  openBatch: number;
  /** Where `<timestamp>.json` goes. */
  outDir: string;
  /** The Gatehouse worker's prebuilt workflow bundle (absent: bundled now). */
  workflowBundlePath: string | null;
  quiet: boolean;
}

export const FULL_DEFAULTS: Omit<
  BenchOptions,
  'temporalAddress' | 'mongoUri' | 'outDir' | 'workflowBundlePath' | 'quiet' | 'only' | 'smoke'
> = {
  rounds: 3,
  createPerRound: 64,
  createConcurrency: 32,
  approvePerRound: 32,
  approveConcurrency: 16,
  pollMs: 100,
  stormSize: 200,
  stormRounds: 1,
  stormLeadMs: 0,
  trackerDocs: 1_000,
  trackerSamples: 2,
  openTickets: 250,
  openBatch: 250,
};

export const SMOKE_SIZES: Partial<BenchOptions> = {
  rounds: 3,
  createPerRound: 6,
  approvePerRound: 4,
  stormSize: 8,
  stormRounds: 1,
  stormLeadMs: 3_000,
  trackerDocs: 100,
  trackerSamples: 2,
  openTickets: 20,
  openBatch: 10,
};

const NUMERIC: Record<string, keyof BenchOptions> = {
  '--rounds': 'rounds',
  '--create-n': 'createPerRound',
  '--create-concurrency': 'createConcurrency',
  '--approve-n': 'approvePerRound',
  '--approve-concurrency': 'approveConcurrency',
  '--poll-ms': 'pollMs',
  '--storm-n': 'stormSize',
  '--storm-rounds': 'stormRounds',
  '--storm-lead-ms': 'stormLeadMs',
  '--tracker-n': 'trackerDocs',
  '--tracker-samples': 'trackerSamples',
  '--open-n': 'openTickets',
  '--open-batch': 'openBatch',
};

export const USAGE = `Usage: npm run bench -- [options]
  --smoke                   every scenario at tiny sizes (seconds)
  --temporal <host:port>    use this Temporal server (or env TEMPORAL_ADDRESS) instead of starting a dev server
  --mongo <uri>             use this MongoDB (or env MONGODB_URI) instead of starting FerretDB
  --only <a,b>              scenarios to run: ${SCENARIOS.join(', ')}
  --out <dir>               where results are written (default bench-results)
  ${Object.entries(NUMERIC)
    .map(([flag, key]) => `${flag} <n>  (default ${String(FULL_DEFAULTS[key as keyof typeof FULL_DEFAULTS])})`)
    .join('\n  ')}`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const smoke = argv.includes('--smoke');
  const opts: BenchOptions = {
    ...FULL_DEFAULTS,
    ...(smoke ? SMOKE_SIZES : {}),
    smoke,
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    mongoUri: env.MONGODB_URI || null,
    only: [...SCENARIOS],
    outDir: 'bench-results',
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH || null,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--smoke') continue;
    else if (arg === '--temporal') opts.temporalAddress = value();
    else if (arg === '--mongo') opts.mongoUri = value();
    else if (arg === '--out') opts.outDir = value();
    else if (arg === '--quiet') opts.quiet = true;
    else if (arg === '--only') {
      const names = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const n of names)
        if (!SCENARIOS.includes(n as ScenarioName))
          throw new Error(`unknown scenario ${n} (known: ${SCENARIOS.join(', ')})`);
      opts.only = names as ScenarioName[];
    } else if (arg in NUMERIC) {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${arg} needs a number ≥ 0`);
      (opts as unknown as Record<string, number>)[NUMERIC[arg]] = n;
    } else if (arg === '--help' || arg === '-h') {
      throw new HelpRequested();
    } else {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return opts;
}

export class HelpRequested extends Error {}
