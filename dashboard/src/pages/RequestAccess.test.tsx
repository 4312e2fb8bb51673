import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { alice, fakeApi, SignedIn, type Call } from '../test/fakeApi';
import { toLocalInput } from '../time';
import { RequestAccess } from './RequestAccess';

afterEach(cleanup);

const apps = [
  {
    id: 'github',
    name: 'GitHub',
    connectorType: 'demo',
    hasAccess: true,
    policy: { maxDurationSeconds: 86400, requireReason: true },
  },
  { id: 'slack', name: 'Slack', connectorType: 'demo', hasAccess: false, policy: {} },
];
const entitlements = [
  {
    id: 'engineering-team',
    kind: 'group',
    name: 'engineering-team',
    description: 'All engineers',
    fields: [],
    membership: { hasAccess: true, ticketId: 'TCK-1', end: null },
  },
  {
    id: 'maintainer',
    kind: 'role',
    name: 'Maintainer',
    fields: [],
    membership: { hasAccess: false, ticketId: null, end: null },
  },
  {
    id: 'prod-deploy',
    kind: 'permission',
    name: 'Production deploy',
    fields: [{ key: 'jira', label: 'Jira ticket', type: 'string', required: true, pattern: '^[A-Z]+-[0-9]+$' }],
    membership: { hasAccess: false, ticketId: null, end: null },
  },
];

/** The gateway's validate, reduced to the two rules these tests need. */
function validate(call: Call) {
  const body = call.body as { duration?: { end: string }; changes: { fields?: Record<string, string> }[] };
  const flags = [];
  if (body.duration && Date.parse(body.duration.end) - Date.now() > 86400_000) {
    flags.push({
      code: 'MAX_DURATION_EXCEEDED',
      message: 'Access may last at most 1d; this asks for 3d.',
      field: 'duration.end',
    });
  }
  body.changes.forEach((c, i) => {
    if (c.fields && !c.fields.jira)
      flags.push({
        code: 'FIELD_REQUIRED',
        message: 'Jira ticket is required for Production deploy.',
        field: `changes[${i}].fields.jira`,
      });
  });
  return { body: { ok: flags.length === 0, flags } };
}

function setup() {
  const fake = fakeApi((call) => {
    if (call.path.startsWith('/apps?') || call.path === '/apps') return { body: apps };
    if (call.path.startsWith('/apps/github/entitlements')) return { body: entitlements };
    if (call.path === '/tickets/validate') return validate(call);
    return undefined;
  });
  render(
    <SignedIn api={fake.api} me={alice}>
      <RequestAccess />
    </SignedIn>,
  );
  return fake;
}

const inHours = (h: number) => toLocalInput(new Date(Date.now() + h * 3600_000).toISOString());

describe('Request Access', () => {
  it('shows the "Has access" badge on applications and on current memberships, with a Modify option', async () => {
    setup();
    const github = await screen.findByRole('radio', { name: /GitHub/ });
    expect(github.closest('label')!.textContent).toContain('Has access');
    expect(screen.getByRole('radio', { name: /Slack/ }).closest('label')!.textContent).not.toContain('Has access');
    fireEvent.click(github);
    const modify = await screen.findByRole('button', { name: 'Modify engineering-team' });
    expect(modify.closest('li')!.textContent).toContain('Has access');
    fireEvent.click(modify);
    expect(modify.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByText(/will be removed when this ticket is approved/)).toBeTruthy();
  });

  it('flags a duration over the policy maximum next to the end picker before submitting, and clears it once fixed', async () => {
    const { calls } = setup();
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Maintainer' }));
    expect(screen.getByText('GitHub grants access for at most 1 day.')).toBeTruthy();

    const end = screen.getByLabelText('End');
    fireEvent.change(end, { target: { value: inHours(72) } });
    const flag = await screen.findByText(/Longer than this application allows/, {}, { timeout: 3000 });
    // Next to its field: inside the End field's wrapper, and announced through aria-describedby.
    expect(end.closest('.field')!.contains(flag)).toBe(true);
    expect(end.getAttribute('aria-invalid')).toBe('true');
    expect(end.getAttribute('aria-describedby')).toBe(flag.closest('.flag')!.id);
    expect(calls.some((c) => c.path === '/tickets/validate')).toBe(true);
    expect(calls.some((c) => c.path === '/tickets')).toBe(false);

    fireEvent.change(end, { target: { value: inHours(12) } });
    await waitFor(() => expect(screen.queryByText(/Longer than this application allows/)).toBeNull(), {
      timeout: 3000,
    });
    expect(end.getAttribute('aria-invalid')).toBe('false');
  });

  it('asks for the extra fields of an entitlement in a side panel and shows their flags once touched', async () => {
    setup();
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Production deploy' }));
    const panel = screen.getByRole('complementary', { name: 'Details the chosen access needs' });
    const jira = within(panel).getByLabelText('Jira ticket (required)');
    fireEvent.change(screen.getByLabelText('End'), { target: { value: inHours(2) } });
    // Not shouted at before the person got there…
    await new Promise((r) => setTimeout(r, 700));
    expect(within(panel).queryByText(/This field is required/)).toBeNull();
    // …but shown next to the field after leaving it empty.
    fireEvent.blur(jira);
    expect(await within(panel).findByText(/This field is required/)).toBeTruthy();
  });

  it('on Create Ticket without an end, says what is missing next to the end picker', async () => {
    const { calls } = setup();
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Maintainer' }));
    fireEvent.click(screen.getByRole('button', { name: 'Create Ticket' }));
    const end = screen.getByLabelText('End');
    expect(within(end.closest('.field') as HTMLElement).getByText('Choose when the access should end.')).toBeTruthy();
    expect(calls.some((c) => c.path === '/tickets')).toBe(false);
  });
});

