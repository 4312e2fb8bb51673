/**
 * Channels that carry notifications to people: Slack direct messages and email. A channel whose
 * settings are absent is not created.
 */
import type { Notification } from '@gatehouse/domain';
import type { NotifierSettings } from '@gatehouse/notifiers';
import type { Store } from '@gatehouse/store';
import { createEmailChannel } from './email-channel';
import { createSlackChannel } from './slack-channel';

export interface NotificationChannel {
  readonly name: 'slack' | 'email';
  /** Sends one notification; idempotent per `notification.id` (a retried activity calls it again). */
  send(notification: Notification): Promise<void>;
}

export interface ChannelDeps {
  store: Store;
  settings: NotifierSettings;
}

export function createChannels(deps: ChannelDeps): NotificationChannel[] {
  const channels: NotificationChannel[] = [];
  if (deps.settings.slack) channels.push(createSlackChannel(deps, deps.settings.slack));
  if (deps.settings.email) channels.push(createEmailChannel(deps, deps.settings.email));
  return channels;
}
