/** The benchmark scenarios 1–6 (7, writes, is in writes-scenario.ts). Each measures Gatehouse and a Temporal-only baseline side by side. */
import { performance } from 'node:perf_hooks';
import { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common';
import { approverRulesOf, type App, type TicketState, type TicketWorkflowInput } from '@gatehouse/domain';
import {
  grantKey,
  newTicketDoc,
  Store,
  type AuditDoc,
  type GrantDoc,
  type TicketListQuery,
  type TicketTab,
} from '@gatehouse/store';
import { approveTicketUpdate, TICKET_WORKFLOW_TYPE, ticketWorkflowStartOptions } from '@gatehouse/workflows';
import type { TokenClaims } from '../tokens';
import {
  ADMIN,
  APPROVER,
  benchApp,
  startChildWorker,
  waitUntil,
  type BenchStack,
  type GatewayHandle,
} from './bench-stack';
import { baselineApprove } from './baseline-workflows';
import { CpuMeter } from './profile';
import { TRACKER_TARGET_SIZE, trackerSizes, type BenchOptions } from './options';
import { ratioOf, sizeNote, type Metric, type ScenarioResult } from './report';
import { median, percentile, pool, round, sleep, waitFor } from './stats';

export interface Ctx {
  stack: BenchStack;
  opts: BenchOptions;
  log(line: string): void;
}

const ENTITLEMENT = 'bench-group';
const DAY = 86_400_000;
const now = () => performance.now();
const approverActor = {
  id: APPROVER.sub,
  name: APPROVER.name,
  roles: APPROVER.roles ?? [],
  groups: APPROVER.groups ?? [],
};

function metric(
  name: string,
  unit: string,
  gatehouse: number,
  baseline?: number,
  target?: { text: string; met: boolean },
): Metric {
  return {
    name,
    unit,
    gatehouse: round(gatehouse, 2),
    ...(baseline !== undefined
      ? { baseline: round(baseline, 2), ratio: round(ratioOf(gatehouse, baseline) ?? NaN, 3) }
      : {}),
    ...(target ? { target: target.text, met: target.met } : {}),
  };
}

const target = (text: string, met: boolean) => ({ text, met });

/** The first few failures of a run, kept in the JSON (a request that times out counts as an error). */
export const errorSamples: string[] = [];
function noteError(what: string): void {
  if (errorSamples.length < 20) errorSamples.push(what.slice(0, 300));
}

async function createTicket(
  ctx: Ctx,
  url: string,
  appId: string,
  beneficiary: string,
  end: string,
): Promise<{ status: number; id?: string }> {
  try {
    const res = await ctx.stack.http('POST', url, '/tickets', await ctx.stack.token(ADMIN), {
      appId,
      changes: [{ op: 'add', entitlementId: ENTITLEMENT }],
      duration: { type: 'limited', end },
      reason: 'benchmark',
      onBehalfOf: beneficiary,
    });
    if (res.status !== 201) noteError(`POST /tickets → ${res.status} ${JSON.stringify(res.body)}`);
    return { status: res.status, id: res.status === 201 ? res.body.id : undefined };
  } catch (err) {
    noteError(`POST /tickets: ${String(err)}`);
    return { status: -1 };
  }
}

/**
 * Waits until the workflows of these tickets have written their own state (version ≥ 1) to the read model.
 * Counted in memory from the tickets' feed (the tracker's index): each look reads only the feed rows added
 * since the last, where a database count would scan every ticket on FerretDB and load what it measures.
 */
async function waitPersisted(store: Store, ids: string[], timeoutMs = 120_000): Promise<boolean> {
  if (ids.length === 0) return true;
  const wanted = new Set(ids);
  return waitFor(
    async () => {
      let n = 0;
      for (const row of await store.tickets.listIndex.upToDate())
        if (wanted.has(row._id) && (row.version ?? 0) >= 1) n++;
      return n >= wanted.size;
    },
    timeoutMs,
    250,
  );
}

/** Waits until the task queue has no backlog (best effort: servers that do not report stats get a short pause). */
async function waitDrained(ctx: Ctx, taskQueue: string, timeoutMs = 60_000): Promise<void> {
  const svc = ctx.stack.client.workflowService;
  const ok = await waitFor(
    async () => {
      try {
        const res = await svc.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueue },
          taskQueueType: 1,
          reportStats: true,
        } as never);
        const backlog = Number(
          (res as { stats?: { approximateBacklogCount?: unknown } }).stats?.approximateBacklogCount ?? 0,
        );
        return backlog === 0;
      } catch {
        return true;
      }
    },
    timeoutMs,
    200,
  );
  if (!ok) ctx.log(`  (task queue ${taskQueue} still has a backlog after ${timeoutMs} ms)`);
  await sleep(300);
}

/**
 * Runs `run`, whose work on the stack ends when it resolves, and answers with its result and the CPU (ms)
 * each process of the stack used per unit of that work, counted until the stack is quiet again.
 */
async function cpuMsPer<T>(
  stack: BenchStack,
  units: number,
  run: () => Promise<T>,
): Promise<[T, Record<string, number>]> {
  const meter = new CpuMeter(() => stack.serverPids);
  meter.start();
  const result = await run();
  await meter.quiet();
  const perUnit: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(meter.elapsed())) perUnit[name] = round((seconds * 1000) / units, 1);
  return [result, perUnit];
}

/** All processes' CPU of `cpuMsPer`. */
const cpuTotal = (cpu: Record<string, number>): number =>
  round(
    Object.values(cpu).reduce((a, b) => a + b, 0),
    1,
  );

// ── 1. Create ──────────────────────────────────────────────────────────────────────────────────

export async function createScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { stack, opts } = ctx;
  const t0 = Date.now();
  const app = benchApp(`bench-create-${stack.runId}`);
  await stack.putApp(app);
  const n = opts.createPerRound;
  const conc = opts.createConcurrency;
  const rounds: Array<{
    gatehouse: number;
    baseline: number;
    errors: number;
    /** Every request's latency in this round, ms, in completion order (the report's distribution). */
    latencyMs: { gatehouse: number[]; baseline: number[] };
    /**
     * CPU per ticket (ms) of each process of the stack, from the round's first request until its work is
     * done (tickets persisted, task queue drained) and the stack is quiet again: what one create costs the
     * machine, either side.
     */
    cpuMsPerTicket: { gatehouse: Record<string, number>; baseline: Record<string, number> };
  }> = [];
  const end = new Date(Date.now() + DAY).toISOString();

  const gatehouseRound = async (r: number) => {
    let errors = 0;
    const ids: string[] = [];
    const latencies: number[] = [];
    const start = now();
    await pool(n, conc, async (i) => {
      const s = now();
      const res = await createTicket(ctx, stack.gateway.url, app.id, `c${r}-${i}`, end);
      latencies.push(now() - s);
      if (res.id) ids.push(res.id);
      else errors++;
    });
    const rate = (n / (now() - start)) * 1000;
    await waitPersisted(stack.store, ids);
    await waitDrained(ctx, stack.gatehouseQueue);
    return { rate, errors, latencies };
  };
  const baselineRound = async (r: number) => {
    const latencies: number[] = [];
    const start = now();
    await pool(n, conc, async (i) => {
      const s = now();
      await stack.client.workflow.start('baselineWaiting', {
        taskQueue: stack.baselineQueue,
        workflowId: `${stack.runId}-create-${r}-${i}`,
        args: [],
      });
      latencies.push(now() - s);
    });
    const rate = (n / (now() - start)) * 1000;
    await waitDrained(ctx, stack.baselineQueue);
    return { rate, latencies };
  };

  for (let r = 0; r < opts.rounds; r++) {
    // Alternate the order so that neither side always runs on a warmer (or more loaded) server.
    let g: Awaited<ReturnType<typeof gatehouseRound>>;
    let b: Awaited<ReturnType<typeof baselineRound>>;
    let gCpu: Record<string, number>;
    let bCpu: Record<string, number>;
    if (r % 2 === 0) {
      [g, gCpu] = await cpuMsPer(stack, n, () => gatehouseRound(r));
      [b, bCpu] = await cpuMsPer(stack, n, () => baselineRound(r));
    } else {
      [b, bCpu] = await cpuMsPer(stack, n, () => baselineRound(r));
      [g, gCpu] = await cpuMsPer(stack, n, () => gatehouseRound(r));
    }
    rounds.push({
      gatehouse: round(g.rate),
      baseline: round(b.rate),
      errors: g.errors,
      latencyMs: { gatehouse: g.latencies.map((x) => round(x, 1)), baseline: b.latencies.map((x) => round(x, 1)) },
      cpuMsPerTicket: { gatehouse: gCpu, baseline: bCpu },
    });
    ctx.log(
      `  create round ${r + 1}: gatehouse ${round(g.rate)}/s (${g.errors} errors, CPU ${cpuTotal(gCpu)} ms a ticket), ` +
        `baseline ${round(b.rate)}/s (CPU ${cpuTotal(bCpu)} ms a start)`,
    );
  }
  const ghLatency = rounds.flatMap((r) => r.latencyMs.gatehouse);
  const blLatency = rounds.flatMap((r) => r.latencyMs.baseline);
  const g = median(rounds.map((r) => r.gatehouse));
  const b = median(rounds.map((r) => r.baseline));
  const ratio = g / b;
  return {
    name: 'create',
    title: `Create: POST /tickets at ${conc} concurrent clients vs raw workflow.start`,
    durationMs: Date.now() - t0,
    metrics: [
      metric(
        'rate (median of rounds)',
        'tickets/s',
        g,
        b,
        target(`≥ 0.7× raw workflow.start${sizeNote(conc, 32, 'concurrent')}`, ratio >= 0.7),
      ),
      metric('request p50', 'ms', percentile(ghLatency, 50), percentile(blLatency, 50)),
      metric('request p99', 'ms', percentile(ghLatency, 99), percentile(blLatency, 99)),
      metric(
        'CPU per ticket, all processes (median of rounds)',
        'ms',
        median(rounds.map((r) => cpuTotal(r.cpuMsPerTicket.gatehouse))),
        median(rounds.map((r) => cpuTotal(r.cpuMsPerTicket.baseline))),
      ),
      metric(
        'errors',
        'count',
        rounds.reduce((s, r) => s + r.errors, 0),
      ),
    ],
    details: { perRound: n, concurrency: conc, rounds },
  };
}