/** Like setup(), with some answers replaced. */
function setupWith(route: (call: Call) => { status?: number; body: unknown } | undefined) {
  const fake = fakeApi((call) => {
    const answer = route(call);
    if (answer) return answer;
    if (call.path.startsWith('/apps?') || call.path === '/apps') return { body: apps };
    if (call.path.startsWith('/apps/github/entitlements')) return { body: entitlements };
    if (call.path === '/tickets/validate') return validate(call);
    return undefined;
  });
  render(
    <SignedIn api={fake.api} me={alice}>
      <RequestAccess />
    </SignedIn>,
  );
  return fake;
}

const created = { id: 'TCK-9' };

describe('Request Access under access policies', () => {
  it('with nothing the person may request, says so instead of an empty list', async () => {
    setupWith((c) => (c.path === '/apps' ? { body: [] } : undefined));
    expect(await screen.findByText(/There is nothing you may request right now/)).toBeTruthy();
    expect(screen.getByText(/Ask your Gatehouse admins/)).toBeTruthy();
    expect(screen.queryByText(/No applications are set up yet/)).toBeNull();
  });

  it('an app with no entitlement left to request says so (not "nothing matches")', async () => {
    setupWith((c) => (c.path.startsWith('/apps/github/entitlements') ? { body: [] } : undefined));
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    expect(await screen.findByText('There is nothing in GitHub you may request.')).toBeTruthy();
  });

  it('announces an auto-approval before submitting, only for the body it was answered for', async () => {
    setupWith((c) =>
      c.path === '/tickets/validate'
        ? {
            body: {
              ok: true,
              flags: [],
              autoApproval: { reason: 'auto-approved by sre-baseline: on-call SREs', policies: [] },
            },
          }
        : undefined,
    );
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Maintainer' }));
    fireEvent.change(screen.getByLabelText('End'), { target: { value: inHours(2) } });
    const notice = await screen.findByText(/will be approved automatically/, {}, { timeout: 3000 });
    expect(notice.closest('[role="status"]')!.textContent).toContain('auto-approved by sre-baseline: on-call SREs');
    // An edit hides it until the next answer.
    fireEvent.change(screen.getByLabelText('End'), { target: { value: inHours(3) } });
    expect(screen.queryByText(/will be approved automatically/)).toBeNull();
    expect(await screen.findByText(/will be approved automatically/, {}, { timeout: 3000 })).toBeTruthy();
  });

  it('a 403 NOT_ELIGIBLE on create is said plainly, its flag next to the access it names', async () => {
    const flag = {
      code: 'NOT_ELIGIBLE',
      field: 'changes[0].entitlementId',
      message: 'Maintainer: forbidden by contractors: no admin roles for contractors',
    };
    setupWith((c) =>
      c.path === '/tickets' && c.method === 'POST'
        ? { status: 403, body: { statusCode: 403, code: 'NOT_ELIGIBLE', message: 'not eligible', flags: [flag] } }
        : undefined,
    );
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Maintainer' }));
    fireEvent.change(screen.getByLabelText('End'), { target: { value: inHours(2) } });
    fireEvent.change(screen.getByLabelText(/Reason/), { target: { value: 'release' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create Ticket' }));
    expect(await screen.findByText(/do not let you request the marked access/)).toBeTruthy();
    const next = await screen.findByText(/no admin roles for contractors/);
    expect(next.closest('li')!.textContent).toContain('Maintainer');
  });

  it('asks for hours from approval, says how long it lasts, and sends a relative duration', async () => {
    const { calls } = setupWith((c) =>
      c.path === '/tickets' && c.method === 'POST' ? { status: 201, body: created } : undefined,
    );
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Maintainer' }));
    fireEvent.click(screen.getByRole('radio', { name: 'For N hours from approval' }));
    fireEvent.change(screen.getByLabelText('Hours from approval'), { target: { value: '8' } });
    expect(screen.getByText(/The access lasts 8 hours from approval/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/Reason/), { target: { value: 'release' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create Ticket' }));
    await waitFor(() => expect(calls.some((c) => c.path === '/tickets' && c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.path === '/tickets')!.body).toMatchObject({
      duration: { type: 'relative', seconds: 28800 },
    });
  });

  it('break glass warns clearly, needs a reason, and sends breakGlass: true', async () => {
    const { calls } = setupWith((c) =>
      c.path === '/tickets' && c.method === 'POST' ? { status: 201, body: created } : undefined,
    );
    fireEvent.click(await screen.findByRole('radio', { name: /GitHub/ }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Maintainer' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Break glass (emergency)' }));
    expect(screen.getByRole('alert').textContent).toMatch(/granted at once, without approval/);
    const submit = screen.getByRole('button', { name: 'Break glass: get access now' });
    fireEvent.click(submit);
    expect(await screen.findByText(/Breaking glass needs a reason/)).toBeTruthy();
    expect(calls.some((c) => c.path === '/tickets')).toBe(false);

    fireEvent.change(screen.getByLabelText(/Reason \(required\)/), { target: { value: 'prod is down' } });
    fireEvent.click(submit);
    await waitFor(() => expect(calls.some((c) => c.path === '/tickets' && c.method === 'POST')).toBe(true));
    const body = calls.find((c) => c.path === '/tickets')!.body as Record<string, unknown>;
    expect(body).toMatchObject({ breakGlass: true, reason: 'prod is down' });
    expect(body.duration).toBeUndefined();
  });
});
