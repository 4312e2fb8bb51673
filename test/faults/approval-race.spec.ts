/**
 * Fault 6: 200 decisions race in parallel on 50 tickets whose one step needs 2 approvals: duplicates
 * (same Idempotency-Key), the same approver twice, and approvals racing rejections. Every ticket ends in one
 * consistent state (approved by exactly 2 distinct approvers, or rejected), every accepted decision is in the
 * log exactly once, no 500s, and every refusal is a contract code (403/409).
 */
import type { Client } from '@temporalio/client';
import type { Store } from '@gatehouse/store';
import { ticketStateQuery } from '@gatehouse/workflows';
import { api, approver, demoApp, putApp, requester, ticketBody, truth, type HttpResult } from './support/api';
import { appEnv, eventually, report, Scope, type Servers } from './support/processes';

jest.setTimeout(200_000);

const scope = new Scope();
let servers: Servers;
let store: Store;
let client: Client;
let url = '';
const as = api(() => url);

beforeAll(async () => {
  servers = await scope.servers();
  const env = appEnv(servers, scope);
  ({ store, client } = await truth(scope, servers, env.MONGODB_DB));
  scope.worker(env);
  // 200 decisions at once on a loaded 2-core machine can wait more than the default 30 s for Temporal; a 503
  // there would be the machine's limit, not a race outcome.
  url = (await scope.gateway({ ...env, TEMPORAL_UPDATE_TIMEOUT_MS: '90000' })).url;
});
afterAll(() => scope.close());

interface Op {
  ticket: string;
  kind: 'approve' | 'reject';
  actor: number;
  key?: string;
}

/** Four decisions per ticket, by pattern: duplicates, repeats, and approvals racing a rejection. */
function opsFor(ticket: string, i: number): Op[] {
  switch (i % 4) {
    case 0: // the same approver twice, and a retried request (same key) twice
      return [
        { ticket, kind: 'approve', actor: 1 },
        { ticket, kind: 'approve', actor: 1 },
        { ticket, kind: 'approve', actor: 2, key: `k${i}` },
        { ticket, kind: 'approve', actor: 2, key: `k${i}` },
      ];
    case 1: // two approvals race a rejection and a third approval
      return [
        { ticket, kind: 'approve', actor: 1 },
        { ticket, kind: 'approve', actor: 2 },
        { ticket, kind: 'reject', actor: 3 },
        { ticket, kind: 'approve', actor: 4 },
      ];
    case 2: // a duplicated approval races a rejection
      return [
        { ticket, kind: 'approve', actor: 3, key: `k${i}` },
        { ticket, kind: 'approve', actor: 3, key: `k${i}` },
        { ticket, kind: 'reject', actor: 1 },
        { ticket, kind: 'approve', actor: 4 },
      ];
    default: // four approvers for two places
      return [1, 2, 3, 4].map((actor) => ({ ticket, kind: 'approve' as const, actor }));
  }
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

test('200 racing decisions on 50 two-approval tickets: one consistent outcome each, every accepted decision logged once', async () => {
  const appId = await putApp(
    url,
    demoApp({ approval: { steps: [{ name: 'Two of IT', approvers: ['group:it-admins'], minApprovals: 2 }] } }),
  );
  const N = 50;
  const ids: string[] = [];
  for (let i = 0; i < N; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, k) => as(requester(`race${i + k}`)).post('/tickets', ticketBody(appId))),
    );
    for (const r of batch) {
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
  }
  const ops = shuffle(ids.flatMap((t, i) => opsFor(t, i)));
  expect(ops).toHaveLength(200);

  const started = Date.now();
  const results: Array<{ op: Op; res: HttpResult }> = await Promise.all(
    ops.map(async (op) => ({
      op,
      res: await as(approver(op.actor)).post(
        `/tickets/${op.ticket}/${op.kind}`,
        {},
        op.key ? { 'idempotency-key': op.key } : {},
        90_000,
      ),
    })),
  );
  const raceMs = Date.now() - started;

  const byStatus: Record<string, number> = {};
  for (const { res } of results) byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
  const latencies = results.map((r) => r.res.ms).sort((x, y) => x - y);
  const p50Ms = latencies[Math.floor(latencies.length / 2)];
  const maxMs = latencies[latencies.length - 1];
  const unexpected = results
    .filter(({ res }) => ![200, 403, 409].includes(res.status))
    .map(
      ({ op, res }) =>
        `${op.kind} ${op.ticket} by ${op.actor}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
    );
  expect(unexpected).toEqual([]);

  let approved = 0;
  let rejected = 0;
  const problems: string[] = [];
  for (const id of ids) {
    const state = await client.workflow.getHandle(id).query(ticketStateQuery);
    const step = state.approval.steps[0];
    const approvals = state.log.filter((e) => e.event === 'approved');
    const rejections = state.log.filter((e) => e.event === 'rejected');
    const mine = results.filter((r) => r.op.ticket === id && r.res.status === 200);
    const acceptedApprovers = new Set(mine.filter((r) => r.op.kind === 'approve').map((r) => `approver${r.op.actor}`));
    const acceptedRejects = mine.filter((r) => r.op.kind === 'reject').length;
    const ok =
      approvals.length === step.approvedBy.length &&
      new Set(step.approvedBy).size === step.approvedBy.length &&
      new Set(approvals.map((e) => e.actor)).size === approvals.length &&
      [...acceptedApprovers].sort().join() === [...step.approvedBy].sort().join() &&
      (state.status === 'approved'
        ? step.approvedBy.length === 2 && rejections.length === 0 && acceptedRejects === 0
        : state.status === 'rejected' &&
          step.approvedBy.length < 2 &&
          rejections.length === 1 &&
          acceptedRejects === 1);
    if (!ok)
      problems.push(
        `${id}: ${state.status} approvedBy=${JSON.stringify(step.approvedBy)} log=${JSON.stringify(state.log.map((e) => `${e.event}:${e.actor}`))} accepted=${JSON.stringify(mine.map((r) => `${r.op.kind}:${r.op.actor}${r.op.key ? `#${r.op.key}` : ''}`))}`,
      );
    if (state.status === 'approved') approved++;
    else rejected++;
  }
  expect(problems).toEqual([]);

  // The read model agrees with the workflows once the persisters have caught up.
  await eventually(
    async () => {
      for (const id of ids) {
        const [doc, state] = await Promise.all([
          store.tickets.get(id),
          client.workflow.getHandle(id).query(ticketStateQuery),
        ]);
        if (
          !doc ||
          doc.status !== state.status ||
          JSON.stringify(doc.approval.steps[0].approvedBy) !== JSON.stringify(state.approval.steps[0].approvedBy)
        )
          return false;
        if ((doc.log as unknown[]).length !== state.log.length) return false;
      }
      return true;
    },
    30_000,
    'the read model to match the workflows',
  );

  report('approval-race', {
    decisionsSent: ops.length,
    tickets: N,
    answers: byStatus,
    approved,
    rejected,
    inconsistent: problems.length,
    raceMs,
    p50Ms,
    maxMs,
    lost: 0,
  });
});
