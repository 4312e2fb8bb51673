import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { WorkflowUpdateStage, type Client, type Connection, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { App } from '@gatehouse/domain';
import type { Connector } from '@gatehouse/connectors';
import { createConnector } from '@gatehouse/connectors';
import type { Store } from '@gatehouse/store';
import {
  eventually,
  openTestClient,
  openTestStore,
  startTestWorker,
  testTemporalAddress,
  type RunningWorker,
  updateError,
} from '../../test/support/harness';
import { admin, carol, change, dave, mallory, testApp, workflowInput } from '../../test/support/fixtures';
import {
  approveTicketUpdate,
  requestExtensionUpdate,
  cancelTicketUpdate,
  rejectTicketUpdate,
  retryApplyUpdate,
  revokeAccessUpdate,
  ticketStateQuery,
  ticketWorkflowStartOptions,
  PATCHES,
} from './definitions';
import type { TicketWorkflowInput } from '@gatehouse/domain';

let store: Store;
let client: Client;
let connection: Connection;
let worker: RunningWorker;
/**
 * Apps whose connector fails the next N grants (of entitlement `only`, when set) to test retries and
 * parking in `failed`, and the next `revokeFailures` revokes with a retryable error.
 */
const flaky = new Map<
  string,
  { failures: number; permanent: boolean; calls: number; only?: string; revokeFailures?: number }
>();
/**
 * Writes that wait at a gate until the test opens it, to land messages while the workflow awaits them:
 * `seats:<app id>` holds the app's next seat reservation, `seat-release:<app id>` its next seat release
 * (the last write of a revocation), `events:<ticket id>:<event type>` the publication
 * of that event. Each gate holds one write.
 */
const gates = new Map<string, { arrived: () => void; opened: Promise<boolean> }>();

/**
 * `reached` resolves once a write waits at the gate; `open(false)` answers a seat reservation with "no seat
 * free", and fails an event publication.
 */
function gate(key: string) {
  let arrived!: () => void;
  let open!: (pass?: boolean) => void;
  const reached = new Promise<void>((r) => (arrived = r));
  gates.set(key, { arrived, opened: new Promise<boolean>((r) => (open = (pass = true) => r(pass))) });
  return { reached, open };
}
const gateSeats = (app: App) => gate(`seats:${app.id}`);
async function pass(key: string): Promise<boolean> {
  const waiting = gates.get(key);
  if (!waiting) return true;
  gates.delete(key);
  waiting.arrived();
  return waiting.opened;
}

/** The worker's store: the real one, with seat reservations and event publications passing the gates above. */
function gatedStore(real: Store): Store {
  const seats = Object.create(real.seats) as Store['seats'];
  seats.reserve = async (appId, licenseId, count, userId, ticketId) =>
    (await pass(`seats:${appId}`)) && real.seats.reserve(appId, licenseId, count, userId, ticketId);
  seats.release = async (appId, licenseId, userId) => {
    await pass(`seat-release:${appId}`);
    return real.seats.release(appId, licenseId, userId);
  };
  const ticketEvents = Object.create(real.ticketEvents) as Store['ticketEvents'];
  ticketEvents.add = async (events) => {
    for (const e of events)
      if (!(await pass(`events:${e.ticketId}:${e.type}`))) throw new Error('MongoDB did not answer (test)');
    return real.ticketEvents.add(events);
  };
  const replaced: Partial<Record<keyof Store, unknown>> = { seats, ticketEvents };
  return new Proxy(real, {
    get: (target, key) => (key in replaced ? replaced[key as keyof Store] : Reflect.get(target, key)),
  });
}

beforeAll(async () => {
  store = await openTestStore();
  ({ client, connection } = await openTestClient());
  worker = await startTestWorker(gatedStore(store), {
    connectorFor: (app, deps) => {
      const real = createConnector(app.id, app.connector, deps);
      const plan = flaky.get(app.id);
      if (!plan) return real;
      const wrapped: Connector = {
        type: real.type,
        grant: async (c) => {
          if (plan.only && c.entitlement.id !== plan.only) return real.grant(c);
          plan.calls++;
          if (plan.failures > 0) {
            plan.failures--;
            throw plan.permanent
              ? ApplicationFailure.create({
                  type: 'ACCOUNT_NOT_FOUND',
                  message: 'no such user in target',
                  nonRetryable: true,
                })
              : ApplicationFailure.create({ type: 'CONNECTOR_RETRYABLE', message: 'target answered 503' });
          }
          return real.grant(c);
        },
        revoke: async (c) => {
          if (plan.revokeFailures) {
            plan.revokeFailures--;
            throw ApplicationFailure.create({ type: 'CONNECTOR_RETRYABLE', message: 'target answered 503' });
          }
          return real.revoke(c);
        },
        listMembers: (e) => real.listMembers(e),
        checkConnection: () => real.checkConnection(),
      };
      return wrapped;
    },
  });
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await store?.close();
});

/** Limited access from now, ending `ms` later. */
function endingIn(ms: number): TicketWorkflowInput['duration'] {
  const now = Date.now();
  return { type: 'limited', start: new Date(now).toISOString(), end: new Date(now + ms).toISOString() };
}

/** Resolves once the ticket's event of `type` is stored. */
function eventStored(ticketId: string, type: string, withinMs: number, what = `the ${type} event stored`) {
  return eventually(
    async () => (await store.ticketEvents.forTicket(ticketId)).some((e) => e.type === type),
    withinMs,
    what,
  );
}

/** The JSON a history payload carries (a marker's details). */
function payloadJson(data: Uint8Array | null | undefined): unknown {
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

/** A new ticket whose first write (local) waits at the publication of its `created` event, once it got there. */
async function startWithCreatedHeld() {
  const app = testApp();
  const ticketId = workflowInput(app).ticketId;
  const created = gate(`events:${ticketId}:created`);
  const started = await start(app, { ticketId });
  await created.reached;
  return { ...started, created };
}

/** The run's history, and the first activity it scheduled after a local activity's failure (asserted to be recorded). */
async function afterLocalFailure(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const failed = events.findIndex(
    (e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && e.markerRecordedEventAttributes.failure,
  );
  expect(failed).toBeGreaterThan(0);
  const activityAfter = events
    .slice(failed)
    .flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])[0];
  return { events, activityAfter };
}

/** The read model shows the access expired, after every event of an approved grant, each once. */
async function expectGrantedThenExpired(ticketId: string): Promise<void> {
  expect((await store.tickets.get(ticketId))?.access.state).toBe('expired');
  expect((await store.ticketEvents.forTicket(ticketId)).map((e) => e.type)).toEqual([
    'created',
    'approved',
    'applying',
    'granted',
    'expired',
  ]);
}

async function start(app: App, overrides: Partial<TicketWorkflowInput> = {}) {
  await store.apps.put(app);
  const input = workflowInput(app, overrides);
  const handle = await client.workflow.start('ticketWorkflow', ticketWorkflowStartOptions(input, worker.taskQueue));
  return { input, handle };
}

/**
 * With RECORD_HISTORIES=1, keeps this workflow's history for test/replay (never over an existing one: those
 * recorded before a change are what proves its patch). The CLI writes the proto-JSON that replay reads.
 */
async function recordHistory(name: string, workflowId: string): Promise<void> {
  const file = path.join(__dirname, '../../test/fixtures/histories', `${name}.json`);
  if (!process.env.RECORD_HISTORIES || fs.existsSync(file)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { binaries } = require('../../tools/scripts/stack') as typeof import('../../tools/scripts/stack');
  const args = [
    'workflow',
    'show',
    '--workflow-id',
    workflowId,
    '--address',
    testTemporalAddress(),
    '--output',
    'json',
  ];
  const history = JSON.parse(execFileSync(binaries().temporal, args).toString());
  // Failure stack traces carry this machine's paths; replay never reads them.
  const scrub = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(scrub);
    else if (o && typeof o === 'object')
      for (const [k, v] of Object.entries(o)) {
        if (k === 'stackTrace' && typeof v === 'string') (o as Record<string, unknown>)[k] = '';
        else scrub(v);
      }
  };
  scrub(history);
  fs.writeFileSync(file, `${JSON.stringify(history, null, 2)}\n`);
}

const members = (app: App, entitlement = 'engineering') => store.demoMemberships.members(app.id, entitlement);

describe('ticket workflow', () => {
  test('an approved ticket grants the access and the read model follows every step', async () => {
    const app = testApp();
    const { input, handle } = await start(app);
    await eventually(() => store.tickets.get(input.ticketId), 5000, 'the ticket in the read model');
    const state = await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol, comment: 'ok' }] });
    expect(state.status).toBe('approved');
    const doc = await eventually(async () => {
      const d = await store.tickets.get(input.ticketId);
      return d?.access.state === 'active' && d;
    });
    expect(doc.log.map((e) => (e as { event: string }).event)).toEqual(['created', 'approved', 'applying', 'granted']);
    expect(await members(app)).toEqual([input.beneficiary.id]);
    expect(await store.grants.activeOwner(app.id, input.beneficiary.id, 'engineering')).toBe(input.ticketId);
    expect(doc.resolvedInSeconds).toBeGreaterThanOrEqual(0);
  });

  test('the requester cannot approve their own ticket, nor can someone outside the step', async () => {
    const app = testApp();
    const { input, handle } = await start(app);
    const requester = { id: input.requester.id, roles: [], groups: ['it-admins'] };
    expect(await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: requester }] }))).toBe(
      'NOT_AN_APPROVER',
    );
    expect(await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: mallory }] }))).toBe(
      'NOT_AN_APPROVER',
    );
    expect((await handle.query(ticketStateQuery)).status).toBe('pending');
  });

  test('two steps run in order, each needing its own distinct approvers', async () => {
    const app = testApp({
      policy: {
        approval: {
          steps: [
            { name: 'Lead', approvers: ['user:carol'], minApprovals: 1 },
            { name: 'IT', approvers: ['group:it-admins', 'role:admin'], minApprovals: 2 },
          ],
        },
      },
    });
    const { handle } = await start(app);
    expect(await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: dave }] }))).toBe(
      'NOT_AN_APPROVER',
    );
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    let state = await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: dave }] });
    expect(state.approval.currentStep).toBe(1);
    expect(state.status).toBe('pending');
    expect(await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: dave }] }))).toBe(
      'ALREADY_DECIDED',
    );
    state = await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: admin }] });
    expect(state.status).toBe('approved');
    expect(state.approval.steps.map((s) => s.state)).toEqual(['approved', 'approved']);
  });

  test('a rejection ends the ticket, skips later steps and grants nothing', async () => {
    const app = testApp({
      policy: {
        approval: {
          steps: [
            { name: 'Lead', approvers: ['user:carol'], minApprovals: 1 },
            { name: 'IT', approvers: ['user:dave'], minApprovals: 1 },
          ],
        },
      },
    });
    const { input, handle } = await start(app);
    const state = await handle.executeUpdate(rejectTicketUpdate, { args: [{ actor: carol, comment: 'not needed' }] });
    expect(state.status).toBe('rejected');
    expect(state.access.state).toBe('none');
    expect(state.approval.steps.map((s) => s.state)).toEqual(['rejected', 'skipped']);
    await handle.result();
    // A finished workflow takes no more decisions; the gateway answers 409 TICKET_NOT_PENDING.
    await expect(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: dave }] })).rejects.toThrow(
      'workflow execution already completed',
    );
    expect(await members(app)).toEqual([]);
    const doc = await store.tickets.get(input.ticketId);
    expect(doc?.status).toBe('rejected');
  });

  test('an approver with a modified duration approves, access ends at the new end', async () => {
    const app = testApp({ policy: { maxDurationSeconds: 3600 } });
    const now = Date.now();
    const { input, handle } = await start(app, {
      duration: { type: 'limited', start: new Date(now).toISOString(), end: new Date(now + 3_000_000).toISOString() },
    });
    const tooLong = {
      type: 'limited' as const,
      start: new Date(now).toISOString(),
      end: new Date(now + 7200_000).toISOString(),
    };
    expect(
      await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol, duration: tooLong }] })),
    ).toBe('POLICY_VIOLATION');
    const shorter = {
      type: 'limited' as const,
      start: new Date(now).toISOString(),
      end: new Date(now + 3000).toISOString(),
    };
    const state = await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol, duration: shorter }] });
    expect(state.duration).toEqual(shorter);
    expect(state.log.map((e) => e.event)).toContain('duration_modified');
    const final = await eventually(
      async () => {
        const st = await handle.query(ticketStateQuery);
        return st.access.state === 'expired' && st;
      },
      10_000,
      'expired',
    );
    expect(final.access.end).toBe(shorter.end);
    expect(await members(app)).toEqual([]);
    expect(await store.grants.activeOwner(app.id, input.beneficiary.id, 'engineering')).toBeNull();
  });

  test('a future start waits in scheduled, then grants, then expires at the end', async () => {
    const app = testApp();
    const now = Date.now();
    const { handle } = await start(app, {
      duration: { type: 'limited', start: new Date(now + 2000).toISOString(), end: new Date(now + 4000).toISOString() },
    });
    const approved = await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    expect(approved.access.state).toBe('scheduled');
    expect(await members(app)).toEqual([]);
    await eventually(async () => (await handle.query(ticketStateQuery)).access.state === 'active', 5000, 'active');
    expect((await members(app)).length).toBe(1);
    const final = await eventually(
      async () => {
        const st = await handle.query(ticketStateQuery);
        return st.access.state === 'expired' && st;
      },
      10_000,
      'expired',
    );
    expect(final.log.map((e: { event: string }) => e.event)).toEqual([
      'created',
      'approved',
      'applying',
      'granted',
      'expired',
    ]);
    expect(await members(app)).toEqual([]);
  });

  test('a pending ticket times out as rejected, with the reason logged', async () => {
    const app = testApp({ policy: { pendingTimeoutSeconds: 1 } });
    const { handle } = await start(app);
    const final = await handle.result();
    expect(final.status).toBe('rejected');
    const last = final.log[final.log.length - 1];
    expect(last.event).toBe('rejected');
    expect(last.actor).toBe('system');
    expect(last.details).toEqual({ reason: 'pending_timeout' });
  });

  test('a flaky apply is retried with backoff and then succeeds, granting once', async () => {
    const app = testApp();
    flaky.set(app.id, { failures: 2, permanent: false, calls: 0 });
    const { handle } = await start(app);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(
      async () => (await handle.query(ticketStateQuery)).access.state === 'active',
      15_000,
      'active after retries',
    );
    expect(flaky.get(app.id)!.calls).toBe(3);
    expect((await members(app)).length).toBe(1);
  });

  test('a permanent failure parks the ticket in failed until an admin retries', async () => {
    const app = testApp();
    flaky.set(app.id, { failures: 1, permanent: true, calls: 0 });
    const { handle } = await start(app);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    const failed = await eventually(async () => {
      const s = await handle.query(ticketStateQuery);
      return s.access.state === 'failed' && s;
    });
    expect(failed.access.error).toContain('no such user');
    expect(flaky.get(app.id)!.calls).toBe(1);
    expect(await updateError(handle.executeUpdate(retryApplyUpdate, { args: [{ actor: carol }] }))).toBe('FORBIDDEN');
    await handle.executeUpdate(retryApplyUpdate, { args: [{ actor: admin, comment: 'user created' }] });
    await eventually(
      async () => (await handle.query(ticketStateQuery)).access.state === 'active',
      5000,
      'active after retry',
    );
    expect((await handle.query(ticketStateQuery)).log.map((e) => e.event)).toEqual([
      'created',
      'approved',
      'applying',
      'provisioning_failed',
      'retried',
      'applying',
      'granted',
    ]);
  });

  test('revoke ends indefinite access now and logs who and why', async () => {
    const app = testApp();
    const { handle } = await start(app);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await handle.query(ticketStateQuery)).access.state === 'active');
    expect(await updateError(handle.executeUpdate(revokeAccessUpdate, { args: [{ actor: mallory }] }))).toBe(
      'FORBIDDEN',
    );
    const state = await handle.executeUpdate(revokeAccessUpdate, { args: [{ actor: dave, comment: 'left the team' }] });
    expect(state.access.state).toBe('revoked');
    const last = state.log[state.log.length - 1];
    expect(last).toMatchObject({ event: 'revoked', actor: 'dave', comment: 'left the team' });
    expect(await members(app)).toEqual([]);
  });

  test('cancel by the requester ends a pending ticket; a stranger may not cancel', async () => {
    const app = testApp();
    const { input, handle } = await start(app);
    expect(await updateError(handle.executeUpdate(cancelTicketUpdate, { args: [{ actor: mallory }] }))).toBe(
      'FORBIDDEN',
    );
    const state = await handle.executeUpdate(cancelTicketUpdate, {
      args: [{ actor: { id: input.requester.id, roles: [], groups: [] } }],
    });
    expect(state.status).toBe('cancelled');
    expect(state.access.state).toBe('none');
    expect((await handle.result()).approval.steps.map((s: { state: string }) => s.state)).toEqual(['skipped']);
  });

  test('a remove ticket removes the membership once approved', async () => {
    const app = testApp();
    const first = await start(app);
    await first.handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await members(app)).length === 1);
    const { handle } = await start(app, {
      requester: first.input.requester,
      beneficiary: first.input.beneficiary,
      action: 'remove',
      duration: null,
      changes: [change(app, 'engineering', 'remove')],
    });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    const final = await handle.result();
    expect(final.access.state).toBe('removed');
    expect(await members(app)).toEqual([]);
  });

  test('a long-lived access continues as new before its history grows large, losing nothing', async () => {
    const app = testApp();
    const now = Date.now();
    const start = new Date(now).toISOString();
    const { input, handle } = await start_(app, now);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await handle.query(ticketStateQuery)).access.state === 'active', 5000, 'active');
    const firstRun = (await handle.describe()).runId;

    const ends: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const end = new Date(now + (6 + i) * 1000).toISOString();
      ends.push(end);
      const child = workflowInput(app, {
        type: 'extend',
        requester: input.requester,
        beneficiary: input.beneficiary,
        parentTicketId: input.ticketId,
        duration: { type: 'limited', start, end },
      });
      // Always the latest run: after continue-as-new, the workflow id reaches the new run.
      await client.workflow.getHandle(input.ticketId).executeUpdate(requestExtensionUpdate, { args: [child] });
      await client.workflow.getHandle(child.ticketId).executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
      await eventually(
        async () => (await client.workflow.getHandle(input.ticketId).query(ticketStateQuery)).access.end === end,
        10_000,
        `end ${i}`,
      );
    }
    const latest = client.workflow.getHandle(input.ticketId);
    expect((await latest.describe()).runId).not.toBe(firstRun);
    const final = await eventually(
      async () => {
        const st = await latest.query(ticketStateQuery);
        return st.access.state === 'expired' && st;
      },
      15_000,
      'expired after continue-as-new',
    );
    expect(final.access.end).toBe(ends[3]);
    expect(final.log.filter((e: { event: string }) => e.event === 'extended')).toHaveLength(4);
    expect(final.childTicketIds).toHaveLength(4);
    const doc = await eventually(async () => {
      const d = await store.tickets.get(input.ticketId);
      return d?.access.state === 'expired' && d;
    });
    expect(doc.log).toHaveLength(final.log.length);
    expect(await members(app)).toEqual([]);
  });

  async function start_(app: App, now: number) {
    return start(app, {
      duration: { type: 'limited', start: new Date(now).toISOString(), end: new Date(now + 6000).toISOString() },
      continueAsNewAfterEvents: 60,
    });
  }
});

