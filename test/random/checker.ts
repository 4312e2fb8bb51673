/**
 * The randomized access checker: runs a schedule (see schedule.ts) against a whole Gatehouse on the real
 * Temporal dev server and FerretDB, and after every step, once the system has settled, checks:
 * - at the target itself: a person is a member of an entitlement exactly when one of their tickets'
 *   access to it is `active` (and no later remove took it away), or they held it before Gatehouse and no
 *   admin revoke or remove has taken it since; a `failed` ticket may have granted part of its changes;
 * - the read model agrees with the workflows: `GET /tickets/:id` and the `ticketState` query answer the
 *   same state, and `GET /grants` lists the access the tickets hold, ending at their latest end.
 * The expected state is read from what the API says about each ticket, never re-derived from the steps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client as TemporalClient, Connection } from '@temporalio/client';
import type { Ticket, TicketState } from '@gatehouse/domain';
import { mintToken, type TokenClaims } from '@gatehouse/tools';
import { openTestClient, startTestWorker, type RunningWorker } from '../support/harness';
import { createApp, startTestStack, TEST_SECRET, users as people, type TestStack } from '../support/stack';
import { describeStep, type Schedule, type Step } from './schedule';
import { RandomTarget } from './target';

/** A timer due this soon may fire while the checker reads: wait for it instead. */
const MARGIN_MS = 1500;
/** How long a schedule may take to settle after a step before that counts as a violation. */
const SETTLE_MS = 90_000;
const REQUEST_TIMEOUT_MS = 45_000;
const REPLAY_FAILURE = 'replay: ';

export interface Violation {
  seed: number;
  step: number;
  kind: string;
  detail: string;
}

export interface ScheduleResult {
  seed: number;
  violations: Violation[];
  /** The steps as run, with what each one did (ticket ids, HTTP statuses). */
  trace: string[];
  ms: number;
}

/** One Gatehouse (gateway + worker on one task queue) whose worker can be stopped and started again. */
export class World {
  private restarting: Promise<void> | null = null;

  private constructor(
    readonly stack: TestStack,
    readonly target: RandomTarget,
    private worker: RunningWorker,
    readonly temporal: TemporalClient,
    private readonly connection: Connection,
  ) {}

  static async open(env: Record<string, string> = {}): Promise<World> {
    const target = new RandomTarget();
    const connectorFor = (app: Parameters<RandomTarget['connectorFor']>[0]) => target.connectorFor(app);
    const stack = await startTestStack({ worker: { connectorFor }, env });
    const { client, connection } = await openTestClient();
    return new World(stack, target, stack.worker, client, connection);
  }

  /** Stops the worker (in-flight activities are cancelled after the grace time) and starts a new one. */
  async restartWorker(): Promise<void> {
    // Several schedules share the worker: one restart at a time, and a restart already under way counts.
    if (this.restarting) return this.restarting;
    this.restarting = (async () => {
      await this.worker.stop();
      this.worker = await startTestWorker(this.stack.store, {
        taskQueue: this.stack.worker.taskQueue,
        connectorFor: (app) => this.target.connectorFor(app),
      });
    })().finally(() => (this.restarting = null));
    return this.restarting;
  }

  async close(): Promise<void> {
    await this.restarting;
    await this.stack.gateway.app.close();
    await this.worker.stop();
    await this.connection.close();
    await this.stack.store.close();
  }
}

interface Response {
  status: number;
  body: any;
}

