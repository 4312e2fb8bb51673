/**
 * Email to the address Gatehouse has for the person. Approval emails carry the ticket's link (deciding
 * happens in the dashboard or the API); `approval_closed` sends nothing, since a sent email cannot change.
 */
import type { Notification } from '@gatehouse/domain';
import { createMailTransport, isPermanentSmtpError, notificationContent, renderEmail } from '@gatehouse/notifiers';
import { actorName, sendOnce, stepStillOpen, undeliverable } from './delivery';
import type { ChannelDeps, NotificationChannel } from './index';

export function createEmailChannel(deps: ChannelDeps, email: { smtpUrl: string; from: string }): NotificationChannel {
  const { store, settings } = deps;
  const transport = createMailTransport(email.smtpUrl);

  async function deliver(n: Notification): Promise<string | null> {
    const approval = n.kind === 'approval_requested' || n.kind === 'approval_reminder';
    if (approval && !(await stepStillOpen(store, n))) return 'the step was over before the email went out';
    const user = await store.users.get(n.userId);
    if (!user?.email) return 'Gatehouse has no email address for the user';
    const content = notificationContent(n, { publicUrl: settings.publicUrl, actorName: await actorName(store, n) })!;
    const mail = renderEmail(content);
    try {
      await transport.sendMail({
        from: email.from,
        to: user.name ? { name: user.name, address: user.email } : user.email,
        ...mail,
      });
    } catch (err) {
      // A 5xx reply (unknown mailbox, refused sender) stays one; anything else (4xx, network) is retried.
      if (isPermanentSmtpError(err)) throw undeliverable(`SMTP server refused the email: ${(err as Error).message}`);
      throw err;
    }
    return null;
  }

  return {
    name: 'email',
    async send(n) {
      if (n.kind === 'approval_closed') return;
      await sendOnce(store, 'email', n, () => deliver(n));
    },
  };
}
