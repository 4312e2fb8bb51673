/**
 * The ticket workflow's side of notifications, on a real dev server: every log entry is published as an
 * event in order, with a stable id; steps remind and escalate on durable timers that a decision cancels;
 * limited access warns its requester before it ends.
 */
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import type { App, TicketEvent, TicketState, TicketWorkflowInput } from '@gatehouse/domain';
import type { Store } from '@gatehouse/store';
import {
  eventually,
  openTestClient,
  openTestStore,
  startTestWorker,
  type RunningWorker,
  updateError,
} from '../../test/support/harness';
import { carol, dave, mallory, testApp, workflowInput } from '../../test/support/fixtures';
import { approveTicketUpdate, ticketStateQuery, ticketWorkflowStartOptions } from './definitions';

let store: Store;
let client: Client;
let connection: Connection;
let worker: RunningWorker;

beforeAll(async () => {
  store = await openTestStore();
  ({ client, connection } = await openTestClient());
  worker = await startTestWorker(store);
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await store?.close();
});

async function start(app: App, overrides: Partial<TicketWorkflowInput> = {}) {
  await store.apps.put(app);
  const input = workflowInput(app, overrides);
  const handle = await client.workflow.start('ticketWorkflow', ticketWorkflowStartOptions(input, worker.taskQueue));
  return { input, handle };
}

const logOf = async (handle: WorkflowHandle) => (await handle.query(ticketStateQuery)).log.map((e) => e.event);

/**
 * The timers of a workflow's history, by their duration in whole seconds (rounded), with how each ended.
 * (Update handlers wait up to 5 s for the read model with timers of their own: tests pick theirs by duration.)
 */
async function timers(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const outcome = new Map<number, 'fired' | 'cancelled'>();
  for (const e of events) {
    if (e.timerFiredEventAttributes) outcome.set(Number(e.timerFiredEventAttributes.startedEventId), 'fired');
    if (e.timerCanceledEventAttributes) outcome.set(Number(e.timerCanceledEventAttributes.startedEventId), 'cancelled');
  }
  return events
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => {
      const t = e.timerStartedEventAttributes!.startToFireTimeout!;
      return {
        seconds: Math.round(Number(t.seconds ?? 0) + (t.nanos ?? 0) / 1e9),
        outcome: outcome.get(Number(e.eventId)) ?? 'running',
      };
    });
}

describe('events', () => {
  test('every log entry is published once, in order, with a stable id and the ticket as it was after the change', async () => {
    const app = testApp();
    const { input, handle } = await start(app);
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol, comment: 'fine' }] });
    await eventually(async () => (await logOf(handle)).includes('granted'), 15_000, 'granted');
    const state = await handle.query(ticketStateQuery);
    const events = await eventually(
      async () => {
        const stored = await store.ticketEvents.forTicket(input.ticketId);
        return stored.length === state.log.length ? stored : null;
      },
      15_000,
      'every event stored',
    );
    expect(events.map((e) => e.type)).toEqual(state.log.map((e) => e.event));
    expect(events.map((e) => e.sequence)).toEqual(state.log.map((_, i) => i + 1));
    expect(events.map((e) => e.id)).toEqual(state.log.map((_, i) => `${input.ticketId}:${i + 1}`));
    const approved = events.find((e) => e.type === 'approved')!;
    expect(approved).toMatchObject({
      actor: 'carol',
      comment: 'fine',
      ticket: { status: 'approved', app: { id: app.id } },
    });
    expect(events.find((e) => e.type === 'granted')!.ticket.access.state).toBe('active');
  });

  test('a publish repeated with the same events stores nothing twice', async () => {
    const event = {
      id: 'TCK-x:1',
      sequence: 1,
      type: 'created',
      ticketId: 'TCK-x',
      at: new Date().toISOString(),
      actor: 'a',
      comment: null,
      details: {},
      ticket: {},
    } as unknown as TicketEvent;
    expect(await store.ticketEvents.add([event])).toBe(1);
    expect(await store.ticketEvents.add([event, { ...event, id: 'TCK-x:2', sequence: 2 }])).toBe(1);
    expect((await store.ticketEvents.forTicket('TCK-x')).map((e) => e.id)).toEqual(['TCK-x:1', 'TCK-x:2']);
  });
});