// ── 2. Approve → active ─────────────────────────────────────────────────────────────────────────

/**
 * When the grant `key` became active: its own `updatedAt` (wall clock), read by `_id` (an index lookup
 * on FerretDB too) every `pollMs` until it is active. Asked once the approval has been answered, by when
 * the grant is usually active already: one lookup per approval. The figure does not depend on when it is
 * read, and the probe must not load the servers whose latency it measures: a query over every watched
 * grant at once (`_id: {$in}`) scans the whole `grants` collection on FerretDB, ten times a second.
 */
async function activeSince(store: Store, key: string, pollMs: number, timeoutMs = 120_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const doc = (await store.grants.model.collection.findOne({ _id: key } as never, {
      projection: { state: 1, updatedAt: 1 },
    })) as { state?: string; updatedAt?: string } | null;
    if (doc?.state === 'active' && doc.updatedAt) return Date.parse(doc.updatedAt);
    if (Date.now() > until) throw new Error(`grant ${key} did not become active`);
    await sleep(pollMs);
  }
}

export interface ApproveRound {
  latencies: number[];
  httpMs: number[];
  errors: number;
  /** Each approval's timeline: when it was sent, answered, and its grant became active (ms since the epoch). */
  approvals: ApprovalTimes[];
}

interface ApprovalTimes {
  ticketId: string;
  sentAt: number;
  answeredAt: number;
  activeAt: number;
}

/** The phases of approve → active, in ms, for one approval: from its workflow history (one machine, one clock). */
export interface ApprovalPhases {
  /** Request sent → the workflow task that accepts the Update started (gateway, Temporal frontend, task queue). */
  toTaskStarted: number;
  /** Request sent → the workflow accepted the Update (…and that task completed: after a local grant, with it). */
  toAccepted: number;
  /** Accepted → `applyAccess` scheduled (the rest of that workflow task, or a later one). */
  toScheduled: number;
  /** Scheduled → started: waiting on the task queue for a worker slot. */
  queued: number;
  /**
   * Started → the grant is active in the read model (lease, target call, grant write): from the activity's
   * start, or for a local grant (patch `local-grant`, no activity) from the start of the task that runs it.
   */
  applying: number;
  /** Accepted → the Update completed (the handler waits for its state to be persisted). */
  updateRunning: number;
  /** The approval's persist (`persistTicketState` scheduled with the grant): scheduled → started. */
  persistQueued: number;
  /** …started → completed. */
  persisting: number;
  /** …completed → the Update completed (the workflow task that answers). */
  toAnswered: number;
  /** Request sent → the HTTP answer. */
  http: number;
}

/** Reads each approval's workflow history for where its time went (the bench's approve profiler). */
export async function approvalPhases(stack: BenchStack, approvals: ApprovalTimes[]): Promise<ApprovalPhases[]> {
  const out: ApprovalPhases[] = [];
  await pool(approvals.length, 8, async (i) => {
    const a = approvals[i];
    const events = (await stack.client.workflow.getHandle(a.ticketId).fetchHistory()).events ?? [];
    const at = (e: (typeof events)[number] | undefined) => (e?.eventTime ? tsToMs(e.eventTime) : NaN);
    const accepted = events.find(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'approve',
    );
    const updateId = accepted?.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId;
    const completed = events.find(
      (e) => updateId && e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === updateId,
    );
    // The task that accepted the Update: the last one started before its acceptance.
    const taskStarted = events
      .filter((e) => e.workflowTaskStartedEventAttributes && Number(e.eventId) < Number(accepted?.eventId ?? 0))
      .pop();
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyAccess');
    const started = events.find(
      (e) =>
        scheduled &&
        String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId ?? ''),
    );
    const byScheduled = (
      key: 'activityTaskStartedEventAttributes' | 'activityTaskCompletedEventAttributes',
      id: unknown,
    ) => events.find((e) => id != null && String(e[key]?.scheduledEventId ?? '') === String(id));
    const persist = events.find(
      (e) =>
        Number(e.eventId) > Number(accepted?.eventId ?? 0) &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'persistTicketState',
    );
    const persistStarted = byScheduled('activityTaskStartedEventAttributes', persist?.eventId);
    const persistDone = byScheduled('activityTaskCompletedEventAttributes', persist?.eventId);
    if (!accepted || !taskStarted) return;
    // No `applyAccess` activity: the grant ran locally in the accepting task (or is not in this history).
    const local = !scheduled;
    if (!local && !started) return;
    out.push({
      toTaskStarted: at(taskStarted) - a.sentAt,
      toAccepted: at(accepted) - a.sentAt,
      toScheduled: local ? NaN : at(scheduled) - at(accepted),
      queued: local ? NaN : at(started) - at(scheduled),
      applying: a.activeAt - (local ? at(taskStarted) : at(started)),
      updateRunning: at(completed) - at(accepted),
      persistQueued: at(persistStarted) - at(persist),
      persisting: at(persistDone) - at(persistStarted),
      toAnswered: at(completed) - at(persistDone),
      http: a.answeredAt - a.sentAt,
    });
  });
  return out;
}

/** Median of each phase over a round's approvals. */
export function medianPhases(phases: ApprovalPhases[]): Record<keyof ApprovalPhases, number> {
  const keys: (keyof ApprovalPhases)[] = [
    'toTaskStarted',
    'toAccepted',
    'toScheduled',
    'queued',
    'applying',
    'updateRunning',
    'persistQueued',
    'persisting',
    'toAnswered',
    'http',
  ];
  return Object.fromEntries(
    keys.map((k) => [k, round(percentile(phases.map((p) => p[k]).filter(Number.isFinite), 50))]),
  ) as Record<keyof ApprovalPhases, number>;
}

/** One round of approvals: `n` tickets created beforehand (untimed), approved at `conc` concurrency. */
export async function approveRound(
  ctx: Ctx,
  gw: GatewayHandle,
  appId: string,
  tag: string,
  n: number,
  conc: number,
): Promise<ApproveRound> {
  const { stack, opts } = ctx;
  const end = new Date(Date.now() + DAY).toISOString();
  const created = await pool(n, 16, async (i) => ({
    beneficiary: `${tag}-${i}`,
    ...(await createTicket(ctx, gw.url, appId, `${tag}-${i}`, end)),
  }));
  const ok = created.filter((c) => c.id);
  await waitPersisted(
    stack.store,
    ok.map((c) => c.id!),
  );
  await sleep(200);
  const approverToken = await stack.token(APPROVER);
  const latencies: number[] = [];
  const httpMs: number[] = [];
  const approvals: ApprovalTimes[] = [];
  let errors = n - ok.length;
  await pool(ok.length, conc, async (i) => {
    const c = ok[i];
    const sentAt = Date.now();
    const t0 = now();
    const res = await stack
      .http('POST', gw.url, `/tickets/${c.id}/approve`, approverToken, {})
      .catch((err: unknown) => ({ status: -1, body: String(err) }));
    httpMs.push(now() - t0);
    const answeredAt = Date.now();
    if (res.status !== 200 && res.status !== 201) {
      noteError(`POST /tickets/${c.id}/approve → ${res.status} ${JSON.stringify(res.body)}`);
      errors++;
      return;
    }
    try {
      const activeAt = await activeSince(stack.store, grantKey(appId, c.beneficiary, ENTITLEMENT), opts.pollMs);
      latencies.push(activeAt - sentAt);
      approvals.push({ ticketId: c.id!, sentAt, answeredAt, activeAt });
    } catch {
      errors++;
    }
  });
  return { latencies, httpMs, errors, approvals };
}

