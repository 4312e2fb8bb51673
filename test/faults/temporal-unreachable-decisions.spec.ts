/**
 * Decisions while Temporal cannot be reached. Every call that needs Temporal (approve, reject, cancel,
 * revoke, retry, extend, re-raise, create) answers 503 DEPENDENCY_UNAVAILABLE with a Retry-After header,
 * never a 500, whether the server refuses connections (stopped) or never answers (frozen, or no worker
 * takes the decision before the deadline). Once Temporal is back, the same call with the same
 * Idempotency-Key records the decision once.
 */
import { report } from './support/processes';
import {
  demoAppBody,
  inProcessStack,
  people,
  privateTemporal,
  type Answer,
  type InProcessStack,
  type PrivateTemporal,
} from './support/in-process';
import { eventually } from '../support/harness';

jest.setTimeout(240_000);

/** Short, so a test of the deadline path takes seconds; production keeps its own. */
const UPDATE_DEADLINE_MS = 4_000;

let temporal: PrivateTemporal;
let stack: InProcessStack;

beforeAll(async () => {
  temporal = await privateTemporal();
  stack = await inProcessStack({
    temporalAddress: temporal.address,
    config: { temporalDeadlines: { startMs: 5_000, updateMs: UPDATE_DEADLINE_MS } },
  });
});
afterAll(async () => {
  temporal?.thaw();
  await stack?.close();
  await temporal?.close();
});

const call = <T = any>(...args: Parameters<InProcessStack['call']>) => stack.call<T>(...args);

async function newApp(): Promise<string> {
  const id = `app-${Math.random().toString(36).slice(2, 10)}`;
  const res = await call(people.root, 'PUT', `/apps/${id}`, demoAppBody());
  expect(res.status).toBe(201);
  return id;
}

/**
 * Setup calls are retried with the same Idempotency-Key while they answer 503, as a client is told to:
 * on a busy machine the short update deadline of this file can pass before the worker answers.
 */
async function untilDone(
  as: Parameters<InProcessStack['call']>[0],
  path: string,
  body: unknown,
  key: string,
): Promise<Answer> {
  return eventually(
    async () => {
      const res = await call(as, 'POST', path, body, { 'idempotency-key': key });
      if (res.status === 503) return null;
      return res;
    },
    60_000,
    `POST ${path}`,
  );
}

async function raise(appId: string, user: string, end: number | null): Promise<string> {
  const duration = end === null ? { type: 'indefinite' } : { type: 'limited', end: new Date(end).toISOString() };
  const res = await untilDone(
    people.requester(user),
    '/tickets',
    { appId, changes: [{ op: 'add', entitlementId: 'eng' }], duration },
    `raise-${user}`,
  );
  expect([200, 201]).toContain(res.status); // 200: a retry answered with the ticket an earlier attempt created
  return res.body.id;
}

async function accessOf(ticketId: string, state: string): Promise<void> {
  await eventually(
    async () => (await call(people.root, 'GET', `/tickets/${ticketId}`)).body.access?.state === state,
    30_000,
    `${ticketId} access ${state}`,
  );
}

async function active(appId: string, user: string, end: number | null): Promise<string> {
  const id = await raise(appId, user, end);
  expect((await untilDone(people.carol, `/tickets/${id}/approve`, {}, `setup-${id}`)).status).toBe(200);
  await accessOf(id, 'active');
  return id;
}

/** Every answer is 503 DEPENDENCY_UNAVAILABLE with a Retry-After in seconds (all shown at once on failure). */
function expectUnavailable(answers: ReadonlyArray<readonly [string, Answer]>): void {
  const seen = Object.fromEntries(
    answers.map(([what, r]) => [what, `${r.status} ${r.body?.code} Retry-After: ${r.headers.get('retry-after')}`]),
  );
  const wanted = Object.fromEntries(
    answers.map(([what]) => [what, expect.stringMatching(/^503 DEPENDENCY_UNAVAILABLE Retry-After: [1-9]\d*$/)]),
  );
  expect(seen).toEqual(wanted);
}

