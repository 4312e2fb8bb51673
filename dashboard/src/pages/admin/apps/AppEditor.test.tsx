import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminApp, AppBody } from '../../../api/admin-apps';
import { fakeApi, SignedIn, type Call } from '../../../test/fakeApi';
import { AppEditor } from './AppEditor';

afterEach(cleanup);

const root = { id: 'root', name: 'Root', email: null, roles: ['admin'], groups: [] };
const WAIT = { timeout: 3000 };

function stored(): AdminApp {
  return {
    id: 'gh',
    revision: 3,
    name: 'GitHub',
    connector: { type: 'demo', config: {} },
    licenses: [],
    entitlements: [
      { id: 'platform', kind: 'group', name: 'Platform team' },
      { id: 'admin', kind: 'role', name: 'Org admin', policy: { maxDurationSeconds: 3600 } },
    ],
    policy: {
      requireReason: true,
      maxDurationSeconds: 8 * 3600,
      approval: { steps: [{ name: 'Team lead', approvers: ['group:leads'], minApprovals: 1 }] },
    },
  };
}

/** The two limits of the API's validation these tests need, worded as the gateway words them. */
function problemsOf(body: AppBody): string[] {
  const policies: [string, Partial<AppBody['policy']> | undefined][] = [
    ['policy', body.policy],
    ...body.entitlements.map((e, i): [string, Partial<AppBody['policy']> | undefined] => [
      `entitlements[${i}].policy`,
      e.policy,
    ]),
  ];
  return policies.flatMap(([path, p]) => [
    ...((p?.breakGlass?.maxSeconds ?? 60) < 60 ? [`${path}.breakGlass.maxSeconds must not be less than 60`] : []),
    ...(p?.onCall?.schedules.some((s) => !/^[A-Za-z0-9]+$/.test(s))
      ? [`${path}.onCall.schedules: each value in schedules must match /^[A-Za-z0-9]{1,64}$/ regular expression`]
      : []),
  ]);
}

function setup() {
  const fake = fakeApi((call: Call) => {
    if (call.method === 'GET' && call.path === '/apps/gh') return { body: stored() };
    if (call.path === '/apps/gh/licenses') return { body: [] };
    const body = call.body as AppBody;
    const problems = call.method === 'GET' ? [] : problemsOf(body);
    if (problems.length)
      return { status: 400, body: { statusCode: 400, code: 'VALIDATION_FAILED', message: problems.join('; ') } };
    if (call.path === '/apps/gh/impact')
      return {
        body: { appId: 'gh', exists: true, steps: [], openTickets: { count: 0, ids: [] }, summary: ['changes it'] },
      };
    if (call.method === 'PUT' && call.path === '/apps/gh') return { body: { ...body, id: 'gh', revision: 4 } };
    return undefined;
  });
  render(
    <SignedIn api={fake.api} me={root}>
      <AppEditor appId="gh" />
    </SignedIn>,
  );
  return fake;
}

/** Saves once the preview of what is on screen is in, and answers the body the PUT sent. */
async function save(calls: Call[]): Promise<AppBody> {
  const button = screen.getByRole('button', { name: 'Save changes' });
  await waitFor(() => expect(button.hasAttribute('disabled')).toBe(false), WAIT);
  fireEvent.click(button);
  await screen.findByText(/^Saved: .* is at revision 4\.$/, {}, WAIT);
  return calls.filter((c) => c.method === 'PUT').at(-1)!.body as AppBody;
}

const type = (input: HTMLElement, value: string) => fireEvent.change(input, { target: { value } });
/** The app's own policy (an entitlement's has fields of the same names). */
const appPolicy = async () => within(await screen.findByRole('region', { name: 'Policy' }));