async function baselineUpdateRound(ctx: Ctx, tag: string, n: number, conc: number): Promise<number[]> {
  const { stack } = ctx;
  const handles: WorkflowHandle[] = await pool(n, 32, (i) =>
    stack.client.workflow.start('baselineWaiting', {
      taskQueue: stack.baselineQueue,
      workflowId: `${stack.runId}-${tag}-${i}`,
      args: [],
    }),
  );
  await waitDrained(ctx, stack.baselineQueue);
  const latencies: number[] = [];
  await pool(n, conc, async (i) => {
    const t0 = now();
    await handles[i].executeUpdate(baselineApprove, { args: ['carol'] });
    latencies.push(now() - t0);
  });
  return latencies;
}

/**
 * Starts `total` open (pending) tickets for `app` on the Gatehouse worker's queue, straight through Temporal
 * as the gateway does, in batches of 100 (each once the queue has drained), and waits until the read model
 * has them all.
 */
async function openPendingTickets(ctx: Ctx, app: App, total: number, firstNo: number, tag: string): Promise<number> {
  const { stack } = ctx;
  const start = Date.now();
  const endIso = new Date(Date.now() + 7 * DAY).toISOString();
  const ids: string[] = [];
  for (let from = 0; from < total; from += 100) {
    await pool(Math.min(100, total - from), 32, async (k) => {
      const input = stormInput(stack, app, firstNo + from + k, `${tag}-${from + k}`, endIso);
      ids.push(input.ticketId);
      await startTicketDirect(stack, input, stack.gatehouseQueue, false);
    });
    await waitDrained(ctx, stack.gatehouseQueue, 180_000);
  }
  if (!(await waitPersisted(stack.store, ids, 600_000)))
    throw new Error(`the ${total} open tickets were not all persisted within 10 minutes`);
  return Date.now() - start;
}

export async function approveScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { stack, opts } = ctx;
  const t0 = Date.now();
  const app = benchApp(`bench-approve-${stack.runId}`);
  await stack.putApp(app);
  const n = opts.approvePerRound;
  const conc = opts.approveConcurrency;
  // The target is set with this many tickets open; they stay open for the rest of the run.
  const openTickets = opts.approveOpenTickets;
  const openMs =
    openTickets > 0 ? await openPendingTickets(ctx, app, openTickets, stack.ticketBase + 70_000_000, 'ao') : 0;
  if (openTickets > 0) ctx.log(`  approve: ${openTickets} open tickets started and persisted in ${openMs} ms`);
  const rounds: Array<{
    p50: number;
    p99: number;
    max: number;
    baselineP50: number;
    baselineP99: number;
    errors: number;
    /** Median of each phase of approve → active (see ApprovalPhases). */
    phases: Record<keyof ApprovalPhases, number>;
    /** Every approval of the round, ms: approve → grant active, the approve request, and the raw Update. */
    samples: { approveToActiveMs: number[]; approveHttpMs: number[]; baselineUpdateMs: number[] };
  }> = [];
  for (let r = 0; r < opts.rounds; r++) {
    const g = await approveRound(ctx, stack.gateway, app.id, `a${r}`, n, conc);
    await waitDrained(ctx, stack.gatehouseQueue);
    const phases = medianPhases(await approvalPhases(stack, g.approvals));
    const b = await baselineUpdateRound(ctx, `approve-${r}`, n, conc);
    const row = {
      p50: round(percentile(g.latencies, 50)),
      p99: round(percentile(g.latencies, 99)),
      max: round(Math.max(...g.latencies)),
      baselineP50: round(percentile(b, 50)),
      baselineP99: round(percentile(b, 99)),
      errors: g.errors,
      phases,
      samples: {
        approveToActiveMs: g.latencies.map((x) => round(x, 1)),
        approveHttpMs: g.httpMs.map((x) => round(x, 1)),
        baselineUpdateMs: b.map((x) => round(x, 1)),
      },
    };
    rounds.push(row);
    ctx.log(
      `  approve round ${r + 1}: p50 ${row.p50} ms p99 ${row.p99} ms (${row.errors} errors); baseline update p50 ${row.baselineP50} ms p99 ${row.baselineP99} ms\n` +
        `    phases (median ms): sent→task started ${phases.toTaskStarted}, sent→accepted ${phases.toAccepted}, ` +
        (Number.isFinite(phases.toScheduled)
          ? `accepted→applyAccess scheduled ${phases.toScheduled}, queued ${phases.queued}, applying ${phases.applying}`
          : `granting (local, from task started) ${phases.applying}`) +
        `; Update running ${phases.updateRunning} (its persist queued ${phases.persistQueued}, persisting ${phases.persisting}, then answered ${phases.toAnswered}), HTTP ${phases.http}`,
    );
  }
  const all = rounds.flatMap((r) => r.samples.approveToActiveMs);
  const allHttp = rounds.flatMap((r) => r.samples.approveHttpMs);
  const allBaseline = rounds.flatMap((r) => r.samples.baselineUpdateMs);
  const p50 = median(rounds.map((r) => r.p50));
  const b50 = median(rounds.map((r) => r.baselineP50));
  const p99 = median(rounds.map((r) => r.p99));
  const b99 = median(rounds.map((r) => r.baselineP99));
  const errors = rounds.reduce((s, r) => s + r.errors, 0);
  const worst = all.length ? Math.max(...all) : NaN;
  const at = sizeNote(openTickets, 400, 'open tickets') + sizeNote(conc, 16, 'concurrent');
  return {
    name: 'approve',
    title: `Approve → active at ${conc} concurrent approvers with ${openTickets} open tickets vs raw Update round trip`,
    durationMs: Date.now() - t0,
    metrics: [
      metric('approve→active p50', 'ms', p50, b50, target(`≤ 2× raw Update${at}`, p50 <= 2 * b50)),
      metric('approve→active p99', 'ms', p99, b99, target(`≤ 5× raw Update p99${at}`, p99 <= 5 * b99)),
      // "None over 5 s": an approval that never became active (an error) counts as over.
      metric(
        'approve→active max (all rounds)',
        'ms',
        worst,
        Math.max(...allBaseline),
        target(`≤ 5000 ms, every approval${at}`, worst <= 5000 && errors === 0),
      ),
      metric('approve HTTP p50', 'ms', percentile(allHttp, 50)),
      metric('approve HTTP p99', 'ms', percentile(allHttp, 99)),
      metric('errors', 'count', errors),
    ],
    details: {
      perRound: n,
      concurrency: conc,
      openTickets,
      openMs,
      pollMs: opts.pollMs,
      rounds,
      pooled: {
        p50: percentile(all, 50),
        p99: percentile(all, 99),
        baselineP50: percentile(allBaseline, 50),
        baselineP99: percentile(allBaseline, 99),
      },
    },
  };
}

// ── 3. Expiry storm ─────────────────────────────────────────────────────────────────────────────

function stormInput(
  stack: BenchStack,
  app: App,
  ticketNo: number,
  beneficiary: string,
  endIso: string,
): TicketWorkflowInput {
  const createdAt = new Date().toISOString();
  return {
    schema: 1,
    ticketId: `TCK-${ticketNo}`,
    type: 'request',
    action: 'add',
    requester: { id: ADMIN.sub, name: ADMIN.name! },
    beneficiary: { id: beneficiary, name: beneficiary },
    app: { id: app.id, name: app.name },
    changes: [{ op: 'add', entitlement: { id: ENTITLEMENT, name: ENTITLEMENT, kind: 'group' }, fields: {} }],
    duration: { type: 'limited', start: createdAt, end: endIso },
    reason: 'benchmark',
    policy: app.policy,
    createdAt,
    parentTicketId: null,
    createdBy: { id: ADMIN.sub },
  };
}