describe('one state change at a time', () => {
  const erin = { id: 'erin', roles: [], groups: ['it-admins'] };
  const licensed = (policy: Partial<App['policy']> = {}) =>
    testApp({
      entitlements: [{ id: 'engineering', kind: 'group', name: 'engineering', licenseId: 'seat' }],
      licenses: [{ id: 'seat', name: 'Seat', seats: 1 }],
      policy,
    });
  const seatChange = (app: App) => ({
    ...change(app, 'engineering'),
    entitlement: { ...change(app, 'engineering').entitlement, licenseId: 'seat' },
  });
  /** `ok` when the update succeeded, else the error type it was refused with. */
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      () => updateError(p),
    );
  const accepted = (handle: WorkflowHandle, actor: { id: string; roles: string[]; groups: string[] }) =>
    handle.startUpdate(approveTicketUpdate, { args: [{ actor }], waitForStage: WorkflowUpdateStage.ACCEPTED });

  test('two final approvals racing on a licensed entitlement: one wins, one seat is used, the log and approvedBy agree', async () => {
    const app = licensed();
    const gate = gateSeats(app);
    const { input, handle } = await start(app, { changes: [seatChange(app)] });
    // Carol's final approval holds the decision while her seat reservation waits at the gate…
    const first = outcome(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] }));
    await gate.reached;
    // …two more final approvals arrive and wait for it…
    const racers = await Promise.all([accepted(handle, dave), accepted(handle, erin)]);
    // …and her reservation finds no seat, so both waiting approvals are free to go at once.
    gate.open(false);
    expect(await first).toBe('NO_SEAT_AVAILABLE');
    const outcomes = await Promise.all(racers.map((r) => outcome(r.result())));
    expect(outcomes.sort()).toEqual(['TICKET_NOT_PENDING', 'ok']);
    const state = await eventually(
      async () => {
        const st = await handle.query(ticketStateQuery);
        return st.access.state === 'active' && st;
      },
      10_000,
      'active',
    );
    const approvals = state.log.filter((e) => e.event === 'approved').map((e) => e.actor);
    expect(approvals).toHaveLength(1);
    expect(state.approval.steps[0].approvedBy).toEqual(approvals);
    expect(await store.seats.used(app.id, 'seat')).toBe(1);
    expect(await members(app)).toEqual([input.beneficiary.id]);
    await recordHistory('15-racing-final-approvals', input.ticketId);
  });

  test('a cancel while the final approval awaits its seat: the ticket ends cancelled, the seat is given back, nothing is granted', async () => {
    const app = licensed();
    const gate = gateSeats(app);
    const { input, handle } = await start(app, { changes: [seatChange(app)] });
    const approval = outcome(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] }));
    await gate.reached;
    const cancel = await handle.startUpdate(cancelTicketUpdate, {
      args: [{ actor: { id: input.requester.id, roles: [], groups: [] }, comment: 'not needed any more' }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    gate.open(true);
    expect(await approval).toBe('TICKET_NOT_PENDING');
    expect((await cancel.result()).status).toBe('cancelled');
    const final = await handle.result();
    expect(final.status).toBe('cancelled');
    expect(final.access.state).toBe('none');
    expect(final.log.map((e: { event: string }) => e.event)).toEqual(['created', 'cancelled']);
    expect(await store.seats.used(app.id, 'seat')).toBe(0);
    expect(await members(app)).toEqual([]);
    expect(await store.grants.activeOwner(app.id, input.beneficiary.id, 'engineering')).toBeNull();
  });

  test('the pending timeout firing while the final approval awaits its seat: the approval, taken in time, stands', async () => {
    const app = licensed({ pendingTimeoutSeconds: 2 });
    const gate = gateSeats(app);
    const { input, handle } = await start(app, { changes: [seatChange(app)] });
    const approval = handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await gate.reached;
    const timerFired = async () => (await handle.fetchHistory()).events?.some((e) => e.timerFiredEventAttributes);
    await eventually(timerFired, 10_000, 'the pending timeout');
    gate.open(true);
    expect((await approval).status).toBe('approved');
    const state = await eventually(
      async () => {
        const st = await handle.query(ticketStateQuery);
        return st.access.state === 'active' && st;
      },
      10_000,
      'active',
    );
    expect(state.log.map((e) => e.event)).toEqual(['created', 'approved', 'applying', 'granted']);
    expect(await store.seats.used(app.id, 'seat')).toBe(1);
    expect(await members(app)).toEqual([input.beneficiary.id]);
  });
});

