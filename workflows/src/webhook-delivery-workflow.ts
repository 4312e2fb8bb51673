/**
 * One webhook delivery: the signed POST of one event to one endpoint, retried with backoff, then recorded
 * as delivered or failed. To be filled by the webhooks work.
 */
import type { WebhookDeliveryInput } from '@gatehouse/domain';

export async function webhookDeliveryWorkflow(_input: WebhookDeliveryInput): Promise<void> {}
