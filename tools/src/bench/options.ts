/** Command-line options of `npm run bench`, with the full-run defaults and the `--smoke` sizes. */

export const SCENARIOS = ['create', 'approve', 'storm', 'tracker', 'open', 'lists', 'writes'] as const;
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
  /** Open (pending) tickets started before the approve rounds: the load the approve target is set at. */
  approveOpenTickets: number;
  /** How often the approve scenario polls the read model for the grant. */
  pollMs: number;
  stormSize: number;
  stormRounds: number;
  /** Time between the start of a storm round's setup and T, the common end of every grant (0: from a calibrated setup rate). */
  stormLeadMs: number;
  /** The largest tracker size; the tracker measures at several sizes up to it (see trackerSizes). */
  trackerDocs: number;
  /** Explicit tracker sizes (`--tracker-sizes 1000,5000`); empty: derived from trackerDocs. */
  trackerSizeList: number[];
  trackerSamples: number;
  openTickets: number;
  openBatch: number;
  /** The admin lists: audit entries and grants at the largest size (also measured at a quarter and a fifth). */
  listsAuditEntries: number;
  listsGrants: number;
  listsSamples: number;
  /** Inserts at each concurrency of the writes scenario. */
  writesPerLevel: number;
  /** Where `<timestamp>.json` goes. */
  outDir: string;
  /** Also write `<timestamp>.html` and one SVG per chart beside the JSON. */
  report: boolean;
  /** Also copy the charts to docs/images/bench-<chart>.svg (implies report). */
  docsImages: boolean;
  /** The Gatehouse worker's prebuilt workflow bundle (absent: bundled now). */
  workflowBundlePath: string | null;
  quiet: boolean;
}

export const FULL_DEFAULTS: Omit<
  BenchOptions,
  | 'temporalAddress'
  | 'mongoUri'
  | 'outDir'
  | 'workflowBundlePath'
  | 'quiet'
  | 'only'
  | 'smoke'
  | 'report'
  | 'docsImages'
  | 'trackerSizeList'
> = {
  rounds: 3,
  createPerRound: 64,
  createConcurrency: 32,
  approvePerRound: 32,
  approveConcurrency: 16,
  approveOpenTickets: 400,
  pollMs: 100,
  stormSize: 200,
  stormRounds: 1,
  stormLeadMs: 0,
  trackerDocs: 10_000,
  trackerSamples: 1,
  openTickets: 250,
  openBatch: 250,
  listsAuditEntries: 20_000,
  listsGrants: 10_000,
  listsSamples: 10,
  writesPerLevel: 2_000,
};

export const SMOKE_SIZES: Partial<BenchOptions> = {
  rounds: 3,
  createPerRound: 6,
  approvePerRound: 4,
  approveOpenTickets: 8,
  stormSize: 8,
  stormRounds: 1,
  stormLeadMs: 3_000,
  trackerDocs: 100,
  trackerSamples: 2,
  openTickets: 20,
  openBatch: 10,
  listsAuditEntries: 200,
  listsGrants: 50,
  listsSamples: 2,
  writesPerLevel: 40,
};

const NUMERIC: Record<string, keyof BenchOptions> = {
  '--rounds': 'rounds',
  '--create-n': 'createPerRound',
  '--create-concurrency': 'createConcurrency',
  '--approve-n': 'approvePerRound',
  '--approve-concurrency': 'approveConcurrency',
  '--approve-open': 'approveOpenTickets',
  '--poll-ms': 'pollMs',
  '--storm-n': 'stormSize',
  '--storm-rounds': 'stormRounds',
  '--storm-lead-ms': 'stormLeadMs',
  '--tracker-n': 'trackerDocs',
  '--tracker-samples': 'trackerSamples',
  '--open-n': 'openTickets',
  '--open-batch': 'openBatch',
  '--lists-audit-n': 'listsAuditEntries',
  '--lists-grants-n': 'listsGrants',
  '--lists-samples': 'listsSamples',
  '--writes-n': 'writesPerLevel',
};

export const USAGE = `Usage: npm run bench -- [options]
       npm run bench -- report [<results.json>] [--docs-images]   (re)write the HTML report of a finished run
                                                                   (default: the newest JSON in bench-results)
  --smoke                   every scenario at tiny sizes (seconds)
  --report                  also write <timestamp>.html (charts, table) and <timestamp>-<chart>.svg beside the JSON
  --docs-images             with --report: also copy the charts to docs/images/bench-<chart>.svg
  --tracker-sizes <a,b>     ticket counts the tracker measures at (default: a tenth, a quarter, half and all of
                            --tracker-n, and 10000 when --tracker-n is larger)
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
    report: false,
    docsImages: false,
    trackerSizeList: [],
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
    else if (arg === '--report') opts.report = true;
    else if (arg === '--docs-images') opts.report = opts.docsImages = true;
    else if (arg === '--tracker-sizes') {
      const sizes = value()
        .split(',')
        .map((s) => Number(s.trim()));
      if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n <= 0))
        throw new Error('--tracker-sizes needs ticket counts > 0, e.g. 1000,5000,10000');
      opts.trackerSizeList = sizes;
      opts.trackerDocs = Math.max(...sizes);
    } else if (arg === '--only') {
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

/** The size the tracker and dashboard targets are set at. */
export const TRACKER_TARGET_SIZE = 10_000;

/**
 * The ticket counts the tracker measures at, ascending: `--tracker-sizes`, else a tenth, a quarter, half
 * and all of `--tracker-n` (10,000 → 1,000, 2,500, 5,000, 10,000), with the target's 10,000 added when
 * `--tracker-n` is larger (100,000 → 10,000, 25,000, 50,000, 100,000).
 */
export function trackerSizes(opts: Pick<BenchOptions, 'trackerDocs' | 'trackerSizeList'>): number[] {
  const n = opts.trackerDocs;
  const sizes = opts.trackerSizeList.length
    ? opts.trackerSizeList
    : [n / 10, n / 4, n / 2, n, ...(n > TRACKER_TARGET_SIZE ? [TRACKER_TARGET_SIZE] : [])].map(Math.round);
  return [...new Set(sizes.filter((s) => s > 0))].sort((a, b) => a - b);
}

/**
 * `npm run bench -- report [<json>] [--docs-images]`: (re)writes the report of a finished run beside its JSON
 * (default: the newest JSON in bench-results).
 */
export interface ReportCommand {
  json: string | null;
  docsImages: boolean;
}

export function parseReportCommand(argv: string[]): ReportCommand | null {
  if (argv[0] !== 'report') return null;
  const cmd: ReportCommand = { json: null, docsImages: false };
  for (const arg of argv.slice(1)) {
    if (arg === '--docs-images') cmd.docsImages = true;
    else if (arg === '--help' || arg === '-h') throw new HelpRequested();
    else if (!arg.startsWith('-') && cmd.json === null) cmd.json = arg;
    else throw new Error(`unknown report option ${arg}\n${USAGE}`);
  }
  return cmd;
}