test('Temporal stopped: every call that needs it answers 503 DEPENDENCY_UNAVAILABLE with Retry-After; once it is back the same approval goes through once', async () => {
  const appId = await newApp();
  const pending = await raise(appId, 'st-pending', Date.now() + 3600_000);
  const limited = await active(appId, 'st-limited', Date.now() + 3600_000);
  const expiring = await active(appId, 'st-expiring', Date.now() + 4_000);
  await accessOf(expiring, 'expired');

  await stack.stopWorker();
  await temporal.stop();
  const stoppedAt = Date.now();
  const key = { 'idempotency-key': 'approve-while-stopped' };
  let answers: Array<readonly [string, Answer]>;
  try {
    answers = await Promise.all([
      call(people.carol, 'POST', `/tickets/${pending}/approve`, {}, key).then((r) => ['approve', r] as const),
      call(people.carol, 'POST', `/tickets/${pending}/reject`, {}).then((r) => ['reject', r] as const),
      call(people.requester('st-pending'), 'POST', `/tickets/${pending}/cancel`, {}).then(
        (r) => ['cancel', r] as const,
      ),
      call(people.root, 'POST', `/tickets/${limited}/revoke`, {}).then((r) => ['revoke', r] as const),
      call(people.root, 'POST', `/tickets/${limited}/retry`).then((r) => ['retry', r] as const),
      call(people.requester('st-limited'), 'POST', `/tickets/${limited}/extend`, {
        end: new Date(Date.now() + 7200_000).toISOString(),
      }).then((r) => ['extend', r] as const),
      call(people.requester('st-expiring'), 'POST', `/tickets/${expiring}/reraise`, {
        duration: { type: 'limited', end: new Date(Date.now() + 3600_000).toISOString() },
      }).then((r) => ['reraise', r] as const),
      call(people.requester('st-new'), 'POST', '/tickets', {
        appId,
        changes: [{ op: 'add', entitlementId: 'eng' }],
        duration: { type: 'indefinite' },
      }).then((r) => ['create', r] as const),
    ]);
    // Nothing was decided meanwhile: the read model still shows what it showed.
    expect((await call(people.root, 'GET', `/tickets/${pending}`)).body.status).toBe('pending');
    expect((await call(people.root, 'GET', `/tickets/${limited}`)).body.access.state).toBe('active');
  } finally {
    await temporal.start();
    await stack.startWorker();
  }
  const restartedAt = Date.now();
  expectUnavailable(answers);
  const approved = await eventually(
    async () => {
      const res = await call(people.carol, 'POST', `/tickets/${pending}/approve`, {}, key);
      return res.status === 200 && res;
    },
    60_000,
    `${pending} approved after the restart`,
  );
  expect(approved.body.status).toBe('approved');
  await accessOf(pending, 'active');
  // A retry with the same key after the ticket moved on is answered with the decision, not refused.
  const again = await call(people.carol, 'POST', `/tickets/${pending}/approve`, {}, key);
  expect([again.status, again.body.status]).toEqual([200, 'approved']);
  const log = (await call(people.root, 'GET', `/tickets/${pending}`)).body.log as Array<{ event: string }>;
  expect(log.filter((e) => e.event === 'approved')).toHaveLength(1);

  report('temporal-stopped-decisions', {
    calls: answers.length,
    slowest503Ms: Math.max(...answers.map(([, r]) => r.ms)),
    downtimeMs: restartedAt - stoppedAt,
    statuses: answers.map(([what, r]) => `${what}:${r.status}`),
  });
});

test('Temporal frozen (connections accepted, nothing answers): a decision answers 503 with Retry-After after the update deadline, not 500', async () => {
  const appId = await newApp();
  const pending = await raise(appId, 'fz-pending', Date.now() + 3600_000);
  const limited = await active(appId, 'fz-limited', Date.now() + 3600_000);
  await stack.stopWorker();
  temporal.freeze();
  let answers: Array<readonly [string, Answer]>;
  try {
    answers = await Promise.all([
      call(people.carol, 'POST', `/tickets/${pending}/approve`, {}, { 'idempotency-key': 'approve-while-frozen' }).then(
        (r) => ['approve', r] as const,
      ),
      call(people.root, 'POST', `/tickets/${limited}/revoke`, {}).then((r) => ['revoke', r] as const),
    ]);
  } finally {
    temporal.thaw();
    await stack.startWorker();
  }
  expectUnavailable(answers);
  const approved = await eventually(
    async () => {
      const res = await call(
        people.carol,
        'POST',
        `/tickets/${pending}/approve`,
        {},
        { 'idempotency-key': 'approve-while-frozen' },
      );
      return res.status === 200 && res;
    },
    60_000,
    `${pending} approved after the thaw`,
  );
  expect(approved.body.status).toBe('approved');
  await accessOf(pending, 'active');
  report('temporal-frozen-decisions', {
    calls: answers.length,
    slowest503Ms: Math.max(...answers.map(([, r]) => r.ms)),
    updateDeadlineMs: UPDATE_DEADLINE_MS,
  });
});

test('no worker takes a decision before the deadline: 503 with Retry-After; the same Idempotency-Key later answers with the one decision', async () => {
  const appId = await newApp();
  const pending = await raise(appId, 'nw-pending', Date.now() + 3600_000);
  await stack.stopWorker();
  const key = { 'idempotency-key': 'approve-without-worker' };
  const first = await call(people.carol, 'POST', `/tickets/${pending}/approve`, {}, key).finally(() =>
    stack.startWorker(),
  );
  expectUnavailable([['approve', first]]);
  const approved = await eventually(
    async () => {
      const res = await call(people.carol, 'POST', `/tickets/${pending}/approve`, {}, key);
      return res.status === 200 && res;
    },
    60_000,
    `${pending} approved once a worker is back`,
  );
  expect(approved.body.status).toBe('approved');
  await accessOf(pending, 'active');
  const log = (await call(people.root, 'GET', `/tickets/${pending}`)).body.log as Array<{ event: string }>;
  expect(log.filter((e) => e.event === 'approved')).toHaveLength(1);
});
