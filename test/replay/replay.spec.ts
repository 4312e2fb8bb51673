/**
 * Replay: every history under test/fixtures/histories was recorded from real runs of the ticket
 * workflow. Replaying them against the current workflow code proves that running workflows (which
 * replay their history on every worker restart) still behave the same; a change that breaks this
 * needs a `patched()` guard. Record new ones with: RECORD_HISTORIES=1 npx jest -c test/jest.config.js test/replay
 * (scenarios through the API), or RECORD_HISTORIES=1 npx jest workflows/src/ticket-workflow.spec.ts (scenarios
 * that need a controlled worker: racing decisions, a failing target, a revoke during continue-as-new).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowSinks } from '@gatehouse/worker';
import { removeApproverUpdate } from '@gatehouse/workflows';
import { eventually, openTestClient, testTemporalAddress } from '../support/harness';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { binaries } = require('../../tools/scripts/stack') as typeof import('../../tools/scripts/stack');
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

const dir = path.join(__dirname, '../fixtures/histories');

function histories() {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
}

test('every recorded ticket history replays against the current workflow code', async () => {
  const recorded = histories();
  expect(recorded.length).toBeGreaterThanOrEqual(28);
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    // The sinks every worker registers (the bundle's tracing interceptors send their spans to one).
    { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, sinks: workflowSinks(null) },
    recorded,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});

const record = process.env.RECORD_HISTORIES ? describe : describe.skip;
record('recording histories', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => stack?.stop());

  /** Existing histories are never re-recorded: those recorded before a change are what proves its patch. */
  async function save(name: string, ticketId: string) {
    if (fs.existsSync(path.join(dir, `${name}.json`))) return;
    const { client, connection } = await openTestClient();
    const handle = client.workflow.getHandle(ticketId);
    await handle.result().catch(() => undefined);
    await connection.close();
    // The CLI writes the proto-JSON form that historyFromJSON reads (historyToJSON trips over Jest's module registry).
    const json = execFileSync(binaries().temporal, [
      'workflow',
      'show',
      '--workflow-id',
      ticketId,
      '--address',
      testTemporalAddress(),
      '--output',
      'json',
    ]);
    fs.writeFileSync(path.join(dir, `${name}.json`), json);
  }

  const body = (appId: string, extra: Record<string, unknown> = {}) => ({
    appId,
    changes: [{ op: 'add', entitlementId: 'engineering-team' }],
    duration: { type: 'limited', end: new Date(Date.now() + 3000).toISOString() },
    reason: 'replay',
    ...extra,
  });
  const waitState = (id: string, state: string) =>
    eventually(
      async () => (await stack.as(users.alice).get(`/tickets/${id}`)).body.access.state === state,
      15_000,
      state,
    );

  test('scenarios', async () => {
    const a = stack.as(users.alice);
    const carol = stack.as(users.carol);
    const root = stack.as(users.root);
    const twoSteps = {
      policy: {
        approval: {
          steps: [
            { name: 'Lead', approvers: ['user:carol'], minApprovals: 1 },
            { name: 'IT', approvers: ['group:it-admins'], minApprovals: 1 },
          ],
        },
      },
    };

    let app = await createApp(stack, twoSteps);
    let t = (await a.post('/tickets', body(app))).body;
    await carol.post(`/tickets/${t.id}/approve`, { comment: 'ok' });
    await stack.as(users.dave).post(`/tickets/${t.id}/approve`, {});
    await save('01-two-steps-granted-expired', t.id);

    app = await createApp(stack);
    t = (await a.post('/tickets', body(app))).body;
    await carol.post(`/tickets/${t.id}/reject`, { comment: 'no' });
    await save('02-rejected', t.id);

    app = await createApp(stack, { policy: { pendingTimeoutSeconds: 1 } });
    t = (await a.post('/tickets', body(app))).body;
    await save('03-pending-timeout', t.id);

    app = await createApp(stack);
    t = (await a.post('/tickets', body(app, { duration: { type: 'limited', end: inHours(1) } }))).body;
    await carol.post(`/tickets/${t.id}/approve`, {
      duration: { type: 'limited', end: new Date(Date.now() + 2000).toISOString() },
    });
    await save('04-modified-duration', t.id);

    app = await createApp(stack);
    t = (await a.post('/tickets', body(app))).body;
    await a.post(`/tickets/${t.id}/cancel`, { comment: 'changed my mind' });
    await save('05-cancelled', t.id);

    app = await createApp(stack);
    t = (await a.post('/tickets', body(app, { duration: { type: 'indefinite' } }))).body;
    await carol.post(`/tickets/${t.id}/approve`, {});
    await waitState(t.id, 'active');
    await root.post(`/tickets/${t.id}/revoke`, { comment: 'left the team' });
    await save('06-indefinite-revoked', t.id);

    app = await createApp(stack);
    t = (await a.post('/tickets', body(app, { duration: { type: 'indefinite' } }))).body;
    await carol.post(`/tickets/${t.id}/approve`, {});
    await waitState(t.id, 'active');
    const removal = (
      await a.post('/tickets', {
        appId: app,
        changes: [{ op: 'remove', entitlementId: 'engineering-team' }],
        reason: 'done',
      })
    ).body;
    await carol.post(`/tickets/${removal.id}/approve`, {});
    await save('07-remove', removal.id);

    app = await createApp(stack);
    t = (
      await a.post(
        '/tickets',
        body(app, {
          duration: {
            type: 'limited',
            start: new Date(Date.now() + 1500).toISOString(),
            end: new Date(Date.now() + 3500).toISOString(),
          },
        }),
      )
    ).body;
    await carol.post(`/tickets/${t.id}/approve`, {});
    await save('08-scheduled-start', t.id);

    // Recorded after extend / re-raise / seats / modify were added (issue 4).
    const shortWindow = { policy: { reraiseWindowSeconds: 2 } };
    app = await createApp(stack, shortWindow);
    t = (
      await a.post(
        '/tickets',
        body(app, { duration: { type: 'limited', end: new Date(Date.now() + 4000).toISOString() } }),
      )
    ).body;
    await carol.post(`/tickets/${t.id}/approve`, {});
    await waitState(t.id, 'active');
    const ext = (
      await a.post(`/tickets/${t.id}/extend`, { end: new Date(Date.now() + 6000).toISOString(), reason: 'more' })
    ).body;
    await carol.post(`/tickets/${ext.id}/approve`, {});
    await waitState(t.id, 'expired');
    const rr = (
      await a.post(`/tickets/${t.id}/reraise`, {
        duration: { type: 'limited', end: new Date(Date.now() + 3000).toISOString() },
        reason: 'again',
      })
    ).body;
    await carol.post(`/tickets/${rr.id}/approve`, {});
    await save('10-extension', ext.id);
    await save('11-reraise-child', rr.id);
    await save('09-extended-expired-reraised', t.id);

    app = await createApp(stack, {
      ...shortWindow,
      entitlements: [{ id: 'engineering-team', kind: 'role', name: 'Seat role', licenseId: 'seat' }],
      licenses: [{ id: 'seat', name: 'Seat', seats: 1 }],
    });
    t = (await a.post('/tickets', body(app))).body;
    await carol.post(`/tickets/${t.id}/approve`, {});
    await save('12-licensed-seat', t.id);

    app = await createApp(stack, shortWindow);
    t = (
      await a.post(
        '/tickets',
        body(app, { changes: [{ op: 'add', entitlementId: 'maintainer' }], duration: { type: 'indefinite' } }),
      )
    ).body;
    await carol.post(`/tickets/${t.id}/approve`, {});
    await waitState(t.id, 'active');
    const move = (
      await a.post('/tickets', {
        appId: app,
        changes: [
          { op: 'remove', entitlementId: 'maintainer' },
          { op: 'add', entitlementId: 'engineering-team' },
        ],
        duration: { type: 'limited', end: new Date(Date.now() + 2000).toISOString() },
        reason: 'move',
      })
    ).body;
    await carol.post(`/tickets/${move.id}/approve`, {});
    await save('13-modify', move.id);
  }, 240_000);

  test('scenarios after the notifications patch', async () => {
    const a = stack.as(users.alice);
    // Events published, a reminder, an escalation, an expiry notice.
    const app = await createApp(stack, {
      policy: {
        reraiseWindowSeconds: 2,
        expiryNoticeSeconds: 3,
        approval: {
          steps: [
            {
              name: 'Lead',
              approvers: ['user:carol'],
              minApprovals: 1,
              remindAfterSeconds: 1,
              escalateAfterSeconds: 2,
              escalateTo: ['group:it-admins'],
            },
          ],
        },
      },
    });
    const t = (
      await a.post(
        '/tickets',
        body(app, { duration: { type: 'limited', end: new Date(Date.now() + 10_000).toISOString() } }),
      )
    ).body;
    await eventually(
      async () => (await a.get(`/tickets/${t.id}`)).body.log.some((e: { event: string }) => e.event === 'escalated'),
      15_000,
      'escalated',
    );
    expect((await stack.as(users.dave).post(`/tickets/${t.id}/approve`, { comment: 'covering' })).status).toBe(200);
    await save('14-reminded-escalated-expiry-notice', t.id);
  }, 60_000);

  test('a leaver taken out of pending steps (patch approver-removal)', async () => {
    const a = stack.as(users.alice);
    const app = await createApp(stack, {
      policy: {
        reraiseWindowSeconds: 1,
        approval: {
          steps: [
            { name: 'Lead', approvers: ['user:lee', 'user:carol'], minApprovals: 1 },
            {
              name: 'Peer',
              approvers: ['user:lee'],
              minApprovals: 1,
              escalateAfterSeconds: 3600,
              escalateTo: ['group:it-admins'],
            },
          ],
        },
      },
    });
    const t = (await a.post('/tickets', body(app))).body;
    const { client, connection } = await openTestClient();
    await client.workflow.getHandle(t.id).executeUpdate(removeApproverUpdate, { args: [{ userId: 'lee' }] });
    await connection.close();
    expect((await stack.as(users.carol).post(`/tickets/${t.id}/approve`, {})).status).toBe(200);
    // The second step lost its only approver before it opened: it escalates as it opens.
    expect((await stack.as(users.dave).post(`/tickets/${t.id}/approve`, {})).body.status).toBe('approved');
    const log = (await a.get(`/tickets/${t.id}`)).body.log.map((e: { event: string }) => e.event);
    expect(log.slice(0, 5)).toEqual(['created', 'approver_removed', 'approved', 'escalated', 'approved']);
    await save('19-approver-removed-escalated', t.id);
  }, 60_000);

  test('approved at create by the access policies (input autoApproval)', async () => {
    const app = await createApp(stack, { policy: { reraiseWindowSeconds: 1 } });
    const doc = `replay-${app}`;
    await stack.as(users.root).put(`/policies/${doc}`, {
      cedar: `permit (principal, action == Gatehouse::Action::"Request", resource);
@advice("replay")
permit (principal, action == Gatehouse::Action::"AutoApprove", resource in Gatehouse::App::"${app}");`,
    });
    const t = (await stack.as(users.alice).post('/tickets', body(app))).body;
    await waitState(t.id, 'expired');
    await stack.as(users.root).put(`/policies/${doc}`, { cedar: '' });
    const log = (await stack.as(users.alice).get(`/tickets/${t.id}`)).body.log.map((e: { event: string }) => e.event);
    expect(log.slice(0, 2)).toEqual(['created', 'auto_approved']);
    await save('20-policy-auto-approved', t.id);
  }, 60_000);

  test('break-glass: granted at create, review escalated, then confirmed (patch break-glass)', async () => {
    const app = await createApp(stack, {
      policy: { reraiseWindowSeconds: 1, breakGlass: { maxSeconds: 3600, reviewWithinSeconds: 1 } },
    });
    const doc = `replay-bg-${app}`;
    await stack.as(users.root).put(`/policies/${doc}`, {
      cedar: `permit (principal, action == Gatehouse::Action::"Request", resource);
permit (principal in Gatehouse::Group::"engineering", action == Gatehouse::Action::"BreakGlass", resource in Gatehouse::App::"${app}");`,
    });
    const t = (await stack.as(users.alice).post('/tickets', body(app, { breakGlass: true }))).body;
    await stack.as(users.root).put(`/policies/${doc}`, { cedar: '' });
    await eventually(
      async () => (await stack.as(users.alice).get(`/tickets/${t.id}`)).body.review?.escalated === true,
      15_000,
      'review escalated',
    );
    expect((await stack.as(users.carol).post(`/tickets/${t.id}/review`, { decision: 'confirm' })).status).toBe(200);
    await waitState(t.id, 'expired');
    const log = (await stack.as(users.alice).get(`/tickets/${t.id}`)).body.log.map((e: { event: string }) => e.event);
    expect(log).toEqual(
      expect.arrayContaining(['break_glass', 'granted', 'break_glass_escalated', 'break_glass_confirmed']),
    );
    await save('22-break-glass-escalated-confirmed', t.id);
  }, 60_000);

  test('a licensed entitlement approved at create takes its seat, or is rejected without one (patch seats-at-create)', async () => {
    const app = await createApp(stack, {
      entitlements: [{ id: 'engineering-team', kind: 'group', name: 'engineering-team', licenseId: 'seat' }],
      licenses: [{ id: 'seat', name: 'Seat', seats: 1 }],
      policy: { reraiseWindowSeconds: 1, approval: { steps: [] } },
    });
    const held = (await stack.as(users.alice).post('/tickets', body(app))).body;
    const refused = (await stack.as(users.bob).post('/tickets', body(app))).body;
    await waitState(held.id, 'expired');
    const log = async (id: string) =>
      (await stack.as(users.root).get(`/tickets/${id}`)).body.log.map((e: { event: string }) => e.event);
    expect(await log(held.id)).toEqual(expect.arrayContaining(['created', 'approved', 'granted', 'expired']));
    expect(await log(refused.id)).toEqual(['created', 'rejected']);
    await save('27-seat-at-create-expired', held.id);
    await save('28-seat-at-create-rejected', refused.id);
  }, 60_000);

  test('a relative duration counted from the grant (patch relative-duration)', async () => {
    const app = await createApp(stack, { policy: { reraiseWindowSeconds: 1 } });
    const t = (await stack.as(users.alice).post('/tickets', body(app, { duration: { type: 'relative', seconds: 2 } })))
      .body;
    // Approved later than the access lasts: its end still counts from the grant.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await stack.as(users.carol).post(`/tickets/${t.id}/approve`, {});
    await waitState(t.id, 'expired');
    const { access } = (await stack.as(users.alice).get(`/tickets/${t.id}`)).body;
    expect(Date.parse(access.end) - Date.parse(access.start)).toBe(2000);
    await save('21-relative-duration', t.id);
  }, 60_000);
});
