/**
 * Webhook deliveries: one signed POST per endpoint and event. To be filled by the webhooks work.
 */
import type { Client } from '@temporalio/client';
import type { NotificationActivities, TicketEvent } from '@gatehouse/domain';
import type { NotifierSettings } from '@gatehouse/notifiers';
import type { Store } from '@gatehouse/store';

export interface WebhookDeps {
  store: Store;
  settings: NotifierSettings;
}

/**
 * For each event and each enabled endpoint subscribed to its type: records a pending delivery and starts
 * its `webhookDeliveryWorkflow` (workflow id from the delivery id, so a repeated publish starts nothing twice).
 */
export async function enqueueWebhookDeliveries(_deps: WebhookDeps, _client: Client, _taskQueue: string, _events: TicketEvent[]): Promise<void> {}

export function createWebhookActivities(_deps: WebhookDeps): Pick<NotificationActivities, 'deliverWebhook' | 'finishWebhookDelivery'> {
  return {
    async deliverWebhook() {
      throw new Error('not implemented');
    },
    async finishWebhookDelivery() {},
  };
}
