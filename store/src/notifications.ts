/**
 * What was sent to people (docs/notifications.md): sent-notification ids (a retried send skips them)
 * and the Slack messages of each approval step (updated when the step is decided). To be filled by the
 * Slack and email work.
 */
import type { Connection } from 'mongoose';

export class SentNotificationRepository {
  constructor(readonly connection: Connection) {}
}

export class SlackMessageRepository {
  constructor(readonly connection: Connection) {}
}
