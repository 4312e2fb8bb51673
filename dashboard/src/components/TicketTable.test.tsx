import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TicketSummary } from '../api/types';
import { TicketTable } from './TicketTable';

afterEach(cleanup);

const NOW = Date.parse('2026-03-10T12:00:00Z');
const row = (over: Partial<TicketSummary>): TicketSummary => ({
  id: 'TCK-1001',
  status: 'pending',
  requester: { id: 'alice', name: 'Alice' },
  beneficiary: { id: 'alice', name: 'Alice' },
  type: 'request',
  action: 'add',
  app: { id: 'github', name: 'GitHub' },
  comment: 'On-call rotation',
  createdAt: new Date(NOW - 3 * 3600_000).toISOString(),
  resolvedAt: null,
  resolvedInSeconds: null,
  ...over,
});

describe('the tickets table', () => {
  it('shows every column, a relative creation time and the status as icon and text', () => {
    render(<TicketTable items={[row({})]} now={NOW} caption="All tickets" />);
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual([
      'Status',
      'Ticket ID',
      'Requestor',
      'Request Type',
      'Application',
      'Comment',
      'Created',
      'Resolved in',
    ]);
    const cells = within(screen.getAllByRole('row')[1]).getAllByRole('cell');
    expect(cells[0].textContent).toBe('◷Open');
    expect(within(cells[1]).getByRole('link', { name: 'TCK-1001' }).getAttribute('href')).toBe('#/tickets/TCK-1001');
    expect(cells[3].textContent).toBe('Request · add');
    expect(cells[6].textContent).toBe('3 hours ago');
    expect(cells[7].textContent).toBe('—');
  });

  it('writes the time to resolution as "2h 5m" and names the beneficiary when someone else asked', () => {
    render(
      <TicketTable
        items={[
          row({
            status: 'approved',
            resolvedAt: new Date(NOW).toISOString(),
            resolvedInSeconds: 7512,
            beneficiary: { id: 'bob', name: 'Bob' },
            type: 'extend',
            action: 'modify',
          }),
        ]}
        now={NOW}
        caption="Closed tickets"
      />,
    );
    const cells = within(screen.getAllByRole('row')[1]).getAllByRole('cell');
    expect(cells[0].textContent).toBe('✓Approved');
    expect(cells[2].textContent).toBe('Alice for Bob');
    expect(cells[3].textContent).toBe('Extension · modify');
    expect(cells[7].textContent).toBe('2h 5m');
  });

  it('marks a break-glass ticket in words as well as red, and spells out a duration counted from approval', () => {
    render(
      <TicketTable
        items={[
          row({ id: 'TCK-1', breakGlass: true, reviewPending: true }),
          row({ id: 'TCK-2', duration: { type: 'relative', seconds: 8 * 3600 } }),
          row({ id: 'TCK-3' }),
        ]}
        now={NOW}
        caption="All tickets"
      />,
    );
    const [glass, relative, plain] = screen.getAllByRole('row').slice(1);
    expect(glass.className).toBe('break-glass');
    expect(within(glass).getAllByRole('cell')[0].textContent).toBe(
      '◷Open⚠ Break glass (emergency access) review pending',
    );
    expect(within(relative).getAllByRole('cell')[3].textContent).toBe('Request · add · 8 hours from approval');
    expect(plain.className).toBe('');
    expect(plain.textContent).not.toMatch(/Break glass|from approval/);
  });
});
