/**
 * Reminders and escalation through the API: the policy fields are validated, an escalated step is found
 * and decided by its fallback approvers with every rule still enforced, and the directory that approver
 * rules resolve against is kept with PUT /users/:id.
 */
import { appBody, createApp, startTestStack, users, type TestStack } from '../support/stack';
import { eventually, uniqueId } from '../support/harness';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const step = (extra: Record<string, unknown>) => ({
  name: 'Lead',
  approvers: ['user:carol'],
  minApprovals: 1,
  ...extra,
});
const withSteps = (...steps: Record<string, unknown>[]) => appBody({ policy: { approval: { steps: steps as never } } });

describe('policy', () => {
  test.each([
    ['escalation without fallback approvers', step({ escalateAfterSeconds: 60 }), 'escalateTo'],
    ['fallback approvers without a delay', step({ escalateTo: ['group:it-admins'] }), 'escalateAfterSeconds'],
    [
      'a reminder after the escalation',
      step({ remindAfterSeconds: 120, escalateAfterSeconds: 60, escalateTo: ['group:it-admins'] }),
      'remindAfterSeconds',
    ],
    ['a malformed fallback rule', step({ escalateAfterSeconds: 60, escalateTo: ['it-admins'] }), 'escalateTo'],
    ['a zero delay', step({ remindAfterSeconds: 0 }), 'remindAfterSeconds'],
  ])('%s is refused with 400 naming the field', async (_what, s, field) => {
    const res = await stack.as(users.root).put(`/apps/${uniqueId('app-')}`, withSteps(s));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((res.body as { message: string }).message).toContain(field);
  });

  test('reminder, escalation and expiry notice settings are stored and served with the app', async () => {
    const id = uniqueId('app-');
    const body = appBody({
      policy: {
        expiryNoticeSeconds: 7200,
        approval: {
          steps: [step({ remindAfterSeconds: 60, escalateAfterSeconds: 120, escalateTo: ['group:it-admins'] })],
        },
      },
    });
    expect((await stack.as(users.root).put(`/apps/${id}`, body)).status).toBe(201);
    const app = (await stack.as(users.alice).get(`/apps/${id}`)).body as any;
    expect(app.policy.expiryNoticeSeconds).toBe(7200);
    expect(app.policy.approval.steps[0]).toEqual(
      step({ remindAfterSeconds: 60, escalateAfterSeconds: 120, escalateTo: ['group:it-admins'] }),
    );
  });
});

describe('an escalated step', () => {
  test('reminds, escalates, and is then visible to and decided by the fallback approvers only', async () => {
    const appId = await createApp(stack, {
      policy: {
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
    const alice = stack.as(users.alice);
    const dave = stack.as(users.dave); // group it-admins
    const t = (
      await alice.post('/tickets', {
        appId,
        changes: [{ op: 'add', entitlementId: 'engineering-team' }],
        duration: { type: 'indefinite' },
        reason: 'on call',
      })
    ).body as any;
    // Before escalation dave cannot see it, nor find it awaiting him.
    expect((await dave.get(`/tickets/${t.id}`)).status).toBe(404);
    const ticket = await eventually(
      async () => {
        const got = (await alice.get(`/tickets/${t.id}`)).body as any;
        return got.log.some((e: any) => e.event === 'escalated') ? got : null;
      },
      15_000,
      'escalation',
    );
    expect(ticket.log.map((e: any) => e.event)).toEqual(['created', 'reminder_sent', 'escalated']);
    expect(ticket.log[2]).toMatchObject({ actor: 'system', details: { step: 0, to: ['group:it-admins'] } });
    expect(ticket.approval.awaiting).toEqual(['user:carol', 'group:it-admins']);
    const awaiting = (await dave.get('/tickets?awaiting=me')).body as any;
    expect(awaiting.items.map((i: any) => i.id)).toContain(t.id);
    // Escalation opens the step to the fallback group, not to anyone else.
    expect((await stack.as(users.mallory).post(`/tickets/${t.id}/approve`, {})).status).toBe(404);
    const approved = await dave.post(`/tickets/${t.id}/approve`, { comment: 'covering for carol' });
    expect(approved.status).toBe(200);
    expect((approved.body as any).status).toBe('approved');
    // Already decided: carol, still an approver of the step, is told so.
    expect((await stack.as(users.carol).post(`/tickets/${t.id}/approve`, {})).body).toMatchObject({
      code: 'TICKET_NOT_PENDING',
    });
  });
});

describe('directory', () => {
  test('PUT /users/:id keeps roles and groups, which GET returns; omitted lists are kept', async () => {
    const root = stack.as(users.root);
    const id = uniqueId('u-');
    const put = await root.put(`/users/${id}`, {
      name: 'Una',
      email: 'Una@Example.com',
      roles: ['auditor'],
      groups: ['it-admins'],
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id, email: 'una@example.com', roles: ['auditor'], groups: ['it-admins'] });
    await root.put(`/users/${id}`, { name: 'Una U.' });
    expect((await root.get(`/users/${id}`)).body).toMatchObject({
      name: 'Una U.',
      roles: ['auditor'],
      groups: ['it-admins'],
    });
    await root.put(`/users/${id}`, { groups: [] });
    expect((await root.get(`/users/${id}`)).body).toMatchObject({ roles: ['auditor'], groups: [] });
    expect((await root.put(`/users/${id}`, { roles: ['bad role'] })).status).toBe(400);
    expect((await stack.as(users.alice).put(`/users/${id}`, { roles: ['admin'] })).status).toBe(403);
  });
});
