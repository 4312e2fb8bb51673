// Revoke a grant with a reason. Access is held through tickets (its holders): each holder ticket's
// access is revoked, with the reason in its log; the target loses the access once the last one ends.
import { adminPeople, type Grant } from '../../../api/admin-people';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { useSession } from '../../../session-context';

export function RevokeDialog({
  grant,
  onClose,
  onDone,
}: {
  grant: Grant;
  onClose: () => void;
  onDone: (ticketIds: string[]) => void;
}) {
  const { api } = useSession();
  const tickets = grant.holders.length ? grant.holders.map((h) => h.ticketId) : [grant.ticketId];
  return (
    <ConfirmDialog
      confirmation={{
        title: `Revoke ${grant.entitlementId} from ${grant.userId}`,
        text: (
          <>
            {grant.userId} loses {grant.entitlementId} in {grant.appId} now. This revokes the access of{' '}
            {tickets.length === 1 ? 'ticket' : 'tickets'} {tickets.join(', ')}, including any other access{' '}
            {tickets.length === 1 ? 'it grants' : 'they grant'}.
          </>
        ),
        confirm: 'Revoke access',
        busy: 'Revoking…',
        tone: 'danger',
        comment: { label: 'Reason (required)', rows: 3, required: 'Say why: the reason goes into the ticket’s log.' },
      }}
      onClose={onClose}
      onConfirm={async (reason) => {
        // One at a time: each is a decision in its ticket's workflow, and a failure names where it stopped.
        for (const ticketId of tickets) await adminPeople.revoke(api, ticketId, reason);
        onDone(tickets);
      }}
    />
  );
}
