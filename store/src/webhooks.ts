/**
 * Webhook endpoints and their deliveries (docs/notifications.md). To be filled by the webhooks work.
 */
import type { Connection } from 'mongoose';

export class WebhookRepository {
  constructor(readonly connection: Connection) {}
}

export class WebhookDeliveryRepository {
  constructor(readonly connection: Connection) {}
}