/** Starts a ticket workflow directly (as the gateway does) and, unless `approve` is false, approves it through the Update. */
async function startTicketDirect(
  stack: BenchStack,
  input: TicketWorkflowInput,
  taskQueue: string,
  approve: boolean,
): Promise<void> {
  const handle = await stack.client.workflow.start(TICKET_WORKFLOW_TYPE, ticketWorkflowStartOptions(input, taskQueue));
  if (!approve) return;
  // An overloaded server answers an Update with a deadline error; the same updateId makes the retry safe.
  for (let attempt = 1; ; attempt++) {
    try {
      await handle.executeUpdate(approveTicketUpdate, {
        args: [{ actor: approverActor, comment: null }],
        updateId: `bench-approve-${input.ticketId}`,
      });
      return;
    } catch (err) {
      if (attempt >= 5 || (err as Error).name !== 'WorkflowUpdateRPCTimeoutOrCancelledError') throw err;
      noteError(`approve ${input.ticketId}: ${String(err)} (retried)`);
    }
  }
}

/** Grants the storm's calibration sets up to time one grant's setup on this stack, for n grants. */
function calibrationSize(n: number): number {
  return Math.min(n, Math.max(16, Math.round(n / 10)));
}

/**
 * Time from the start of a storm round's setup to T, the common end of every grant: as asked
 * (`--storm-lead-ms`), else twice the calibrated setup time of n grants, plus 10 s (at 1,000 the setup ran
 * 1.1–1.4× slower per grant than its calibration of 100).
 * T is fixed in each workflow's input at its start, and the API only moves an end later (an extension),
 * so it cannot be set once the setup is over: it is set from a measured setup rate instead.
 */
function stormLeadMs(opts: BenchOptions, perGrantMs: number): number {
  return opts.stormLeadMs > 0 ? opts.stormLeadMs : Math.round(10_000 + 2 * opts.stormSize * perGrantMs);
}

/** Starts n auto-approved grants ending at `endIso`, 32 starts at a time (the storm's setup). */
async function startStormGrants(stack: BenchStack, app: App, firstNo: number, tag: string, n: number, endIso: string) {
  await pool(n, 32, (i) =>
    startTicketDirect(stack, stormInput(stack, app, firstNo + i, `${tag}-${i}`, endIso), stack.gatehouseQueue, false),
  );
}

/**
 * How many grants of the app are in `state`, counted in memory from the grants' feed index (the one the
 * admin lists read on FerretDB): each count reads only the feed entries written since the last one. A
 * database count scans every grant on FerretDB (a third of a second at 2,000 grants), once a second,
 * on the server the storm's expiries write to.
 */
async function grantsIn(stack: BenchStack, appId: string, state: GrantDoc['state']): Promise<number> {
  let n = 0;
  for (const g of await stack.store.grants.index.upToDate()) if (g.appId === appId && g.state === state) n++;
  return n;
}
const activeGrants = (stack: BenchStack, appId: string) => grantsIn(stack, appId, 'active');

/**
 * Milliseconds per grant to set up this many auto-approved grants (start → active), measured on an app of
 * their own with ends a day away (they stay active, asleep, and take no part in the storm).
 */
async function calibrateStormSetup(ctx: Ctx, k: number): Promise<number> {
  const { stack } = ctx;
  const base = benchApp(`bench-storm-cal-${stack.runId}`);
  const app: App = { ...base, policy: { ...base.policy, approval: { steps: [] } } };
  await stack.putApp(app);
  const start = Date.now();
  await startStormGrants(stack, app, stack.ticketBase + 49_000_000, 'cal', k, new Date(Date.now() + DAY).toISOString());
  const ok = await waitFor(async () => (await activeGrants(stack, app.id)) >= k, 600_000, 500);
  if (!ok) throw new Error(`storm calibration: ${k} grants not active after 10 minutes`);
  const perGrantMs = (Date.now() - start) / k;
  ctx.log(`  storm calibration: ${k} grants active in ${Date.now() - start} ms (${round(perGrantMs)} ms per grant)`);
  return perGrantMs;
}

export async function stormScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { stack, opts } = ctx;
  const t0 = Date.now();
  const n = opts.stormSize;
  // What is measured is the expiry of n active grants: T must come after they are all set up.
  const calibration = opts.stormLeadMs > 0 ? null : { grants: calibrationSize(n), perGrantMs: 0 };
  if (calibration) calibration.perGrantMs = round(await calibrateStormSetup(ctx, calibration.grants), 1);
  const leadMs = stormLeadMs(opts, calibration?.perGrantMs ?? 0);
  type PerProcess = { gatehouse: Record<string, number>; baseline: Record<string, number> };
  const rounds: Array<Record<string, number | boolean | number[] | PerProcess> & { cpuMsPerExpiry: PerProcess }> = [];
  for (let r = 0; r < opts.stormRounds; r++) {
    // A policy without approval steps: each ticket is approved as it starts and goes straight to its grant,
    // so the setup (not what is measured) takes one start per grant instead of a start and an Update.
    const base = benchApp(`bench-storm-${stack.runId}-${r}`);
    const app: App = { ...base, policy: { ...base.policy, approval: { steps: [] } } };
    await stack.putApp(app);
    // Gatehouse: n tickets, approved and granted, every one ending at T.
    const T = Date.now() + leadMs;
    const endIso = new Date(T).toISOString();
    const setupStart = Date.now();
    await startStormGrants(stack, app, stack.ticketBase + 50_000_000 + r * 1_000_000, `s${r}`, n, endIso);
    const activeCount = () => activeGrants(stack, app.id);
    const expiredCount = () => grantsIn(stack, app.id, 'expired');
    await waitFor(async () => (await activeCount()) >= n || Date.now() >= T, T - Date.now() + 1000, 1000);
    const readyAt = Date.now();
    const activeAtT = await activeCount();
    await waitUntil(T);
    // The figure is the grants' own `updatedAt`; polling only tells when to read them.
    // At least 3 minutes, more at the target's sizes: a cut-off storm reports the cut-off, not its last expiry.
    const [[done, polledLast], gatehouseCpu] = await cpuMsPer(stack, n, async () => {
      const all = await waitFor(async () => (await expiredCount()) >= n, Math.max(180_000, n * 600), 1000);
      return [all, Date.now()] as const;
    });
    const expired = await stack.store.grants.model
      .find({ appId: app.id, state: 'expired' }, { updatedAt: 1 })
      .lean()
      .exec();
    const lastWrite = Math.max(...expired.map((g) => Date.parse(g.updatedAt)));
    const firstWrite = Math.min(...expired.map((g) => Date.parse(g.updatedAt)));
    await waitDrained(ctx, stack.gatehouseQueue);

    // Baseline: n raw workflows sleeping until T′, then completing.
    const leadB = Math.min(leadMs, 4000 + n * 8);
    const Tb = Date.now() + leadB;
    const handles = await pool(n, 32, (i) =>
      stack.client.workflow.start('baselineSleepUntil', {
        taskQueue: stack.baselineQueue,
        workflowId: `${stack.runId}-storm-${r}-${i}`,
        args: [Tb],
      }),
    );
    const baselineSetupMs = Date.now() - (Tb - leadB);
    await waitUntil(Tb);
    const [, baselineCpu] = await cpuMsPer(stack, n, () => pool(n, 50, (i) => handles[i].result()));
    const closes = await pool(n, 50, async (i) => (await handles[i].describe()).closeTime?.getTime() ?? NaN);
    const baselineLast = Math.max(...closes) - Tb;
    const row = {
      leadMs,
      setupMs: readyAt - setupStart,
      // How long before T the last grant became active (negative: the setup overran T).
      slackMs: T - readyAt,
      readyBeforeT: activeAtT >= n,
      activeAtT,
      expired: expired.length,
      completed: done,
      firstExpiredMs: firstWrite - T,
      lastExpiredMs: lastWrite - T,
      lastObservedMs: polledLast - T,
      baselineSetupMs,
      baselineLastMs: baselineLast,
      // When each grant expired (its `updatedAt`) and each raw timer's workflow closed, ms after T, ascending.
      expiredAtMs: expired.map((g) => Date.parse(g.updatedAt) - T).sort((x, y) => x - y),
      baselineClosedAtMs: closes.map((c) => c - Tb).sort((x, y) => x - y),
      // CPU per expiry (ms) of each process, from T until every grant had expired (until every raw timer's
      // workflow had completed) and the stack was quiet again: what an expiry costs the machine, either side.
      cpuMsPerExpiry: { gatehouse: gatehouseCpu, baseline: baselineCpu },
    };
    rounds.push(row);
    ctx.log(
      `  storm round ${r + 1}: setup ${row.setupMs} ms (${activeAtT}/${n} active at T), last expired T+${row.lastExpiredMs} ms (observed T+${row.lastObservedMs} ms, CPU ${cpuTotal(gatehouseCpu)} ms an expiry); baseline last completed T+${round(baselineLast)} ms (CPU ${cpuTotal(baselineCpu)} ms a timer)`,
    );
    await waitDrained(ctx, stack.baselineQueue);
  }
  const last = median(rounds.map((r) => Number(r.lastExpiredMs)));
  const bl = median(rounds.map((r) => Number(r.baselineLastMs)));
  // A round whose setup overran T measured the setup as much as the expiries: not the target's condition.
  const overran = rounds.filter((r) => !r.readyBeforeT);
  const notReady = overran.length
    ? `not measured as set: only ${overran.map((r) => `${String(r.activeAtT)}/${n}`).join(', ')} active at T`
    : '';
  return {
    name: 'storm',
    title: `Expiry storm: ${n} grants ending at the same T`,
    durationMs: Date.now() - t0,
    metrics: [
      metric(
        'T → last expired (median)',
        'ms',
        last,
        bl,
        target(
          `≤ 2× raw-timer baseline${sizeNote(n, 1000, 'grants')}${notReady ? `; ${notReady}` : ''}`,
          last <= 2 * bl && rounds.every((r) => r.completed && r.readyBeforeT),
        ),
      ),
      metric(
        'T → last expired (worst round)',
        'ms',
        Math.max(...rounds.map((r) => Number(r.lastExpiredMs))),
        Math.max(...rounds.map((r) => Number(r.baselineLastMs))),
      ),
      metric('T → first expired (median)', 'ms', median(rounds.map((r) => Number(r.firstExpiredMs)))),
      metric(
        'CPU per expiry, all processes (median of rounds)',
        'ms',
        median(rounds.map((r) => cpuTotal(r.cpuMsPerExpiry.gatehouse))),
        median(rounds.map((r) => cpuTotal(r.cpuMsPerExpiry.baseline))),
      ),
      metric('setup (create, auto-approved; median)', 'ms', median(rounds.map((r) => Number(r.setupMs)))),
      metric('grants active at T (fewest of rounds)', 'count', Math.min(...rounds.map((r) => Number(r.activeAtT)))),
    ],
    details: { size: n, leadMs, calibration, rounds },
  };
}