interface Settled {
  tickets: Map<string, Ticket>;
  members: Set<string>;
  grants: { userId: string; entitlementId: string; state: string; end: string | null }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const iso = (ms: number) => new Date(ms).toISOString();
const person = (id: string): TokenClaims => ({ sub: id, name: id, roles: [], groups: [] });
const approvers = { carol: people.carol, dave: people.dave };

export async function runSchedule(world: World, schedule: Schedule): Promise<ScheduleResult> {
  const started = Date.now();
  const { seed } = schedule;
  const trace: string[] = [];
  const violations: Violation[] = [];
  const ids: string[] = [];
  let snapshot = new Map<string, Ticket>();
  let stepIndex = -1;
  const violate = (kind: string, detail: string) => violations.push({ seed, step: stepIndex, kind, detail });

  const appId = await createApp(world.stack, {
    entitlements: schedule.entitlements.map((id) => ({ id, kind: 'group' as const, name: id })),
    licenses: [],
    policy: {
      requireReason: true,
      maxDurationSeconds: 3600,
      reraiseWindowSeconds: 30,
      ...(schedule.pendingTimeoutSeconds ? { pendingTimeoutSeconds: schedule.pendingTimeoutSeconds } : {}),
    },
  });
  for (const pair of schedule.preheld) {
    const [user, entitlement] = pair.split('/');
    world.target.seed(appId, user, entitlement);
  }

  async function call(who: TokenClaims, method: string, path: string, body?: unknown): Promise<Response> {
    const token = await mintToken(TEST_SECRET, who);
    try {
      const res = await fetch(world.stack.url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      const parsed = text ? JSON.parse(text) : null;
      // 503 DEPENDENCY_UNAVAILABLE is the contract's answer while Temporal is out of reach; any other 5xx is a bug.
      if (res.status >= 500 && res.status !== 503)
        violate('server error', `${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
      return { status: res.status, body: parsed };
    } catch (err) {
      violate('request failed', `${method} ${path}: ${String(err)}`);
      return { status: 0, body: null };
    }
  }
  const root = people.root;

  /** The tickets this step applies to, oldest first; `pick` chooses one. */
  function choose(pick: number, fits: (t: Ticket) => boolean): Ticket | null {
    const candidates = ids.map((id) => snapshot.get(id)).filter((t): t is Ticket => t !== undefined && fits(t));
    return candidates.length ? candidates[Math.floor(pick * candidates.length)] : null;
  }
  const note = (line: string): void => {
    trace[trace.length - 1] += ` ${line}`;
  };
  const created = (res: Response) => {
    if (res.status === 201) ids.push(res.body.id);
    const flags = (res.body?.flags as { code: string }[] | undefined)?.map((f) => f.code).join(',');
    note(
      res.status === 201 ? `→ ${res.body.id}` : `→ ${res.status} ${res.body?.code ?? ''}${flags ? ` ${flags}` : ''}`,
    );
  };
  const decided = (id: string, res: Response) =>
    note(`${id} → ${res.status}${res.status === 200 ? '' : ` ${res.body?.code ?? ''}`}`);
  const limited = (startIn: number, seconds: number) => {
    const start = Date.now() + startIn * 1000;
    return { type: 'limited', ...(startIn ? { start: iso(start) } : {}), end: iso(start + seconds * 1000) };
  };
  async function held(user: string): Promise<string[]> {
    const res = await call(root, 'GET', `/grants?appId=${appId}&userId=${user}&state=active`);
    return res.status === 200 ? (res.body as { entitlementId: string }[]).map((g) => g.entitlementId).sort() : [];
  }

  async function run(step: Step): Promise<void> {
    switch (step.op) {
      case 'create': {
        const duration = step.seconds === null ? { type: 'indefinite' } : limited(step.startIn, step.seconds);
        const changes = step.entitlements.map((entitlementId) => ({ op: 'add', entitlementId }));
        const res = await call(person(step.user), 'POST', '/tickets', {
          appId,
          changes,
          duration,
          reason: 'randomized check',
        });
        created(res);
        if (res.status !== 201 || !step.approvedBy) return;
        return decided(
          `approve ${res.body.id}`,
          await call(approvers[step.approvedBy], 'POST', `/tickets/${res.body.id}/approve`, {}),
        );
      }
      case 'approve': {
        const t = choose(step.pick, (x) => x.status === 'pending');
        if (!t) return note('(no pending ticket)');
        const body = step.seconds && t.type !== 'extend' ? { duration: limited(0, step.seconds) } : {};
        return decided(t.id, await call(approvers[step.by], 'POST', `/tickets/${t.id}/approve`, body));
      }
      case 'reject':
      case 'cancel': {
        const t = choose(step.pick, (x) => x.status === 'pending');
        if (!t) return note('(no pending ticket)');
        const who = step.op === 'reject' ? people.carol : person(t.requester.id);
        return decided(t.id, await call(who, 'POST', `/tickets/${t.id}/${step.op}`, {}));
      }
      case 'race': {
        const t = choose(step.pick, (x) => x.status === 'pending');
        if (!t) return note('(no pending ticket)');
        const other = step.with === 'cancel' ? person(t.requester.id) : people.dave;
        const [a, b] = await Promise.all([
          call(people.carol, 'POST', `/tickets/${t.id}/approve`, {}),
          call(other, 'POST', `/tickets/${t.id}/${step.with}`, {}),
        ]);
        return note(
          `${t.id} → approve ${a.status}${a.body?.code ? ` ${a.body.code}` : ''}, ${step.with} ${b.status}${b.body?.code ? ` ${b.body.code}` : ''}`,
        );
      }
      case 'extend': {
        const t = choose(step.pick, (x) => x.type !== 'extend' && x.access.state === 'active' && x.access.end !== null);
        if (!t) return note('(no active limited ticket)');
        note(`of ${t.id}`);
        const end = iso(Date.parse(t.access.end!) + step.seconds * 1000);
        return created(
          await call(person(t.beneficiary.id), 'POST', `/tickets/${t.id}/extend`, { end, reason: 'randomized check' }),
        );
      }
      case 'reraise': {
        const t = choose(step.pick, (x) => x.access.state === 'expired');
        if (!t) return note('(no expired ticket)');
        note(`of ${t.id}`);
        return created(
          await call(person(t.beneficiary.id), 'POST', `/tickets/${t.id}/reraise`, {
            duration: limited(0, step.seconds),
            reason: 'randomized check',
          }),
        );
      }
      case 'modify':
      case 'remove': {
        const holding = await held(step.user);
        const candidates = step.op === 'modify' ? holding.filter((e) => e !== step.add) : holding;
        if (!candidates.length) return note('(holds nothing to remove)');
        const removed = candidates[Math.floor(step.pick * candidates.length)];
        note(`-${removed}`);
        const changes = [
          ...(step.op === 'modify' ? [{ op: 'add', entitlementId: step.add }] : []),
          { op: 'remove', entitlementId: removed },
        ];
        const body = {
          appId,
          changes,
          reason: 'randomized check',
          ...(step.op === 'modify' ? { duration: limited(0, step.seconds) } : {}),
        };
        return created(await call(person(step.user), 'POST', '/tickets', body));
      }
      case 'revoke': {
        const t = choose(
          step.pick,
          (x) =>
            x.type !== 'extend' && x.action !== 'remove' && ['scheduled', 'active', 'failed'].includes(x.access.state),
        );
        if (!t) return note('(nothing to revoke)');
        return decided(t.id, await call(step.admin ? root : people.carol, 'POST', `/tickets/${t.id}/revoke`, {}));
      }
      case 'retry': {
        const t = choose(step.pick, (x) => x.access.state === 'failed');
        if (!t) return note('(no failed ticket)');
        return decided(t.id, await call(root, 'POST', `/tickets/${t.id}/retry`, {}));
      }
      case 'wait':
        return void (await sleep(step.seconds * 1000));
      case 'restartWorker':
        return world.restartWorker();
      case 'targetDown':
        return world.target.failFor(appId, step.seconds * 1000);
      case 'targetRefuses':
        return world.target.refuseFor(appId, step.entitlement, step.seconds * 1000);
    }
  }

  async function readTickets(): Promise<Map<string, Ticket> | string> {
    const tickets = new Map<string, Ticket>();
    for (const id of ids) {
      const res = await call(root, 'GET', `/tickets/${id}`);
      if (res.status !== 200) return `GET /tickets/${id} → ${res.status}`;
      tickets.set(id, res.body as Ticket);
      // Children (extend, re-raise) are tickets of this schedule too, whoever created them.
      for (const child of (res.body as Ticket).childTicketIds) if (!ids.includes(child)) ids.push(child);
    }
    return tickets;
  }

  /** Why this ticket is not at rest yet (a transition under way, or a timer about to fire), or ''. */
  function restless(t: Ticket, now: number): string {
    const soon = (at: string | null) => at !== null && Date.parse(at) <= now + MARGIN_MS;
    if (t.status === 'pending') {
      const timeout = schedule.pendingTimeoutSeconds;
      return timeout && soon(iso(Date.parse(t.createdAt) + timeout * 1000)) ? 'pending timeout due' : '';
    }
    switch (t.access.state) {
      case 'pending':
      case 'applying':
        return t.access.state;
      case 'scheduled':
        return soon(t.access.start) ? 'start due' : '';
      case 'active':
        // An extension's own access shows the parent's end; the parent's workflow ends it.
        return t.type !== 'extend' && t.access.error === null && soon(t.access.end) ? 'end due' : '';
      default:
        return '';
    }
  }

  const facts = (s: TicketState | Ticket) =>
    JSON.stringify([
      s.status,
      s.access.state,
      s.access.start,
      s.access.end,
      s.access.grantedAt,
      s.access.revokedAt,
      s.log.length,
    ]);

  async function settle(): Promise<Settled | string> {
    const deadline = Date.now() + SETTLE_MS;
    let why = '';
    for (; Date.now() < deadline; await sleep(400)) {
      const tickets = await readTickets();
      if (typeof tickets === 'string') {
        why = tickets;
        continue;
      }
      const now = Date.now();
      why =
        [...tickets.values()].map((t) => (restless(t, now) ? `${t.id}: ${restless(t, now)}` : '')).find(Boolean) ?? '';
      if (why) continue;
      try {
        for (const t of tickets.values()) {
          const state = await world.temporal.workflow
            .getHandle(t.id)
            .query<TicketState>('ticketState')
            .catch((err) => {
              const cause = (err as { cause?: { details?: string } }).cause?.details;
              throw new Error(`${t.id}: ${String(err)}${cause ? ` (${cause})` : ''}`);
            });
          if (facts(state) !== facts(t))
            throw new Error(`${t.id}: the read model says ${facts(t)}, the workflow ${facts(state)}`);
        }
      } catch (err) {
        why = String(err);
        // A query that fails to replay fails the same way every time: no point waiting for it.
        if (/nondeterminism/i.test(why)) return `${REPLAY_FAILURE}${why}${await keepHistory(why)}`;
        continue;
      }
      const members = world.target.members(appId);
      const grants = await call(root, 'GET', `/grants?appId=${appId}&state=active`);
      const again = await readTickets();
      if (
        typeof again === 'string' ||
        [...tickets].some(([id, t]) => facts(t) !== facts(again.get(id)!)) ||
        again.size !== tickets.size
      ) {
        why = 'changed while reading';
        continue;
      }
      // The queries above can take seconds on a loaded machine: an end or a start that came due meanwhile
      // may already have changed the target while the read model has not caught up yet.
      const late = [...again.values()].map((t) => restless(t, Date.now())).find(Boolean);
      if (late) {
        why = `came due while reading: ${late}`;
        continue;
      }
      if (grants.status !== 200) {
        why = `GET /grants → ${grants.status}`;
        continue;
      }
      return { tickets, members, grants: grants.body };
    }
    return why;
  }

  /** Writes the history of the ticket named in `error` to a temporary file, so a replay failure can be studied. */
  async function keepHistory(error: string): Promise<string> {
    const id = ids.find((x) => error.startsWith(`Error: ${x}:`)) ?? ids[ids.length - 1];
    try {
      const file = path.join(os.tmpdir(), `gatehouse-random-${seed}-${id}.json`);
      fs.writeFileSync(file, JSON.stringify(await world.temporal.workflow.getHandle(id).fetchHistory()));
      return ` (history of ${id}: ${file})`;
    } catch {
      return '';
    }
  }

  function check(settled: Settled): void {
    const tickets = [...settled.tickets.values()];
    const adds = (t: Ticket, e: string) => t.changes.some((c) => c.op === 'add' && c.entitlement.id === e);
    const applied = (t: Ticket) =>
      t.access.grantedAt !== null && ['removed', 'active', 'expired', 'revoked'].includes(t.access.state);
    for (const user of schedule.users) {
      const own = tickets.filter((t) => t.beneficiary.id === user);
      for (const e of schedule.entitlements) {
        const removals = own.filter(
          (t) => applied(t) && t.changes.some((c) => c.op === 'remove' && c.entitlement.id === e),
        );
        const removedAfter = (at: string) => removals.some((r) => Date.parse(r.access.grantedAt!) > Date.parse(at));
        const holders = own.filter(
          (t) => t.type !== 'extend' && adds(t, e) && t.access.state === 'active' && !removedAfter(t.access.grantedAt!),
        );
        const partial = own.filter((t) => t.type !== 'extend' && adds(t, e) && t.access.state === 'failed');
        const adminRevoked = own.some(
          (t) =>
            adds(t, e) &&
            t.access.state === 'revoked' &&
            t.access.grantedAt !== null &&
            t.log.some((l) => l.event === 'revoked' && l.actor === people.root.sub),
        );
        const preheld = schedule.preheld.includes(`${user}/${e}`) && removals.length === 0 && !adminRevoked;
        const must = preheld || holders.length > 0;
        const member = settled.members.has(`${user}/${e}`);
        const story = own
          .filter((t) => t.changes.some((c) => c.entitlement.id === e))
          .map(
            (t) =>
              `${t.id}(${t.type}/${t.action} ${t.status}/${t.access.state}${t.access.end ? ` end ${t.access.end.slice(11, 19)}` : ''}: ${t.log.map((l) => `${l.at.slice(11, 23)} ${l.event}`).join(', ')})`,
          )
          .join(', ');
        const calls = world.target.history(appId).filter((line) => line.includes(` ${user}/${e}`));
        const context = `${user}/${e}${preheld ? ' (held before Gatehouse)' : ''}; tickets: ${story || 'none'}; target calls: ${calls.join(', ') || 'none'}`;
        if (member && !must && partial.length === 0) violate('access left in the target', context);
        if (!member && must) violate('access missing from the target', context);

        const grant = settled.grants.find((g) => g.userId === user && g.entitlementId === e && g.state === 'active');
        if (holders.length && !grant) violate('GET /grants misses active access', context);
        if (!holders.length && !partial.length && !preheld && grant)
          violate('GET /grants lists ended access', `${context}; grant ${JSON.stringify(grant)}`);
        if (holders.length && grant) {
          const end = holders.some((t) => t.access.end === null)
            ? null
            : Math.max(...holders.map((t) => Date.parse(t.access.end!)));
          const shown = grant.end === null ? null : Date.parse(grant.end);
          if (shown !== end)
            violate('GET /grants shows another end than the tickets', `${context}; grant ends ${grant.end}`);
        }
      }
    }
    for (const t of tickets) {
      if ((t.status === 'cancelled' || t.status === 'rejected') && t.log.some((l) => l.event === 'granted')) {
        violate(
          'a ticket that was not approved granted access',
          `${t.id} ${t.status}: ${t.log.map((l) => l.event).join(',')}`,
        );
      }
    }
  }

  async function checkpoint(): Promise<boolean> {
    const settled = await settle();
    if (typeof settled === 'string') {
      if (settled.startsWith(REPLAY_FAILURE))
        violate('a workflow does not replay', settled.slice(REPLAY_FAILURE.length));
      else violate('never settled', `within ${Math.round(SETTLE_MS / 1000)} s: ${settled}`);
      return false;
    }
    snapshot = settled.tickets;
    const before = violations.length;
    check(settled);
    return violations.length === before;
  }

  for (const [index, step] of schedule.steps.entries()) {
    stepIndex = index;
    trace.push(`${index}: ${describeStep(step)}`);
    await run(step);
    if (!(await checkpoint())) return { seed, violations, trace, ms: Date.now() - started };
  }
  // The end: let every limited access run out, then check once more.
  stepIndex = schedule.steps.length;
  trace.push(`${stepIndex}: until every limited access has ended`);
  const lastEnd = Math.max(
    0,
    ...[...snapshot.values()]
      .filter((t) => ['scheduled', 'active'].includes(t.access.state) && t.access.end)
      .map((t) => Date.parse(t.access.end!)),
  );
  await sleep(Math.min(Math.max(0, lastEnd - Date.now() + 200), 30_000));
  await checkpoint();
  trace.push(`target calls: ${world.target.history(appId).join(', ') || 'none'}`);
  return { seed, violations, trace, ms: Date.now() - started };
}

/** Runs these seeds' schedules, `concurrency` at a time (each on its own app), calling `done` as each ends. */
export async function runSchedules(
  world: World,
  schedules: Schedule[],
  concurrency: number,
  done: (result: ScheduleResult) => void = () => undefined,
): Promise<ScheduleResult[]> {
  const results: ScheduleResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, schedules.length) }, async () => {
      while (next < schedules.length) {
        const schedule = schedules[next++];
        let result: ScheduleResult;
        try {
          result = await runSchedule(world, schedule);
        } catch (err) {
          result = {
            seed: schedule.seed,
            violations: [
              { seed: schedule.seed, step: -1, kind: 'checker error', detail: String((err as Error)?.stack ?? err) },
            ],
            trace: [],
            ms: 0,
          };
        }
        results.push(result);
        done(result);
      }
    }),
  );
  return results.sort((a, b) => a.seed - b.seed);
}

export function formatFailure(result: ScheduleResult, schedule: Schedule): string {
  const head = `seed ${result.seed}: users ${schedule.users.join(',')}; entitlements ${schedule.entitlements.join(',')}; held before Gatehouse: ${schedule.preheld.join(',') || 'none'}; pending timeout: ${schedule.pendingTimeoutSeconds ?? 'none'}`;
  const found = result.violations.map((v) => `  ✗ after step ${v.step}: ${v.kind}: ${v.detail}`);
  return [head, ...result.trace.map((line) => `  ${line}`), ...found].join('\n');
}