describe('failure paths leave nothing behind', () => {
  test('revoking a ticket parked in failed revokes what its first change granted before the second failed', async () => {
    const app = testApp();
    flaky.set(app.id, { failures: 1, permanent: true, calls: 0, only: 'admin-role' });
    const { input, handle } = await start(app, { changes: [change(app, 'engineering'), change(app, 'admin-role')] });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await handle.query(ticketStateQuery)).access.state === 'failed', 10_000, 'failed');
    expect(await members(app)).toEqual([input.beneficiary.id]);
    const state = await handle.executeUpdate(revokeAccessUpdate, { args: [{ actor: dave, comment: 'give up' }] });
    expect(state.access.state).toBe('revoked');
    expect(state.log[state.log.length - 1]).toMatchObject({
      event: 'revoked',
      actor: 'dave',
      details: { whileFailed: true },
    });
    expect(await members(app)).toEqual([]);
    expect(await store.grants.activeOwner(app.id, input.beneficiary.id, 'engineering')).toBeNull();
    await handle.result();
    await recordHistory('16-failed-revoked', input.ticketId);
  });

  test('a limited ticket parked in failed and retried after its end expires without granting', async () => {
    const app = testApp();
    flaky.set(app.id, { failures: 1, permanent: true, calls: 0 });
    const now = Date.now();
    const { handle } = await start(app, {
      duration: { type: 'limited', start: new Date(now).toISOString(), end: new Date(now + 2000).toISOString() },
    });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await handle.query(ticketStateQuery)).access.state === 'failed', 10_000, 'failed');
    await eventually(async () => Date.now() > now + 2500, 5000, 'the end date passing');
    await handle.executeUpdate(retryApplyUpdate, { args: [{ actor: admin, comment: 'user created' }] });
    const state = await eventually(
      async () => {
        const st = await handle.query(ticketStateQuery);
        return st.access.state === 'expired' && st;
      },
      10_000,
      'expired',
    );
    expect(state.log.map((e) => e.event)).toEqual([
      'created',
      'approved',
      'applying',
      'provisioning_failed',
      'retried',
      'expired',
    ]);
    expect(flaky.get(app.id)!.calls).toBe(1);
    expect(await members(app)).toEqual([]);
  });

  test('a revoke arriving while the workflow waits to continue as new revokes the access (no deadlock)', async () => {
    const app = testApp();
    const { input, handle } = await start(app, { continueAsNewAfterEvents: 20 });
    // Publishing `granted` is held, so the run that just granted waits to continue as new when the revoke lands.
    const granted = gate(`events:${input.ticketId}:granted`);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await granted.reached;
    const revoke = await client.workflow.getHandle(input.ticketId).startUpdate(revokeAccessUpdate, {
      args: [{ actor: dave, comment: 'left' }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    granted.open();
    const state = await Promise.race([revoke.result(), new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    expect(state?.access.state).toBe('revoked');
    expect(await members(app)).toEqual([]);
    await handle.result();
    await recordHistory('17-revoked-while-continuing-as-new', input.ticketId);
  });

  test('while a revocation retries against a failing target, extensions and revokes are refused with ACCESS_ENDING and a pending extension is told the access ended', async () => {
    const app = testApp();
    const now = Date.now();
    const { input, handle } = await start(app, {
      duration: { type: 'limited', start: new Date(now).toISOString(), end: new Date(now + 3_600_000).toISOString() },
    });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await handle.query(ticketStateQuery)).access.state === 'active', 10_000, 'active');
    const extension = (end: number) =>
      workflowInput(app, {
        type: 'extend',
        requester: input.requester,
        beneficiary: input.beneficiary,
        parentTicketId: input.ticketId,
        duration: { type: 'limited', start: new Date(now).toISOString(), end: new Date(now + end).toISOString() },
      });
    const pending = extension(7_200_000);
    await handle.executeUpdate(requestExtensionUpdate, { args: [pending] });
    flaky.set(app.id, { failures: 0, permanent: false, calls: 0, revokeFailures: 2 });
    const revoke = await handle.startUpdate(revokeAccessUpdate, {
      args: [{ actor: dave }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    expect(await updateError(handle.executeUpdate(requestExtensionUpdate, { args: [extension(9_000_000)] }))).toBe(
      'ACCESS_ENDING',
    );
    expect(await updateError(handle.executeUpdate(revokeAccessUpdate, { args: [{ actor: admin }] }))).toBe(
      'ACCESS_ENDING',
    );
    const child = await client.workflow.getHandle(pending.ticketId).result();
    expect(child.status).toBe('rejected');
    expect(child.log[child.log.length - 1]).toMatchObject({ event: 'rejected', details: { reason: 'access_ended' } });
    expect((await revoke.result()).access.state).toBe('revoked');
    expect(flaky.get(app.id)!.revokeFailures).toBe(0);
    expect(await members(app)).toEqual([]);
  });

  test('access the person already held is logged as already_held', async () => {
    const app = testApp();
    const { input, handle } = await start(app);
    await store.demoMemberships.add(app.id, input.beneficiary.id, 'engineering');
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    const state = await eventually(
      async () => {
        const st = await handle.query(ticketStateQuery);
        return st.access.state === 'active' && st;
      },
      10_000,
      'active',
    );
    expect(state.log.map((e) => e.event)).toEqual(['created', 'approved', 'applying', 'already_held', 'granted']);
    expect(state.log.find((e) => e.event === 'already_held')!.details).toEqual({ entitlementIds: ['engineering'] });
    // Recorded with the `single-writer` patch: the read model and the events written from one loop.
    await recordHistory('18-already-held-single-writer', input.ticketId);
  });
});

describe('the read model and the events', () => {
  test('a write runs as a local activity when nothing waits behind it: a new ticket costs one workflow task, an approval is answered once persisted with its grant running beside the write, and expiry revokes and writes in the task its timer wakes (patches local-writes, local-revoke)', async () => {
    const app = testApp();
    const { input, handle } = await start(app, { duration: endingIn(5000) });
    type HistoryEvent = NonNullable<Awaited<ReturnType<typeof handle.fetchHistory>>['events']>[number];
    const history = async () => (await handle.fetchHistory()).events ?? [];
    const activities = (events: HistoryEvent[]) =>
      events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    /** The activity types of the local activities recorded (each as a `core_local_activity` marker). */
    const localActivities = (events: HistoryEvent[]) =>
      events.flatMap((e) => {
        const marker = e.markerRecordedEventAttributes;
        if (marker?.markerName !== 'core_local_activity') return [];
        const data = marker.details?.data?.payloads?.[0]?.data;
        return data ? [(payloadJson(data) as { activity_type: string }).activity_type] : [];
      });
    const count = (events: HistoryEvent[], key: keyof HistoryEvent) => events.filter((e) => e[key]).length;
    const published = (type: string) => eventStored(input.ticketId, type, 10_000);
    // Created: the first workflow task wrote the ticket and stored its `created` event, then completed.
    await published('created');
    const atCreate = await eventually(
      async () => {
        const events = await history();
        return localActivities(events).length > 0 ? events : null;
      },
      10_000,
      'the first write recorded',
    );
    expect(activities(atCreate)).toEqual([]);
    expect(localActivities(atCreate)).toEqual(['writeTicketLocal']);
    expect(count(atCreate, 'workflowTaskCompletedEventAttributes')).toBe(1);
    expect((await store.tickets.get(input.ticketId))?.status).toBe('pending');

    // Approved: the Update waits for the read model only; its write is an activity scheduled beside the
    // grant, and nothing runs locally before it is answered (nothing would leave before the local work).
    expect((await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] })).status).toBe('approved');
    const atApproval = await history();
    const accepted = atApproval.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const answered = atApproval.findIndex((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    expect(activities(atApproval.slice(accepted, answered))).toEqual(
      expect.arrayContaining(['applyAccess', 'persistTicketState']),
    );
    expect(localActivities(atApproval.slice(accepted, answered))).toEqual([]);
    // Granted: an event waits for its version (patch events-after-their-version), so once `granted` is out
    // the read model shows the access active.
    await published('granted');
    expect((await store.tickets.get(input.ticketId))?.access.state).toBe('active');

    // Expired: the task the end timer wakes revokes locally, writes the `expired` version and its event
    // locally, and starts the re-raise window: one workflow task, no activity (patch local-revoke).
    await published('expired');
    const atExpiry = await eventually(
      async () => {
        const events = await history();
        const revoked = events.findIndex((e) => localActivities([e])[0] === 'revokeAccess');
        if (revoked < 0) return null;
        const fired = events
          .slice(0, revoked)
          .map((e) => !!e.timerFiredEventAttributes)
          .lastIndexOf(true);
        // That task's commands follow its completion, up to the next task scheduled (the window's end).
        const next = events.findIndex((e, i) => i > revoked && e.workflowTaskScheduledEventAttributes);
        const task = events.slice(fired, next < 0 ? undefined : next);
        return task.some((e, i) => i > revoked - fired && e.timerStartedEventAttributes) && task;
      },
      10_000,
      'the expiry recorded up to the re-raise window',
    );
    expect(activities(atExpiry)).toEqual([]);
    expect(localActivities(atExpiry)).toEqual(['revokeAccess', 'writeTicketLocal']);
    expect(count(atExpiry, 'workflowTaskCompletedEventAttributes')).toBe(1);
    await expectGrantedThenExpired(input.ticketId);
    await recordHistory('26-local-revoke-expired', input.ticketId);
  });

  test('a new run records one patch marker, for every patch it consolidates, and upserts its search attributes only when they change: from start to expiry one marker and four state upserts (patch consolidated)', async () => {
    const app = testApp();
    const { input, handle } = await start(app, { duration: endingIn(4000) });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventStored(input.ticketId, 'expired', 15_000);
    const events = (await handle.fetchHistory()).events ?? [];
    const patches = events.flatMap((e) => {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_patch') return [];
      return [(payloadJson(marker.details?.['patch-data']?.payloads?.[0]?.data) as { id: string }).id];
    });
    // The newest consolidation alone, asked first by the tracing interceptor: no marker of the tracing
    // patch, nor of `notifications`, `local-writes` or (at expiry) `local-revoke` or `reraise-window`,
    // though the run published, wrote and revoked locally, and lingers.
    expect(patches).toEqual([PATCHES.consolidated2]);
    const upserts = events.flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      return fields ? [fields] : [];
    });
    expect(upserts.filter((f) => f.TemporalChangeVersion)).toHaveLength(1);
    // The ticket's state: not at creation (the start set `pending` already), then each change.
    expect(
      upserts.flatMap((f) =>
        f.TicketStatus ? [[payloadJson(f.TicketStatus.data), payloadJson(f.AccessState?.data)]] : [],
      ),
    ).toEqual([
      ['approved', 'pending'],
      ['approved', 'applying'],
      ['approved', 'active'],
      ['approved', 'expired'],
    ]);
    await expectGrantedThenExpired(input.ticketId);
    await recordHistory('25-consolidated-expired', input.ticketId);
  });

  test('an expiry whose local revocation hangs after it released the grant is finished by the activity, which answers as the attempt would have: the log says nothing was skipped (patch local-revoke)', async () => {
    const app = testApp({
      entitlements: [{ id: 'engineering', kind: 'group', name: 'engineering', licenseId: 'seat' }],
      licenses: [{ id: 'seat', name: 'Seat', seats: 5 }],
    });
    const engineering = {
      ...change(app, 'engineering'),
      entitlement: { ...change(app, 'engineering').entitlement, licenseId: 'seat' },
    };
    const { input, handle } = await start(app, { duration: endingIn(3000), changes: [engineering] });
    // The local attempt revokes in the target and saves the grant, then waits at its seat release.
    const hung = gate(`seat-release:${app.id}`);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await hung.reached;
    expect(await members(app)).toEqual([]);
    // After the attempt's 5 s the activity takes over: the grant says this ticket's holding ended as revoked.
    await eventStored(input.ticketId, 'expired', 20_000);
    hung.open();
    const state = await handle.query(ticketStateQuery);
    expect(state.log.find((e) => e.event === 'expired')?.details).toEqual({});
    expect(state.access.state).toBe('expired');
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).toContain('revokeAccess');
    expect(await store.seats.used(app.id, 'seat')).toBe(0);
  });

  test('an expiry whose local revocation fails waits the retry policy’s first interval, then revokes through the activity: a failing target is not called again at once (patch local-revoke)', async () => {
    const app = testApp();
    flaky.set(app.id, { failures: 0, permanent: false, calls: 0, revokeFailures: 1 });
    const { input, handle } = await start(app, { duration: endingIn(3000) });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventStored(input.ticketId, 'expired', 20_000);
    const { events, activityAfter } = await afterLocalFailure(handle);
    expect(activityAfter).toBe('revokeAccess');
    const failed = events.findIndex((e) => e.markerRecordedEventAttributes?.failure);
    const scheduled = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'revokeAccess',
    );
    expect(events.slice(failed, scheduled).filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
    expect(flaky.get(app.id)!.revokeFailures).toBe(0);
    expect(await members(app)).toEqual([]);
    await expectGrantedThenExpired(input.ticketId);
  });

  test('a local write that fails is written by the activity, in the same run, without failing the workflow task (patch local-writes)', async () => {
    const { input, handle, created } = await startWithCreatedHeld();
    created.open(false);
    await eventStored(input.ticketId, 'created', 20_000, 'the created event stored by the activity');
    const { events, activityAfter } = await afterLocalFailure(handle);
    expect(activityAfter).toBe('writeTicket');
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect((await store.tickets.get(input.ticketId))?.status).toBe('pending');
  });

  test('a local write that hangs is given up after one attempt of 5 s and written by the activity instead, so the run does not hold its task (and messages) for it (patch local-writes)', async () => {
    // The new ticket's first write, local, hangs at the publication of its `created` event.
    const { input, handle, created } = await startWithCreatedHeld();
    try {
      // Given up: its marker records the failure, and the activity form of the same write stores the event.
      await eventStored(
        input.ticketId,
        'created',
        20_000,
        'the created event stored by the activity while the local write still hangs',
      );
      expect((await afterLocalFailure(handle)).activityAfter).toBe('writeTicket');
      // Messages reach the run meanwhile: an approval is answered while the local write still hangs.
      expect((await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] })).status).toBe('approved');
    } finally {
      created.open();
    }
    // The hung attempt, let through late, stores nothing twice.
    await new Promise((r) => setTimeout(r, 500));
    await eventStored(input.ticketId, 'granted', 10_000);
    expect((await store.ticketEvents.forTicket(input.ticketId)).map((e) => e.type)).toEqual([
      'created',
      'approved',
      'applying',
      'granted',
    ]);
  });
});