// ── 4. Tracker ──────────────────────────────────────────────────────────────────────────────────

const TRACKER_APPS = 20;
const TRACKER_USERS = 1000;
const STATUSES: TicketState['status'][] = [
  'pending',
  'pending',
  'approved',
  'approved',
  'approved',
  'approved',
  'approved',
  'rejected',
  'rejected',
  'cancelled',
];

function trackerDoc(i: number) {
  const appNo = i % TRACKER_APPS;
  const status = STATUSES[Math.floor(i / 7) % STATUSES.length];
  const type = i % 10 === 3 ? 'extend' : i % 10 === 7 ? 'reraise' : 'request';
  const requester = `u${(i * 7919) % TRACKER_USERS}`;
  const approvers = appNo < 4 ? ['user:carol', 'group:it-admins'] : [`group:team-${appNo % 5}`, 'group:it-admins'];
  const createdAt = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  const resolved = status !== 'pending';
  const ticket: TicketWorkflowInput = {
    schema: 1,
    ticketId: `TCK-${1_000_000 + i}`,
    type,
    action: 'add',
    requester: { id: requester, name: `User ${requester}` },
    beneficiary: { id: requester, name: `User ${requester}` },
    app: { id: `app-${appNo}`, name: `App ${appNo}` },
    changes: [
      { op: 'add', entitlement: { id: `ent-${i % 7}`, name: `Entitlement ${i % 7}`, kind: 'group' }, fields: {} },
    ],
    duration: { type: 'limited', start: createdAt, end: new Date(Date.parse(createdAt) + 7 * DAY).toISOString() },
    reason: `Needed for project ${i % 97}`,
    policy: {
      requireReason: true,
      maxDurationSeconds: 30 * 86400,
      approval: { steps: [{ name: 'Lead', approvers, minApprovals: 1 }] },
    },
    createdAt,
    parentTicketId: null,
    createdBy: { id: requester },
  };
  const state: TicketState = {
    status,
    approval: {
      currentStep: 0,
      awaiting: status === 'pending' ? approvers : [],
      steps: [
        {
          name: 'Lead',
          minApprovals: 1,
          approvers,
          state: status === 'pending' ? 'waiting' : status === 'approved' ? 'approved' : 'rejected',
          approvedBy: status === 'approved' ? ['dave'] : [],
        },
      ],
    } as TicketState['approval'],
    access: {
      state: status === 'approved' ? 'active' : status === 'pending' ? 'pending' : 'none',
      start: null,
      end: null,
      grantedAt: null,
      revokedAt: null,
      error: null,
    },
    duration: ticket.duration,
    log: [{ at: createdAt, actor: requester, event: 'created', comment: ticket.reason, details: {} }],
    resolvedAt: resolved ? createdAt : null,
    resolvedInSeconds: resolved ? 3600 : null,
    childTicketIds: [],
  };
  return newTicketDoc({ ticketId: ticket.ticketId, version: 1, runId: '', ticket, state });
}

interface TrackerQuery {
  name: string;
  as: TokenClaims;
  tab: TicketTab;
  appId?: string;
  requesterId?: string;
  type?: 'request' | 'extend' | 'reraise';
  awaitingMe?: boolean;
}

function queryString(q: TrackerQuery): string {
  const p = new URLSearchParams({ tab: q.tab });
  if (q.appId) p.set('appId', q.appId);
  if (q.requesterId) p.set('requesterId', q.requesterId);
  if (q.type) p.set('type', q.type);
  if (q.awaitingMe) p.set('awaiting', 'me');
  return `/tickets?${p.toString()}`;
}

/** Summarizes an explain answer: MongoDB's index names / COLLSCAN, or what FerretDB says (its SQL plan and pushdowns). */
export function summarizeExplain(explain: unknown): string {
  const indexes = new Set<string>();
  const stages = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'indexName' && typeof x === 'string') indexes.add(x);
        if (k === 'stage' && typeof x === 'string') stages.add(x);
        if (k !== 'command') walk(x);
      }
    }
  };
  const e = explain as Record<string, unknown>;
  walk(e.queryPlanner ?? e.stages ?? e);
  if (indexes.size) return `index ${[...indexes].join(', ')}`;
  if (stages.has('COLLSCAN')) return 'COLLSCAN';
  // FerretDB v1: queryPlanner holds the backend's plan; pushdown flags say what SQLite did.
  const qp = e.queryPlanner as Record<string, unknown> | undefined;
  const pushdowns = ['filterPushdown', 'sortPushdown', 'limitPushdown']
    .filter((k) => k in e)
    .map((k) => `${k}=${String(e[k])}`);
  const plan = JSON.stringify(qp ?? e).replace(/\s+/g, ' ');
  return `${pushdowns.join(' ')} plan=${plan.length > 400 ? `${plan.slice(0, 400)}…` : plan}`;
}

interface TrackerShape {
  q: TrackerQuery;
  url: string;
  token: string;
  filter: Record<string, unknown>;
  findOptions: { projection?: object; sort?: object; limit?: number };
  pipeline: object[];
}

/** Samples an HTTP shape: one warm-up, then at least `min` timed calls, and more (up to 20) within a second. */
async function sampleMs(min: number, call: () => Promise<void>): Promise<number[]> {
  await call();
  const out: number[] = [];
  const start = now();
  while (out.length < min || (out.length < 20 && now() - start < 1000)) {
    const s = now();
    await call();
    out.push(now() - s);
  }
  return out;
}

const stats = (ms: number[]) => ({
  p50: round(percentile(ms, 50), 2),
  p95: round(percentile(ms, 95), 2),
  samplesMs: ms.map((x) => round(x, 2)),
});

/** What the dashboard asks when its tickets page opens (dashboard/src/pages/Tickets.tsx): see trackerScenario. */
const DASHBOARD_PAGE = '/tickets?tab=all&limit=25';
const DASHBOARD_SHAPE = 'dashboard tickets page';

