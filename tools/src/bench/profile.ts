/**
 * Cheap profiles taken during every scenario: CPU seconds of each process of the stack (from
 * /proc/<pid>/stat), and the time MongoDB commands took as the driver saw them (command monitoring).
 */
import fs from 'node:fs';
import type { Store } from '@gatehouse/store';
import { round, sleep } from './stats';

const TICKS_PER_SECOND = 100;

function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU seconds used by this process and the given children between `start()` and `stop()`. */
export class CpuMeter {
  private base: Record<string, number> = {};
  private startedAt = 0;
  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  private read(): Record<string, number> {
    const own = process.cpuUsage();
    const out: Record<string, number> = { 'bench process (gateway+workers in-process)': (own.user + own.system) / 1e6 };
    for (const [name, pid] of Object.entries(this.pids())) if (pid) out[name] = procCpuSeconds(pid);
    return out;
  }

  start(): void {
    this.base = this.read();
    this.startedAt = Date.now();
  }

  stop(): { wallSeconds: number; cpuSeconds: Record<string, number> } {
    const cpuSeconds: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.elapsed())) cpuSeconds[k] = round(v, 1);
    return { wallSeconds: round((Date.now() - this.startedAt) / 1000, 1), cpuSeconds };
  }

  /** CPU seconds of each process since `start()`, unrounded. */
  elapsed(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.read())) out[k] = v - (this.base[k] ?? 0);
    return out;
  }

  /**
   * Waits until the processes together use less than `share` of one core over `windowMs` (at most `maxMs`):
   * work a round left behind (the servers' own background tasks) is counted in that round, not the next.
   */
  async quiet(windowMs = 500, share = 0.1, maxMs = 10_000): Promise<void> {
    const sum = () => Object.values(this.read()).reduce((a, b) => a + b, 0);
    const until = Date.now() + maxMs;
    let before = sum();
    while (Date.now() < until) {
      await sleep(windowMs);
      const now = sum();
      if ((now - before) * 1000 < windowMs * share) return;
      before = now;
    }
  }
}

/**
 * The MongoDB operations sent through one store (gateway + in-process worker), by collection and
 * method: how many round trips each scenario costs. (Mongoose's debug hook; it carries no durations.)
 */
export class MongoProfiler {
  private readonly counts = new Map<string, number>();
  private previous: unknown;
  constructor(private readonly store: Store) {}

  start(): void {
    this.previous = this.store.connection.get('debug');
    this.store.connection.set('debug', (collection: string, method: string) => {
      const key = `${collection}.${method}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    });
  }

  stop(top = 15): Array<{ operation: string; count: number }> {
    this.store.connection.set('debug', this.previous ?? false);
    return [...this.counts.entries()]
      .map(([operation, count]) => ({ operation, count }))
      .sort((a, b) => b.count - a.count)
      .slice(0, top);
  }
}
