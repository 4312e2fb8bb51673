import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { ConfirmDialog, type Confirmation } from './ConfirmDialog';

afterEach(cleanup);

const revoke: Confirmation = {
  title: 'Revoke platform from alice',
  text: 'alice loses platform now.',
  confirm: 'Revoke access',
  busy: 'Revoking…',
  tone: 'danger',
  comment: { label: 'Reason (required)', required: 'Say why: the reason goes into the ticket’s log.' },
  errors: { ACCESS_NOT_ACTIVE: 'This access has already ended.' },
};

describe('the confirmation dialog', () => {
  it('asks its question, refuses a required comment left empty, and sends the trimmed comment', async () => {
    const sent: string[] = [];
    render(
      <ConfirmDialog
        confirmation={revoke}
        onClose={() => undefined}
        onConfirm={async (comment) => {
          sent.push(comment);
        }}
      />,
    );
    const dialog = screen.getByRole('dialog', { name: 'Revoke platform from alice' });
    expect(dialog.getAttribute('aria-describedby')).toBeTruthy();
    const reason = within(dialog).getByLabelText('Reason (required)');
    expect(document.activeElement).toBe(reason);

    fireEvent.change(reason, { target: { value: '   ' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke access' }));
    expect(within(dialog).getByText(/^Say why/)).toBeTruthy();
    expect(reason.getAttribute('aria-invalid')).toBe('true');
    expect(sent).toEqual([]);

    fireEvent.change(reason, { target: { value: ' Left the team ' } });
    expect(reason.getAttribute('aria-invalid')).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke access' }));
    await waitFor(() => expect(sent).toEqual(['Left the team']));
  });

  it('shows a refused decision in the dialog, in the words given for its code, and lets the person try again', async () => {
    let attempts = 0;
    render(
      <ConfirmDialog
        confirmation={{ ...revoke, comment: { label: 'Comment (optional)' } }}
        onClose={() => undefined}
        onConfirm={async () => {
          attempts++;
          throw new ApiError({ statusCode: 409, code: 'ACCESS_NOT_ACTIVE', message: 'not active' });
        }}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Revoke access' }));
    expect(attempts).toBe(1); // an optional comment may stay empty
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This access has already ended.');
    const button = screen.getByRole('button', { name: 'Revoke access' }) as HTMLButtonElement;
    expect(button.disabled).toBe(false);
  });

  it('closes without deciding by its own dismiss button', () => {
    let closed = 0;
    render(
      <ConfirmDialog
        confirmation={{ ...revoke, comment: undefined, dismiss: 'Keep it' }}
        onClose={() => closed++}
        onConfirm={() => Promise.reject(new Error('not to be sent'))}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Keep it' }));
    expect(closed).toBe(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
