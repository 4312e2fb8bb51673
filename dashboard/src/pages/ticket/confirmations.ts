// The ticket decisions that only need a "yes" and an optional comment: what each asks, what it sends, and
// what the panel says once it is done. Approve (which may change the duration), extend and re-raise have
// forms of their own.
import type { GatehouseApi } from '../../api/client';
import type { Ticket } from '../../api/types';
import type { Confirmation } from '../../components/ConfirmDialog';

const DECISIONS = ['reject', 'cancel', 'relinquish', 'confirm', 'revoke'] as const;
export type Decision = (typeof DECISIONS)[number];

export function isDecision(action: string | null): action is Decision {
  return DECISIONS.some((d) => d === action);
}

export interface TicketConfirmation extends Confirmation {
  /** Sends the decision; the answer is the ticket as it is now. */
  send: (api: GatehouseApi, ticket: Ticket, body: { comment?: string }) => Promise<Ticket>;
  /** The notice on the panel afterwards. */
  done: string;
}

const COMMENT = { label: 'Comment (optional)' };

export function confirmationOf(decision: Decision, ticket: Ticket): TicketConfirmation {
  const who = ticket.beneficiary.name || ticket.beneficiary.id;
  switch (decision) {
    case 'reject':
      return {
        title: `Reject ${ticket.id}`,
        text: 'Are you sure you want to reject this request?',
        confirm: 'Yes, reject ticket',
        tone: 'danger',
        comment: COMMENT,
        send: (api, t, body) => api.reject(t.id, body),
        done: 'You rejected this ticket.',
      };
    case 'cancel':
      return {
        title: `Cancel ${ticket.id}`,
        text: 'The ticket will no longer wait for approval. This cannot be undone.',
        confirm: 'Yes, cancel ticket',
        tone: 'danger',
        dismiss: 'Keep it',
        comment: COMMENT,
        send: (api, t, body) => api.cancel(t.id, body),
        done: 'The ticket is cancelled.',
      };
    case 'relinquish': {
      const what = ticket.changes
        .filter((c) => c.op === 'add')
        .map((c) => c.entitlement.name)
        .join(', ');
      return {
        title: `End your access to ${ticket.app.name}?`,
        text: `${what} will be removed now, without waiting for its end. To have it again you need a new request.`,
        confirm: 'Yes, end my access',
        tone: 'danger',
        dismiss: 'Keep it',
        comment: COMMENT,
        errors: {
          ACCESS_NOT_ACTIVE: 'This access is no longer active: it has already ended.',
          ACCESS_ENDING: 'This access is already being removed.',
        },
        send: (api, t, body) => api.relinquish(t.id, body),
        done: 'Your access has ended.',
      };
    }
    case 'confirm':
      return {
        title: `Confirm ${ticket.id}`,
        text: `${who} keeps this emergency access until it ends.`,
        confirm: 'Yes, confirm access',
        tone: 'primary',
        comment: COMMENT,
        send: (api, t, body) => api.review(t.id, { decision: 'confirm', ...body }),
        done: 'You confirmed this break-glass access.',
      };
    case 'revoke':
      return {
        title: `Revoke ${ticket.id}`,
        text: `${who}'s emergency access is removed now.`,
        confirm: 'Yes, revoke access',
        tone: 'danger',
        comment: COMMENT,
        send: (api, t, body) => api.review(t.id, { decision: 'revoke', ...body }),
        done: 'The access is revoked.',
      };
  }
}