export async function trackerScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { stack, opts } = ctx;
  const t0 = Date.now();
  const sizes = trackerSizes(opts);
  const largest = sizes[sizes.length - 1];
  // Targets are set at 10,000 tickets: evaluated there when measured, else at the largest size (and said so).
  const targetSize = sizes.includes(TRACKER_TARGET_SIZE) ? TRACKER_TARGET_SIZE : largest;
  const store = await Store.connect(stack.mongoUri, `${stack.dbName}_tracker`);
  let gw: GatewayHandle | null = null;
  try {
    await store.ensureIndexes();
    // The gateway runs throughout, as in production: the tickets inserted for each size reach its list
    // index through the ticket feed that `insertMany` writes.
    gw = await stack.startGateway(store, stack.gatehouseQueue);
    const adminToken = await stack.token(ADMIN);
    // The apps the dashboard's filter lists (GET /apps), as many as the tickets name.
    for (let a = 0; a < TRACKER_APPS; a++) {
      const { id, ...body } = { ...benchApp(`app-${a}`), name: `App ${a}` };
      const res = await stack.http('PUT', gw.url, `/apps/${id}`, adminToken, body);
      if (res.status !== 200 && res.status !== 201) throw new Error(`PUT /apps/${id} → ${res.status}`);
    }
    const someRequester = `u${(42 * 7919) % TRACKER_USERS}`;
    const queries: TrackerQuery[] = [
      { name: 'tab=all', as: ADMIN, tab: 'all' },
      { name: 'tab=open', as: ADMIN, tab: 'open' },
      { name: 'tab=closed', as: ADMIN, tab: 'closed' },
      { name: 'tab=rejected', as: ADMIN, tab: 'rejected' },
      { name: 'appId', as: ADMIN, tab: 'all', appId: 'app-3' },
      { name: 'requesterId', as: ADMIN, tab: 'all', requesterId: someRequester },
      { name: 'type=extend', as: ADMIN, tab: 'all', type: 'extend' },
      { name: 'awaiting=me', as: APPROVER, tab: 'all', awaitingMe: true },
      { name: 'tab=all (approver view)', as: APPROVER, tab: 'all' },
    ];
    // The database query behind each shape (the find and the counts aggregate), captured through mongoose's
    // debug hook: the baseline sends it straight to MongoDB. On FerretDB the gateway answers from its list
    // index instead; `listFromDatabase` is the query MongoDB deployments run.
    const tickets = store.tickets as typeof store.tickets & { listFromDatabase?: typeof store.tickets.list };
    const listFromDatabase = (tickets.listFromDatabase ?? tickets.list).bind(tickets);
    const coll = store.tickets.model.collection;
    const shapes: TrackerShape[] = [];
    for (const q of queries) {
      const captured: Array<{ method: string; args: unknown[] }> = [];
      store.connection.set('debug', (_coll: string, method: string, ...args: unknown[]) =>
        captured.push({ method, args }),
      );
      await listFromDatabase({
        viewer: {
          id: q.as.sub,
          admin: (q.as.roles ?? []).includes('admin'),
          rules: approverRulesOf({ id: q.as.sub, roles: q.as.roles ?? [], groups: q.as.groups ?? [] }),
        },
        tab: q.tab,
        appId: q.appId,
        requesterId: q.requesterId,
        type: q.type,
        awaitingMe: q.awaitingMe,
        limit: 50,
      } satisfies TicketListQuery);
      store.connection.set('debug', false);
      const find = captured.find((c) => c.method === 'find');
      const agg = captured.find((c) => c.method === 'aggregate');
      shapes.push({
        q,
        url: queryString(q),
        token: await stack.token(q.as),
        filter: (find?.args[0] ?? {}) as Record<string, unknown>,
        findOptions: (find?.args[1] ?? {}) as { projection?: object; sort?: object; limit?: number },
        pipeline: (agg?.args[0] ?? []) as object[],
      });
    }
    // No warm-up here: on FerretDB each query reads every ticket (seconds at 10,000), and a scan has little to warm.
    const direct = async (shape: TrackerShape) => {
      const find: number[] = [];
      const aggregate: number[] = [];
      for (let i = 0; i < Math.max(1, opts.trackerSamples); i++) {
        let s = now();
        await coll
          .find(shape.filter as never, {
            projection: shape.findOptions.projection,
            sort: shape.findOptions.sort as never,
            limit: shape.findOptions.limit,
          })
          .toArray();
        const f = now() - s;
        s = now();
        await coll.aggregate(shape.pipeline as never[]).toArray();
        find.push(f);
        aggregate.push(now() - s);
      }
      return { find, aggregate };
    };

    const perSize: Array<Record<string, unknown> & { tickets: number; shapes: Array<Record<string, unknown>> }> = [];
    const atTarget = new Map<string, { api: number[]; direct?: { find: number[]; aggregate: number[] } }>();
    const atLargest = new Map<string, number>();
    let inserted = 0;
    let insertMsTotal = 0;
    for (const size of sizes) {
      const insertStart = Date.now();
      for (let from = inserted; from < size; from += 1000) {
        const docs = Array.from({ length: Math.min(1000, size - from) }, (_, k) => trackerDoc(from + k));
        await store.tickets.insertMany(docs);
      }
      const insertMs = Date.now() - insertStart;
      insertMsTotal += insertMs;
      const added = size - inserted;
      inserted = size;
      // The gateway lists them once its index has caught up with the feed (at once when it reads the database).
      const visibleStart = Date.now();
      const visible = await waitFor(
        async () => {
          const res = await stack.http('GET', gw!.url, '/tickets?tab=all&limit=1', adminToken);
          return res.status === 200 && (res.body as { counts?: { all?: number } }).counts?.all === size;
        },
        180_000,
        200,
      );
      const visibleAfterMs = Date.now() - visibleStart;
      ctx.log(
        `  tracker: ${size} tickets (${added} inserted in ${insertMs} ms; listed ${visible ? `after ${visibleAfterMs} ms` : 'NOT within 180 s'})`,
      );
      // Only at the target size: on FerretDB each direct query reads every ticket (about 75 s a query at 100,000).
      const measureDirect = size === targetSize;
      const row: (typeof perSize)[number] = { tickets: size, insertMs, visibleAfterMs, visible, shapes: [] };
      for (const shape of shapes) {
        let matched: unknown = null;
        let returned = 0;
        const api = await sampleMs(opts.trackerSamples, async () => {
          const res = await stack.http('GET', gw!.url, shape.url, shape.token);
          if (res.status !== 200) throw new Error(`GET ${shape.url} → ${res.status} ${JSON.stringify(res.body)}`);
          const body = res.body as { counts?: unknown; items?: unknown[] };
          matched = body.counts;
          returned = body.items?.length ?? 0;
        });
        const d = measureDirect ? await direct(shape) : undefined;
        if (size === targetSize) atTarget.set(shape.q.name, { api, direct: d });
        if (size === largest) atLargest.set(shape.q.name, percentile(api, 95));
        row.shapes.push({
          name: shape.q.name,
          url: shape.url,
          as: shape.q.as.sub,
          matched,
          returned,
          api: stats(api),
          ...(d ? { directFind: stats(d.find), directCountAggregate: stats(d.aggregate) } : {}),
        });
        ctx.log(
          `  tracker ${size} ${shape.q.name}: p50 ${round(percentile(api, 50))} p95 ${round(percentile(api, 95))} ms` +
            (d
              ? `; direct find p50 ${round(percentile(d.find, 50))} ms, counts aggregate p50 ${round(percentile(d.aggregate, 50))} ms`
              : ''),
        );
      }
      // The dashboard's tickets page: on opening it asks for the apps (its filter) and the first page of the
      // All tab with every tab's count, in parallel, and shows the page when both are in.
      const page = await sampleMs(opts.trackerSamples, async () => {
        const [apps, list] = await Promise.all([
          stack.http('GET', gw!.url, '/apps', adminToken),
          stack.http('GET', gw!.url, DASHBOARD_PAGE, adminToken),
        ]);
        if (apps.status !== 200 || list.status !== 200)
          throw new Error(`dashboard tickets page: GET /apps → ${apps.status}, GET ${DASHBOARD_PAGE} → ${list.status}`);
      });
      if (size === targetSize) atTarget.set(DASHBOARD_SHAPE, { api: page });
      if (size === largest) atLargest.set(DASHBOARD_SHAPE, percentile(page, 95));
      row.shapes.push({
        name: DASHBOARD_SHAPE,
        url: `GET /apps + GET ${DASHBOARD_PAGE}`,
        as: ADMIN.sub,
        api: stats(page),
      });
      ctx.log(
        `  tracker ${size} ${DASHBOARD_SHAPE}: p50 ${round(percentile(page, 50))} p95 ${round(percentile(page, 95))} ms`,
      );
      perSize.push(row);
    }

    // What each database query does at the largest size, by `explain`.
    const db = store.connection.db!;
    const explainOf = async (cmd: object) => {
      try {
        return summarizeExplain(await db.command({ explain: cmd, verbosity: 'queryPlanner' }));
      } catch (err) {
        return `explain failed: ${(err as Error).message}`;
      }
    };
    const queryDetails = [];
    for (const shape of shapes) {
      const findExplain = await explainOf({
        find: coll.collectionName,
        filter: shape.filter,
        projection: shape.findOptions.projection,
        sort: shape.findOptions.sort,
        limit: shape.findOptions.limit,
      });
      const aggregateExplain = await explainOf({
        aggregate: coll.collectionName,
        pipeline: shape.pipeline,
        cursor: {},
      });
      queryDetails.push({
        name: shape.q.name,
        url: shape.url,
        as: shape.q.as.sub,
        filter: shape.filter,
        sort: shape.findOptions.sort,
        pipeline: shape.pipeline,
        findExplain,
        aggregateExplain,
      });
      ctx.log(`  tracker explain ${shape.q.name}:\n    find: ${findExplain}\n    aggregate: ${aggregateExplain}`);
    }

    const at = sizeNote(targetSize, TRACKER_TARGET_SIZE, 'tickets');
    const metrics: Metric[] = [];
    let worstAtTarget = 0;
    for (const shape of shapes) {
      const m = atTarget.get(shape.q.name)!;
      const p95 = percentile(m.api, 95);
      worstAtTarget = Math.max(worstAtTarget, p95);
      metrics.push(metric(`${shape.q.name} p50`, 'ms', percentile(m.api, 50), percentile(m.direct!.find, 50)));
      metrics.push(
        metric(`${shape.q.name} p95`, 'ms', p95, percentile(m.direct!.find, 95), target(`≤ 100 ms${at}`, p95 <= 100)),
      );
    }
    const dash = atTarget.get(DASHBOARD_SHAPE)!.api;
    metrics.push(metric(`${DASHBOARD_SHAPE} p50`, 'ms', percentile(dash, 50)));
    metrics.push(
      metric(
        `${DASHBOARD_SHAPE} p95`,
        'ms',
        percentile(dash, 95),
        undefined,
        target(`≤ 150 ms${at}`, percentile(dash, 95) <= 150),
      ),
    );
    if (largest !== targetSize) {
      const listShapes = [...atLargest.entries()].filter(([name]) => name !== DASHBOARD_SHAPE);
      const [worstName, worstP95] = listShapes.reduce((w, e) => (e[1] > w[1] ? e : w));
      metrics.push(metric(`worst shape p95 at ${largest} (${worstName})`, 'ms', worstP95));
      metrics.push(metric(`${DASHBOARD_SHAPE} p95 at ${largest}`, 'ms', atLargest.get(DASHBOARD_SHAPE)!));
    }
    metrics.push(metric('largest size measured', 'tickets', largest));
    metrics.push(metric('bulk insert (insertMany)', 'tickets/s', (largest / insertMsTotal) * 1000));
    return {
      name: 'tracker',
      title: `Tracker: GET /tickets at ${sizes.join(', ')} tickets vs the same find against MongoDB`,
      durationMs: Date.now() - t0,
      metrics,
      details: {
        sizes,
        largest,
        targetSize,
        docs: largest,
        insertMs: insertMsTotal,
        samples: opts.trackerSamples,
        worstP95: round(worstAtTarget, 2),
        perSize,
        queries: queryDetails,
      },
    };
  } finally {
    if (gw) await gw.close();
    await store.connection.dropDatabase().catch(() => undefined);
    await store.close();
  }
}