describe('the app editor: break-glass and on-call', () => {
  it('shows the API refusing a too short break-glass access next to its field, and saves the fixed limits', async () => {
    const { calls } = setup();
    const policy = await appPolicy();
    const max = policy.getByLabelText('Longest break-glass access (hours)');
    type(max, '0.01'); // 36 seconds: under the API's minute
    const problem = await policy.findByText(/^must not be less than 60$/, {}, WAIT);
    expect(max.closest('.field')!.contains(problem)).toBe(true);
    expect(max.getAttribute('aria-invalid')).toBe('true');
    expect(max.getAttribute('aria-describedby')).toContain(problem.closest('.flag')!.id);
    expect(screen.getByRole('button', { name: 'Save changes' }).hasAttribute('disabled')).toBe(true);

    type(max, '2');
    type(policy.getByLabelText('Review within (hours)'), '0.5');
    await waitFor(() => expect(screen.queryByText(/must not be less than 60/)).toBeNull(), WAIT);
    const body = await save(calls);
    expect(body.policy.breakGlass).toEqual({ maxSeconds: 7200, reviewWithinSeconds: 1800 });
    expect(body.policy.maxDurationSeconds).toBe(8 * 3600); // the rest as loaded
  });

  it('leaves break-glass out of the body when both its fields are emptied', async () => {
    const { calls } = setup();
    const policy = await appPolicy();
    const max = policy.getByLabelText('Longest break-glass access (hours)');
    type(max, '1');
    type(max, '');
    type(policy.getByLabelText('Pending timeout (hours)'), '48'); // a change, so there is something to save
    const body = await save(calls);
    expect(body.policy).not.toHaveProperty('breakGlass');
    expect(body.policy.pendingTimeoutSeconds).toBe(48 * 3600);
  });

  it('sets on-call schedules: Enter adds one, a malformed id is refused in place, off leaves onCall out', async () => {
    const { calls } = setup();
    const policy = await appPolicy();
    const own = policy.getByLabelText('Own PagerDuty schedules');
    expect(policy.getByText(/Off: the gateway's PAGERDUTY_SCHEDULES entry/)).toBeTruthy();
    fireEvent.click(own);
    const box = policy.getByLabelText('PagerDuty schedule ids');
    type(box, 'PABC123');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(policy.getByRole('button', { name: 'Remove PABC123' })).toBeTruthy();
    type(box, 'not an id');
    fireEvent.keyDown(box, { key: 'Enter' });
    const refusal = policy.getByText(/"not an id" is not a PagerDuty schedule id/);
    expect(box.closest('.field')!.contains(refusal)).toBe(true);
    expect((box as HTMLInputElement).value).toBe('not an id');
    expect((await save(calls)).policy.onCall).toEqual({ schedules: ['PABC123'] });

    fireEvent.click(own);
    expect(policy.queryByLabelText('PagerDuty schedule ids')).toBeNull();
    expect(await save(calls)).not.toHaveProperty('policy.onCall');
  });

  it('an empty on-call list is kept as "nobody", not dropped', async () => {
    const { calls } = setup();
    fireEvent.click((await appPolicy()).getByLabelText('Own PagerDuty schedules'));
    expect((await save(calls)).policy.onCall).toEqual({ schedules: [] });
  });
});

describe('the app editor: an entitlement’s own policy', () => {
  it('opens an entitlement that has one, and keeps it as loaded', async () => {
    const { calls } = setup();
    const group = await screen.findByRole('group', { name: 'Policy of entitlement 2' });
    expect(screen.queryByRole('group', { name: 'Policy of entitlement 1' })).toBeNull();
    expect(screen.getByText("Policy of its own: none, the app's applies")).toBeTruthy();
    expect(screen.getByText('Policy of its own: maximum duration')).toBeTruthy();
    expect((within(group).getByLabelText('Maximum duration (hours)') as HTMLInputElement).value).toBe('1');
    // What an empty setting inherits is the app's, said next to it.
    expect(within(group).getByText("Empty: the app's (8 hours).")).toBeTruthy();
    type(screen.getByLabelText('Name'), 'GitHub org');
    const body = await save(calls);
    expect(body.entitlements[1].policy).toEqual({ maxDurationSeconds: 3600 });
    expect(body.entitlements[0]).not.toHaveProperty('policy');
  });

  it('sets break-glass, on-call and steps for one entitlement, with the API’s refusal shown inside it', async () => {
    const { calls } = setup();
    fireEvent.click(await screen.findByText("Policy of its own: none, the app's applies"));
    const group = await screen.findByRole('group', { name: 'Policy of entitlement 1' });
    const max = within(group).getByLabelText('Longest break-glass access (hours)');
    type(max, '0.001');
    const problem = await within(group).findByText(/must not be less than 60/, {}, WAIT);
    expect(max.closest('.field')!.contains(problem)).toBe(true);
    // The app's own field is not blamed.
    const appMax = screen.getAllByLabelText('Longest break-glass access (hours)').find((el) => !group.contains(el))!;
    expect(appMax.getAttribute('aria-invalid')).toBe('false');
    // The impact preview was asked about exactly this entitlement policy.
    const asked = calls.filter((c) => c.path === '/apps/gh/impact').at(-1)!.body as AppBody;
    expect(asked.entitlements[0].policy).toEqual({ breakGlass: { maxSeconds: 4 } });

    type(max, '0.5');
    fireEvent.click(within(group).getByLabelText('Own PagerDuty schedules'));
    const box = within(group).getByLabelText('PagerDuty schedule ids');
    type(box, 'PDEF456');
    fireEvent.keyDown(box, { key: 'Enter' });
    fireEvent.change(within(group).getByLabelText('Reason'), { target: { value: 'no' } });
    fireEvent.click(within(group).getByLabelText('Own approval steps'));
    // Own steps start as the app's, here edited into another approver.
    const approvers = within(group).getByLabelText('Approvers of step 1', { exact: true });
    fireEvent.click(within(group).getByRole('button', { name: 'Remove group:leads' }));
    type(approvers, 'group:security');
    fireEvent.keyDown(approvers, { key: 'Enter' });
    const body = await save(calls);
    expect(body.entitlements[0].policy).toEqual({
      breakGlass: { maxSeconds: 1800 },
      onCall: { schedules: ['PDEF456'] },
      requireReason: false,
      approval: { steps: [{ name: 'Team lead', approvers: ['group:security'], minApprovals: 1 }] },
    });
    expect(body.policy.approval.steps[0].approvers).toEqual(['group:leads']); // the app's untouched
  });

  it('emptying every setting of an entitlement’s policy removes it', async () => {
    const { calls } = setup();
    const group = await screen.findByRole('group', { name: 'Policy of entitlement 2' });
    type(within(group).getByLabelText('Maximum duration (hours)'), '');
    await waitFor(() => expect(screen.getAllByText("Policy of its own: none, the app's applies")).toHaveLength(2));
    expect((await save(calls)).entitlements[1]).not.toHaveProperty('policy');
  });
});
