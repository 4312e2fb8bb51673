/**
 * Channels that carry notifications to people: Slack direct messages and email. A channel whose
 * settings are absent is not created. To be filled by the Slack and email work.
 */
import type { Notification } from '@gatehouse/domain';
import type { NotifierSettings } from '@gatehouse/notifiers';
import type { Store } from '@gatehouse/store';

export interface NotificationChannel {
  readonly name: 'slack' | 'email';
  /** Sends one notification; idempotent per `notification.id` (a retried activity calls it again). */
  send(notification: Notification): Promise<void>;
}

export interface ChannelDeps {
  store: Store;
  settings: NotifierSettings;
}

export function createChannels(_deps: ChannelDeps): NotificationChannel[] {
  return [];
}