// ── 5. Open tickets at rest ─────────────────────────────────────────────────────────────────────

export async function openScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { stack, opts } = ctx;
  const t0 = Date.now();
  const queue = `bench-open-${stack.runId}`;
  const app = benchApp(`bench-open-${stack.runId}`);
  await stack.putApp(app);
  const worker = await startChildWorker({
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: stack.dbName,
    TEMPORAL_TASK_QUEUE: queue,
    WORKER_SHUTDOWN_GRACE_SECONDS: '1',
  });
  const gw = await stack.startGateway(stack.store, queue);
  try {
    const memStart = worker.memory();
    // Two rounds of half the approve scenario's tickets each side, at its concurrency: this scenario
    // measures approve twice, and a full run must fit in 10 minutes.
    const n = Math.max(opts.approveConcurrency, Math.ceil(opts.approvePerRound / 2));
    const conc = opts.approveConcurrency;
    const rounds = Math.min(opts.rounds, 2);
    const measure = async (tag: string) => {
      const p50s: number[] = [];
      const p99s: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const g = await approveRound(ctx, gw, app.id, `${tag}${r}`, n, conc);
        p50s.push(percentile(g.latencies, 50));
        p99s.push(percentile(g.latencies, 99));
      }
      return {
        p50: median(p50s),
        p99: median(p99s),
        rounds: p50s.map((p, i) => ({ p50: round(p), p99: round(p99s[i]) })),
      };
    };
    const idle = await measure('oi');
    const memIdle = worker.memory();
    ctx.log(
      `  open: idle approve→active p50 ${round(idle.p50)} ms p99 ${round(idle.p99)} ms; worker RSS ${round(memIdle.rssMiB)} MiB`,
    );

    // Load: open (pending) ticket workflows, started in batches; each batch is given time to run its
    // first workflow task and persist activity (the task queue drained) before the next, so the dev
    // server never holds more than one batch of busy workflows. The read model is checked once, at the
    // end: a count of open tickets reads every ticket on FerretDB, and per batch it was the load (10,000
    // tickets: FerretDB busy ~1,000 CPU-seconds, mostly answering this probe).
    const total = opts.openTickets;
    const batch = Math.max(1, opts.openBatch);
    const loadStart = Date.now();
    const series: Array<{ open: number; rssMiB: number; elapsedMs: number }> = [];
    const endIso = new Date(Date.now() + 7 * DAY).toISOString();
    const started: string[] = [];
    for (let from = 0; from < total; from += batch) {
      const ids: string[] = [];
      await pool(Math.min(batch, total - from), 32, async (k) => {
        const input = stormInput(stack, app, stack.ticketBase + 80_000_000 + from + k, `o-${from + k}`, endIso);
        ids.push(input.ticketId);
        started.push(input.ticketId);
        await startTicketDirect(stack, input, queue, false);
      });
      await waitDrained(ctx, queue, 180_000);
      const m = worker.memory();
      series.push({ open: from + ids.length, rssMiB: round(m.rssMiB), elapsedMs: Date.now() - loadStart });
      if (series.length % 4 === 0 || opts.smoke)
        ctx.log(
          `  open: ${from + ids.length} open after ${Date.now() - loadStart} ms; worker RSS ${round(m.rssMiB)} MiB`,
        );
    }
    if (!(await waitPersisted(stack.store, started, 600_000)))
      throw new Error(`the ${total} open tickets were not all persisted within 10 minutes`);
    const loadMs = Date.now() - loadStart;
    await waitDrained(ctx, queue);
    await sleep(2000);
    const memLoaded = worker.memory();
    ctx.log(
      `  open: ${total} open tickets started in ${loadMs} ms (${round((total / loadMs) * 1000)}/s); worker RSS ${round(memLoaded.rssMiB)} MiB (peak ${round(memLoaded.hwmMiB)} MiB)`,
    );
    const loaded = await measure('ol');
    const memAfter = worker.memory();
    ctx.log(
      `  open: approve→active with ${total} open p50 ${round(loaded.p50)} ms p99 ${round(loaded.p99)} ms; worker RSS ${round(memAfter.rssMiB)} MiB`,
    );
    const gib = Math.max(memLoaded.rssMiB, memAfter.rssMiB) / 1024;
    const ratio = loaded.p50 / idle.p50;
    const at = sizeNote(total, 10_000, 'open');
    return {
      name: 'open',
      title: `${total} open tickets held by one worker (child process)`,
      durationMs: Date.now() - t0,
      metrics: [
        metric('worker RSS at rest', 'MiB', memLoaded.rssMiB, memIdle.rssMiB, target(`< 1536 MiB${at}`, gib < 1.5)),
        metric('worker RSS peak (VmHWM)', 'MiB', memAfter.hwmMiB),
        metric(
          'approve→active p50 (loaded vs idle)',
          'ms',
          loaded.p50,
          idle.p50,
          target(`≤ 1.5× idle${at}`, ratio <= 1.5),
        ),
        metric(
          'approve→active p99 (loaded vs idle)',
          'ms',
          loaded.p99,
          idle.p99,
          target(`≤ 1.5× idle${at}`, loaded.p99 <= 1.5 * idle.p99),
        ),
        metric('open tickets started', 'tickets/s', (total / loadMs) * 1000),
      ],
      details: {
        openTickets: total,
        batch,
        loadMs,
        memory: { start: memStart, idle: memIdle, loaded: memLoaded, after: memAfter },
        series,
        idle,
        loaded,
      },
    };
  } finally {
    await gw.close();
    await worker.stop();
  }
}

// ── 6. Admin lists: the audit log and the console's grants ──────────────────────────────────────