describe('reminders and escalation', () => {
  const policy = (remind: number, escalate: number): Partial<App['policy']> => ({
    approval: {
      steps: [
        {
          name: 'Lead',
          approvers: ['user:carol'],
          minApprovals: 1,
          remindAfterSeconds: remind,
          escalateAfterSeconds: escalate,
          escalateTo: ['group:it-admins'],
        },
      ],
    },
  });

  test('an undecided step reminds its approvers, then escalates to the fallback approvers, who may then decide', async () => {
    const app = testApp({ policy: policy(1, 3) });
    const { input, handle } = await start(app);
    // Before escalation the fallback approver is not eligible.
    expect(await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: dave }] }))).toBe(
      'NOT_AN_APPROVER',
    );
    await eventually(async () => (await logOf(handle)).includes('escalated'), 20_000, 'escalation');
    const state = await handle.query(ticketStateQuery);
    expect(state.log.map((e) => e.event)).toEqual(['created', 'reminder_sent', 'escalated']);
    expect(state.log[1].details).toMatchObject({ step: 0, awaiting: ['user:carol'] });
    expect(state.log[2].details).toEqual({ step: 0, to: ['group:it-admins'] });
    expect(state.approval.awaiting).toEqual(['user:carol', 'group:it-admins']);
    // The read model follows: `awaiting=me` finds the ticket for the fallback approver.
    await eventually(
      async () => (await store.tickets.get(input.ticketId))?.approval.awaiting.includes('group:it-admins'),
      10_000,
      'read model',
    );
    // Escalation opens the step; it does not close it to the first approvers, and no one else gains anything.
    expect(await updateError(handle.executeUpdate(approveTicketUpdate, { args: [{ actor: mallory }] }))).toBe(
      'NOT_AN_APPROVER',
    );
    const decided = await handle.executeUpdate(approveTicketUpdate, {
      args: [{ actor: dave, comment: 'covering for carol' }],
    });
    expect(decided.status).toBe('approved');
    // The reminder after 1 s, then the escalation 2 s later, both fired.
    expect((await timers(handle)).slice(0, 2)).toEqual([
      { seconds: 1, outcome: 'fired' },
      { seconds: 2, outcome: 'fired' },
    ]);
    // Both are published for the notifiers.
    const events = await eventually(
      async () => {
        const stored = await store.ticketEvents.forTicket(input.ticketId);
        return stored.some((e) => e.type === 'approved') ? stored : null;
      },
      10_000,
      'events',
    );
    expect(events.map((e) => e.type).slice(0, 4)).toEqual(['created', 'reminder_sent', 'escalated', 'approved']);
  });

  test('a decision cancels the step timers: no reminder, no escalation afterwards', async () => {
    const app = testApp({ policy: policy(2, 4) });
    const { handle } = await start(app);
    await eventually(async () => (await timers(handle)).length > 0, 10_000, 'the reminder timer');
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await logOf(handle)).includes('granted'), 15_000, 'granted');
    // Well past both deadlines.
    await new Promise((r) => setTimeout(r, 5000));
    const log = await logOf(handle);
    expect(log).not.toContain('reminder_sent');
    expect(log).not.toContain('escalated');
    const stepTimers = (await timers(handle)).filter((t) => t.seconds === 2 || t.seconds === 4);
    expect(stepTimers).toEqual([{ seconds: 2, outcome: 'cancelled' }]);
  });

  test('each step gets its own timers when it opens', async () => {
    const app = testApp({
      policy: {
        approval: {
          steps: [
            { name: 'Lead', approvers: ['user:carol'], minApprovals: 1 },
            { name: 'Security', approvers: ['group:it-admins'], minApprovals: 1, remindAfterSeconds: 1 },
          ],
        },
      },
    });
    const { handle } = await start(app);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await logOf(handle)).toEqual(['created']); // step 1 has no timers
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    await eventually(async () => (await logOf(handle)).includes('reminder_sent'), 10_000, 'step 2 reminder');
    const state = await handle.query(ticketStateQuery);
    expect(state.log.find((e) => e.event === 'reminder_sent')!.details).toMatchObject({
      step: 1,
      awaiting: ['group:it-admins'],
    });
  });

  test('the pending timeout still rejects a step that reminders did not get decided', async () => {
    const app = testApp({ policy: { ...policy(1, 30), pendingTimeoutSeconds: 3 } });
    const { handle } = await start(app);
    const result = (await handle.result()) as TicketState;
    expect(result.status).toBe('rejected');
    expect(result.log.map((e) => e.event)).toEqual(['created', 'reminder_sent', 'rejected']);
    expect(result.log[2].details).toEqual({ reason: 'pending_timeout' });
  });
});

describe('expiry notice', () => {
  test('limited access tells its requester before it ends, once, then expires', async () => {
    const app = testApp({ policy: { expiryNoticeSeconds: 3, reraiseWindowSeconds: 1 } });
    const start_ = new Date(Date.now()).toISOString();
    const end = new Date(Date.now() + 7000).toISOString();
    const { input, handle } = await start(app, { duration: { type: 'limited', start: start_, end } });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    const result = (await handle.result()) as TicketState;
    const log = result.log.map((e) => e.event);
    expect(log.filter((e) => e === 'expiring_soon')).toHaveLength(1);
    expect(log.indexOf('granted')).toBeLessThan(log.indexOf('expiring_soon'));
    expect(log.indexOf('expiring_soon')).toBeLessThan(log.indexOf('expired'));
    const notice = result.log.find((e) => e.event === 'expiring_soon')!;
    expect(notice.details).toEqual({ end });
    expect(Date.parse(notice.at)).toBeLessThan(Date.parse(end));
    const events = await store.ticketEvents.forTicket(input.ticketId);
    expect(events.map((e) => e.type)).toContain('expiring_soon');
  }, 60_000);

  test('access shorter than the notice window gets no notice', async () => {
    const app = testApp({ policy: { expiryNoticeSeconds: 3600, reraiseWindowSeconds: 1 } });
    const { handle } = await start(app, {
      duration: { type: 'limited', start: new Date().toISOString(), end: new Date(Date.now() + 3000).toISOString() },
    });
    await handle.executeUpdate(approveTicketUpdate, { args: [{ actor: carol }] });
    const result = (await handle.result()) as TicketState;
    expect(result.log.map((e) => e.event)).not.toContain('expiring_soon');
    expect(result.access.state).toBe('expired');
  });
});
