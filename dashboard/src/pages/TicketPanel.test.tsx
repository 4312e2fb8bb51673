import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ticket } from '../api/types';
import { alice, carol, fakeApi, SignedIn } from '../test/fakeApi';
import { toLocalInput } from '../time';
import { TicketPanel } from './TicketPanel';

afterEach(cleanup);

const ticket = (over: Partial<Ticket> = {}): Ticket => ({
  id: 'TCK-1042',
  type: 'request',
  action: 'modify',
  status: 'pending',
  requester: { id: 'alice', name: 'Alice' },
  beneficiary: { id: 'alice', name: 'Alice' },
  app: { id: 'github', name: 'GitHub' },
  changes: [
    { op: 'remove', entitlement: { id: 'maintainer', name: 'Maintainer', kind: 'role' } },
    { op: 'add', entitlement: { id: 'engineering-team', name: 'engineering-team', kind: 'group' }, fields: {} },
  ],
  licenses: [{ id: 'gh-seat', name: 'GitHub seat', seats: 10, used: 7, available: 3 }],
  duration: {
    type: 'limited',
    start: new Date(Date.now() - 60_000).toISOString(),
    end: new Date(Date.now() + 20 * 3600_000).toISOString(),
  },
  reason: 'On-call rotation',
  approval: {
    currentStep: 0,
    awaiting: ['user:carol', 'group:it-admins'],
    steps: [{ name: 'Team lead', minApprovals: 1, state: 'waiting', approvedBy: [] }],
  },
  access: { state: 'pending', start: null, end: null, grantedAt: null, revokedAt: null, error: null },
  log: [{ at: new Date().toISOString(), actor: 'alice', event: 'created', comment: 'On-call rotation', details: {} }],
  parentTicketId: null,
  childTicketIds: [],
  createdAt: new Date().toISOString(),
  resolvedAt: null,
  resolvedInSeconds: null,
  workflow: {
    workflowId: 'TCK-1042',
    runId: 'r',
    uiUrl: 'http://localhost:8233/namespaces/default/workflows/TCK-1042',
  },
  ...over,
});

