/**
 * Randomized access checker: random schedules of requests, decisions, extensions, re-raises, modifies,
 * removes, revokes, retries and expiries over a few users and overlapping entitlements, with scheduled
 * starts, worker restarts and a target that fails for a while. After every step the target's memberships
 * must match the tickets' access, and the read model the workflows (see checker.ts).
 *
 * `npm test` runs seeds 1..50. `npm run check:random -- --schedules 1000` (tools/scripts/check-random.sh)
 * runs more; `--seed N` replays one schedule. Environment: RANDOM_FROM, RANDOM_SCHEDULES, RANDOM_CONCURRENCY.
 */
import { formatFailure, runSchedules, World } from './checker';
import { generateSchedule, KNOWN_SCHEDULES } from './schedule';

const from = Number(process.env.RANDOM_FROM ?? 1);
const count = Number(process.env.RANDOM_SCHEDULES ?? 50);
const concurrency = Number(process.env.RANDOM_CONCURRENCY ?? 14);
const seeds = Array.from({ length: count }, (_, i) => from + i);
const schedules = seeds.map((seed) => generateSchedule(seed));
const say = (line: string) => process.stdout.write(`${line}\n`);

// A schedule takes 10 to 40 seconds of real time (its timers are seconds long); they run side by side.
jest.setTimeout(120_000 + Math.ceil(count / concurrency) * 90_000);

let world: World;
beforeAll(async () => {
  // Every check reads each ticket and the grants as one admin: lift the per-caller rate limit.
  world = await World.open({ RATE_LIMIT_PER_MINUTE: '1000000' });
});
afterAll(async () => world?.close());

test(`random schedules (seeds ${from}..${from + count - 1}): every person holds exactly the access their tickets give`, async () => {
  const started = Date.now();
  say(`[check:random] seeds ${from}..${from + count - 1}, ${concurrency} at a time`);
  const results = await runSchedules(world, schedules, concurrency, (r) => {
    if (r.violations.length)
      say(`[check:random] seed ${r.seed}: ${r.violations.length} violation(s), first: ${r.violations[0].kind}`);
  });
  const failed = results.filter((r) => r.violations.length);
  const steps = schedules.reduce((n, s) => n + s.steps.length, 0);
  const failures = failed.map((r) => formatFailure(r, schedules[seeds.indexOf(r.seed)]));
  for (const text of failures) say(text);
  say(
    `[check:random] seeds ${from}..${from + count - 1}: ${results.length - failed.length} passed, ${failed.length} failed` +
      `${failed.length ? ` (seeds ${failed.map((r) => r.seed).join(', ')})` : ''}; ${steps} steps in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  expect(failures).toEqual([]);
});

test.each(KNOWN_SCHEDULES.map((s) => [s.name, s] as const))('%s', async (_name, schedule) => {
  const [result] = await runSchedules(world, [schedule], 1);
  if (process.env.RANDOM_TRACE) say(formatFailure(result, schedule));
  expect(result.violations.length ? formatFailure(result, schedule) : '').toBe('');
});
