/**
 * Scenario 7, writes: the database alone under concurrent writes, as Gatehouse's workers and gateway
 * write (many small inserts at once, each waited for). No Temporal and no Gatehouse code: it tells
 * one MongoDB (or FerretDB build, `FERRETDB_BIN`) from another, e.g. how its writes queue for SQLite's
 * one write lock (docs/performance.md, "FerretDB: one writer at a time").
 */
import { performance } from 'node:perf_hooks';
import type { Metric, ScenarioResult } from './report';
import type { Ctx } from './scenarios';
import { percentile, pool, round } from './stats';

/** The concurrencies measured, each with `--writes-n` inserts. */
export const WRITE_CONCURRENCIES = [1, 4, 16, 32];
/** About a ticket document's size. */
const PAD = 'x'.repeat(1500);

export interface WriteLevel {
  concurrency: number;
  inserts: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export async function writesScenario(ctx: Ctx): Promise<ScenarioResult> {
  const started = performance.now();
  const n = ctx.opts.writesPerLevel;
  const db = ctx.stack.store.connection.db!;
  const levels: WriteLevel[] = [];
  for (const concurrency of WRITE_CONCURRENCIES) {
    const collection = db.collection<{ _id: string; pad: string }>(`bench_writes_${ctx.stack.runId}_${concurrency}`);
    const t0 = performance.now();
    const ms = await pool(n, concurrency, async (i) => {
      const t = performance.now();
      await collection.insertOne({ _id: `w-${i}`, pad: PAD });
      return performance.now() - t;
    });
    const elapsed = performance.now() - t0;
    await collection.drop().catch(() => undefined);
    const level: WriteLevel = {
      concurrency,
      inserts: n,
      perSecond: round((n / elapsed) * 1000, 1),
      p50: round(percentile(ms, 50), 1),
      p90: round(percentile(ms, 90), 1),
      p99: round(percentile(ms, 99), 1),
      max: round(Math.max(...ms), 1),
    };
    levels.push(level);
    ctx.log(
      `  writes at ${concurrency} concurrent: ${level.perSecond}/s, p50 ${level.p50} ms, p90 ${level.p90}, p99 ${level.p99}, max ${level.max}`,
    );
  }
  const metrics: Metric[] = levels.flatMap((l) => [
    { name: `inserts/s at ${l.concurrency} concurrent`, unit: 'inserts/s', gatehouse: l.perSecond },
    { name: `insert p99 at ${l.concurrency} concurrent`, unit: 'ms', gatehouse: l.p99 },
  ]);
  return {
    name: 'writes',
    title: 'Concurrent inserts into the database alone',
    durationMs: Math.round(performance.now() - started),
    metrics,
    details: { perLevel: n, levels },
  };
}