describe('the ticket panel', () => {
  it('shows changes, licenses, the log and the Temporal link; the requester gets no Approve button', async () => {
    const { api } = fakeApi((c) => (c.path === '/tickets/TCK-1042' ? { body: ticket() } : undefined));
    render(
      <SignedIn api={api} me={alice}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    await screen.findByRole('heading', { level: 1, name: /TCK-1042/ });
    expect(screen.getByText(/Removed:/).closest('li')!.textContent).toContain('Maintainer');
    expect(screen.getByText(/Added:/).closest('li')!.textContent).toContain('engineering-team');
    expect(screen.getByText(/7 of 10 seats used, 3 available/)).toBeTruthy();
    expect(screen.getByRole('link', { name: /Temporal UI/ }).getAttribute('href')).toBe(
      'http://localhost:8233/namespaces/default/workflows/TCK-1042',
    );
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Cancel ticket' })).toBeTruthy();
  });

  it('names the notification events of the log: reminder, escalation, expiry notice', async () => {
    const at = new Date().toISOString();
    const log = [
      { at, actor: 'alice', event: 'created', comment: null, details: {} },
      { at, actor: 'system', event: 'reminder_sent', comment: null, details: { step: 0 } },
      { at, actor: 'system', event: 'escalated', comment: null, details: { step: 0, to: ['group:it-admins'] } },
      { at, actor: 'system', event: 'expiring_soon', comment: null, details: {} },
    ];
    const { api } = fakeApi((c) =>
      c.path === '/tickets/TCK-1042' ? { body: ticket({ log: log as Ticket['log'] }) } : undefined,
    );
    render(
      <SignedIn api={api} me={alice}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    await screen.findByRole('heading', { level: 1, name: /TCK-1042/ });
    for (const label of ['Approvers reminded', 'Escalated', 'Expiry notice sent'])
      expect(screen.getByText(label)).toBeTruthy();
  });

  it('lets an approver approve with a modified duration, after confirming, and shows a policy flag next to the end', async () => {
    const { api, calls } = fakeApi((c) => {
      if (c.path === '/tickets/TCK-1042') return { body: ticket() };
      if (c.path === '/tickets/TCK-1042/approve') {
        const end = Date.parse((c.body as { duration: { end: string } }).duration.end);
        if (end - Date.now() > 86400_000) {
          return {
            status: 422,
            body: {
              statusCode: 422,
              code: 'POLICY_VIOLATION',
              message: 'too long',
              flags: [
                {
                  code: 'MAX_DURATION_EXCEEDED',
                  message: 'Access may last at most 1d; this asks for 2d.',
                  field: 'duration.end',
                },
              ],
            },
          };
        }
        return {
          body: ticket({ status: 'approved', resolvedInSeconds: 60, access: { ...ticket().access, state: 'active' } }),
        };
      }
      return undefined;
    });
    render(
      <SignedIn api={api} me={carol}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    const dialog = screen.getByRole('dialog', { name: 'Approve TCK-1042' });
    expect(within(dialog).getByText('Are you sure you want to approve this request?')).toBeTruthy();
    expect(within(dialog).getByRole('button', { name: 'Yes, approve ticket as is' })).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Modify duration before approving' }));

    const end = within(dialog).getByLabelText('End');
    fireEvent.change(end, { target: { value: toLocalInput(new Date(Date.now() + 48 * 3600_000).toISOString()) } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve with modified duration' }));
    const flag = await within(dialog).findByText(/Longer than this application allows/, { selector: '.flag p' });
    expect(end.closest('.field')!.contains(flag)).toBe(true);

    fireEvent.change(end, { target: { value: toLocalInput(new Date(Date.now() + 6 * 3600_000).toISOString()) } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve with modified duration' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByText('You approved this ticket.')).toBeTruthy();
    const approve = calls.filter((c) => c.path === '/tickets/TCK-1042/approve').pop()!;
    expect((approve.body as { duration: { type: string } }).duration.type).toBe('limited');
  });

  it('explains politely when the gateway has no extend endpoint yet', async () => {
    const active = ticket({
      status: 'approved',
      action: 'add',
      access: {
        state: 'active',
        start: null,
        end: new Date(Date.now() + 3600_000).toISOString(),
        grantedAt: null,
        revokedAt: null,
        error: null,
      },
    });
    const { api } = fakeApi((c) =>
      c.path === '/tickets/TCK-1042'
        ? { body: active }
        : c.path === '/tickets/TCK-1042/extend'
          ? {
              status: 404,
              body: { statusCode: 404, code: 'NOT_FOUND', message: 'Cannot POST /tickets/TCK-1042/extend' },
            }
          : undefined,
    );
    render(
      <SignedIn api={api} me={alice}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Extend' }));
    const dialog = screen.getByRole('dialog', { name: 'Extend TCK-1042' });
    fireEvent.change(within(dialog).getByLabelText('New end'), {
      target: { value: toLocalInput(new Date(Date.now() + 5 * 3600_000).toISOString()) },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Request extension' }));
    expect(await within(dialog).findByText(/does not offer extending access yet/)).toBeTruthy();
  });

  const active = (over: Partial<Ticket> = {}) =>
    ticket({
      status: 'approved',
      action: 'add',
      changes: [ticket().changes[1]],
      access: {
        state: 'active',
        start: new Date().toISOString(),
        end: new Date(Date.now() + 3600_000).toISOString(),
        grantedAt: new Date().toISOString(),
        revokedAt: null,
        error: null,
      },
      ...over,
    });

  it('the beneficiary ends their access after confirming; nobody else gets the button', async () => {
    const ended = active({ access: { ...active().access, state: 'revoked', revokedAt: new Date().toISOString() } });
    const { api, calls } = fakeApi((c) =>
      c.path === '/tickets/TCK-1042'
        ? { body: active() }
        : c.path === '/tickets/TCK-1042/relinquish'
          ? { body: ended }
          : undefined,
    );
    render(
      <SignedIn api={api} me={alice}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'End my access' }));
    const dialog = screen.getByRole('dialog', { name: 'End your access to GitHub?' });
    expect(within(dialog).getByText(/engineering-team will be removed now/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(calls.some((c) => c.path.endsWith('/relinquish'))).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'End my access' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, end my access' }));
    await screen.findByText('Your access has ended.');
    expect(calls.filter((c) => c.path === '/tickets/TCK-1042/relinquish')).toEqual([
      { method: 'POST', path: '/tickets/TCK-1042/relinquish', body: {} },
    ]);
    expect(screen.queryByRole('button', { name: 'End my access' })).toBeNull();
    cleanup();

    const other = fakeApi((c) => (c.path === '/tickets/TCK-1042' ? { body: active() } : undefined));
    render(
      <SignedIn api={other.api} me={carol}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    await screen.findByRole('heading', { level: 1, name: /TCK-1042/ });
    expect(screen.queryByRole('button', { name: 'End my access' })).toBeNull();
  });

  it('a break-glass ticket is marked in words, and a reviewer confirms it with the due time in view', async () => {
    const dueAt = new Date(Date.now() + 4 * 3600_000).toISOString();
    const glass = active({ breakGlass: true, review: { state: 'pending', dueAt, escalated: false } });
    const { api, calls } = fakeApi((c) =>
      c.path === '/tickets/TCK-1042'
        ? { body: glass }
        : c.path === '/tickets/TCK-1042/review'
          ? { body: { ...glass, review: { state: 'confirmed', dueAt, escalated: false, by: 'carol' } } }
          : undefined,
    );
    render(
      <SignedIn api={api} me={carol}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    const heading = await screen.findByRole('heading', { level: 1, name: /TCK-1042/ });
    expect(heading.textContent).toContain('Break glass (emergency access)');
    expect(screen.getByText(/^Waiting for review, due by /)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Confirm access' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, confirm access' }));
    await screen.findByText('Confirmed by carol');
    expect(calls.find((c) => c.path === '/tickets/TCK-1042/review')!.body).toEqual({ decision: 'confirm' });
    expect(screen.queryByRole('button', { name: 'Confirm access' })).toBeNull();
  });

  it('the beneficiary of break-glass access cannot review it', async () => {
    const dueAt = new Date(Date.now() + 4 * 3600_000).toISOString();
    const glass = active({ breakGlass: true, review: { state: 'pending', dueAt, escalated: false } });
    const { api } = fakeApi((c) => (c.path === '/tickets/TCK-1042' ? { body: glass } : undefined));
    render(
      <SignedIn api={api} me={alice}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    await screen.findByText(/^Waiting for review/);
    expect(screen.queryByRole('button', { name: 'Confirm access' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Revoke access' })).toBeNull();
  });

  it('a relative duration reads "from approval" before the approval', async () => {
    const { api } = fakeApi((c) =>
      c.path === '/tickets/TCK-1042'
        ? { body: ticket({ action: 'add', duration: { type: 'relative', seconds: 8 * 3600 } }) }
        : undefined,
    );
    render(
      <SignedIn api={api} me={alice}>
        <TicketPanel id="TCK-1042" />
      </SignedIn>,
    );
    expect(await screen.findByText('8 hours from approval')).toBeTruthy();
    expect(screen.getByText('8 hours after approval')).toBeTruthy();
  });
});