const LISTS_TARGET_MS = 300;
const LIST_ACTORS = 50;
const LIST_ACTIONS = ['ticket.approve', 'ticket.reject', 'ticket.create', 'app.put', 'user.put', 'policy.put'];
const LIST_APPS = 10;
/** Audit entries are spread over this many days before the run, one every few minutes at 20,000. */
const AUDIT_DAYS = 60;

/** Audit entry `i` of `n`, oldest first (ids ascend with `i`). */
function auditDoc(i: number, n: number, start: number): AuditDoc {
  const seq = start + Math.floor((i * AUDIT_DAYS * DAY) / n);
  return {
    _id: `${String(seq).padStart(15, '0')}-b${String(i).padStart(7, '0')}`,
    seq,
    at: new Date(seq).toISOString(),
    actor: `u${(i * 7919) % LIST_ACTORS}`,
    action: LIST_ACTIONS[i % LIST_ACTIONS.length],
    target: `TCK-${1000 + (i % 5000)}`,
    status: 200,
    requestId: `bench-${i}`,
    details: { comment: 'benchmark' },
  };
}

/** Grant `i`: one per (app, user), a fifth ended, the rest ending within 60 days or (one in ten) never. */
function grantDoc(i: number, at: number): GrantDoc {
  const appId = `app-${i % LIST_APPS}`;
  const userId = `u${Math.floor(i / LIST_APPS)}`;
  const end = i % 10 === 0 ? null : new Date(at + ((i * 7919) % 60) * DAY + DAY).toISOString();
  const ended = i % 5 === 1;
  return {
    _id: grantKey(appId, userId, ENTITLEMENT),
    appId,
    userId,
    entitlementId: ENTITLEMENT,
    state: ended ? 'expired' : 'active',
    start: new Date(at - DAY).toISOString(),
    end,
    ticketId: `TCK-${i}`,
    holders: ended ? [] : [{ ticketId: `TCK-${i}`, start: new Date(at - DAY).toISOString(), end }],
    preexisting: false,
    granting: [],
    updatedAt: new Date(at).toISOString(),
  };
}

interface ListShape {
  list: 'audit' | 'grants';
  name: string;
  url: string;
}

/**
 * `GET /audit` and `GET /admin/grants` (the admin console's long lists), 50 a page, at two sizes each,
 * from two gateways on the same data: one reading where `LIST_SOURCE=auto` reads (memory on FerretDB), one
 * with `LIST_SOURCE=database` (what every list read before the audit and grant feeds). Entries and grants
 * are inserted in bulk with their feed rows, as an import would.
 */
export async function listsScenario(ctx: Ctx): Promise<ScenarioResult> {
  const { stack, opts } = ctx;
  const t0 = Date.now();
  const auditSizes = [...new Set([Math.round(opts.listsAuditEntries / 4), opts.listsAuditEntries])];
  const grantSizes = [...new Set([Math.round(opts.listsGrants / 5), opts.listsGrants])];
  const dbName = `${stack.dbName}_lists`;
  const store = await Store.connect(stack.mongoUri, dbName);
  const databaseStore = await Store.connect(stack.mongoUri, dbName);
  const gateways: GatewayHandle[] = [];
  try {
    await store.ensureIndexes();
    const auto = await stack.startGateway(store, stack.gatehouseQueue);
    gateways.push(auto);
    const database = await stack.startGateway(databaseStore, stack.gatehouseQueue);
    gateways.push(database);
    databaseStore.useListSource('database');
    const source = await store
      .warmListIndexes()
      .then(() => (store.audit.index.state === 'ready' ? 'memory' : 'database'));
    const token = await stack.token(ADMIN);
    const get = async (url: string, path: string) => {
      const res = await stack.http('GET', url, path, token);
      if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { items: Array<{ id?: string }>; nextCursor: string | null };
    };

    const auditStart = Date.now() - AUDIT_DAYS * DAY - DAY;
    const largestAudit = auditSizes[auditSizes.length - 1];
    const perSize: Array<Record<string, unknown>> = [];
    const metrics: Metric[] = [];
    const measure = async (shapes: ListShape[], size: number, largest: boolean) => {
      const rows = [];
      for (const shape of shapes) {
        const returned = (await get(auto.url, shape.url)).items.length;
        const memory = await sampleMs(opts.listsSamples, () => get(auto.url, shape.url).then(() => undefined));
        const db = await sampleMs(opts.listsSamples, () => get(database.url, shape.url).then(() => undefined));
        rows.push({ ...shape, size, returned, api: stats(memory), databaseApi: stats(db) });
        ctx.log(
          `  lists ${shape.list} ${size} ${shape.name}: p50 ${round(percentile(memory, 50))} p95 ${round(percentile(memory, 95))} ms` +
            ` (${source}); database p50 ${round(percentile(db, 50))} p95 ${round(percentile(db, 95))} ms`,
        );
        if (largest) {
          const p95 = percentile(memory, 95);
          metrics.push(
            metric(
              `${shape.list} ${shape.name} p95`,
              'ms',
              p95,
              percentile(db, 95),
              target(`< ${LISTS_TARGET_MS} ms`, p95 < LISTS_TARGET_MS),
            ),
          );
        }
      }
      perSize.push({ list: shapes[0].list, size, shapes: rows });
    };

    // The audit log: entries oldest first, so the newest inserted is the first of the first page.
    let inserted = 0;
    for (const size of auditSizes) {
      for (let from = inserted; from < size; from += 1000) {
        const docs = Array.from({ length: Math.min(1000, size - from) }, (_, k) =>
          auditDoc(from + k, largestAudit, auditStart),
        );
        await store.audit.appendMany(docs);
      }
      inserted = size;
      const newest = auditDoc(size - 1, largestAudit, auditStart)._id;
      if (!(await waitFor(async () => (await get(auto.url, '/audit?limit=1')).items[0]?.id === newest, 180_000, 200)))
        throw new Error(`lists: the ${size}th audit entry not listed within 180 s`);
      const middle = auditDoc(Math.floor(size / 2), largestAudit, auditStart);
      const day = new Date(middle.seq - DAY / 2).toISOString();
      const dayEnd = new Date(middle.seq + DAY / 2).toISOString();
      await measure(
        [
          { name: 'first page', url: '/audit?limit=50' },
          { name: 'a page halfway (cursor)', url: `/audit?limit=50&cursor=${middle._id}` },
          { name: 'actor', url: `/audit?limit=50&actor=${middle.actor}` },
          { name: 'target', url: `/audit?limit=50&target=${middle.target}` },
          { name: 'action', url: `/audit?limit=50&action=${middle.action}` },
          { name: 'a day (from, to)', url: `/audit?limit=50&from=${day}&to=${dayEnd}` },
        ].map((s) => ({ list: 'audit' as const, ...s })),
        size,
        size === largestAudit,
      );
    }

    // The console's grants.
    const at = Date.now();
    inserted = 0;
    for (const size of grantSizes) {
      for (let from = inserted; from < size; from += 1000) {
        await store.grants.insertMany(
          Array.from({ length: Math.min(1000, size - from) }, (_, k) => grantDoc(from + k, at)),
        );
      }
      inserted = size;
      const last = grantDoc(size - 1, at);
      const lastUrl = `/admin/grants?appId=${last.appId}&userId=${last.userId}&entitlementId=${ENTITLEMENT}&state=${last.state}`;
      if (!(await waitFor(async () => (await get(auto.url, lastUrl)).items.length === 1, 180_000, 200)))
        throw new Error(`lists: the ${size}th grant not listed within 180 s`);
      await measure(
        [
          { name: 'no filter', url: '/admin/grants?limit=50' },
          { name: 'appId', url: '/admin/grants?limit=50&appId=app-3' },
          { name: 'userId', url: `/admin/grants?limit=50&userId=u${Math.floor(size / LIST_APPS / 2)}` },
          { name: 'ending within 7 days', url: `/admin/grants?limit=50&endingWithinSeconds=${7 * 86400}` },
        ].map((s) => ({ list: 'grants' as const, ...s })),
        size,
        size === grantSizes[grantSizes.length - 1],
      );
    }

    metrics.push(metric('audit entries (largest size)', 'entries', largestAudit));
    metrics.push(metric('grants (largest size)', 'grants', grantSizes[grantSizes.length - 1]));
    return {
      name: 'lists',
      title: `Admin lists: GET /audit at ${auditSizes.join(', ')} entries and GET /admin/grants at ${grantSizes.join(', ')} grants, ${source} vs database`,
      durationMs: Date.now() - t0,
      metrics,
      details: { source, auditSizes, grantSizes, samples: opts.listsSamples, perSize },
    };
  } finally {
    for (const gw of gateways) await gw.close();
    await store.connection.dropDatabase().catch(() => undefined);
    await store.close();
    await databaseStore.close();
  }
}
