/**
 * `/webhooks`: admins register endpoints for ticket events (docs/api.md, "Webhooks"). The secret an
 * endpoint's deliveries are signed with is shown once, when it is created or rotated. Deliveries run on
 * the workers (`webhookDeliveryWorkflow`); this controller lists them and starts replays.
 */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  WEBHOOK_DELIVERY_WORKFLOW_TYPE,
  type Actor,
  type WebhookDelivery,
  type WebhookDeliveryInput,
  type WebhookEndpoint,
} from '@gatehouse/domain';
import { Store } from '@gatehouse/store';
import { taskQueueNames, type webhookDeliveryWorkflow } from '@gatehouse/workflows';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { Audited } from '../audit/audit';
import { fail } from '../common/errors';
import { refuseNonPublicUrl } from '../common/outbound-urls';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import {
  CreateWebhookDto,
  ListDeliveriesQuery,
  ReplayResponse,
  UpdateWebhookDto,
  WebhookDeliveryDetailResponse,
  WebhookDeliveryPage,
  WebhookEndpointResponse,
  WebhookWithSecretResponse,
} from './webhooks.dto';

const WEBHOOK_ID_PATTERN = /^wh_[0-9a-f]{16}$/;
const START_DEADLINE_MS = 5_000;

/** `events` as stored: without repeats, and `['*']` when `*` is among them. */
function normalizedEvents(events: string[]): string[] {
  return events.includes('*') ? ['*'] : [...new Set(events)];
}

@ApiTags('webhooks')
@ApiBearerAuth()
@AdminOnly()
@Controller('webhooks')
export class WebhooksController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TemporalService) private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** http(s) only, https in production, to a public address in production; no credentials, which every GET would then show. */
  private async checkUrl(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail('VALIDATION_FAILED', 'url: not a valid absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('VALIDATION_FAILED', 'url: must be http or https');
    if (this.config.production && url.protocol !== 'https:')
      fail('VALIDATION_FAILED', 'url: must be https in production');
    if (url.username || url.password)
      fail('VALIDATION_FAILED', 'url: credentials in the URL are not accepted; consumers verify the signature instead');
    await refuseNonPublicUrl(this.config, 'url', url.toString());
    return url.toString();
  }

  private async endpoint(id: string): Promise<WebhookEndpoint> {
    const endpoint = WEBHOOK_ID_PATTERN.test(id) ? await this.store.webhooks.get(id) : null;
    if (!endpoint) fail('WEBHOOK_NOT_FOUND', `No webhook endpoint ${id.slice(0, 40)}.`);
    return endpoint!;
  }

  private async delivery(endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.endpoint(endpointId);
    const delivery =
      deliveryId.startsWith(`${endpointId}:`) && deliveryId.length <= 300
        ? await this.store.webhookDeliveries.get(deliveryId)
        : null;
    if (!delivery)
      fail('DELIVERY_NOT_FOUND', `No delivery ${deliveryId.slice(0, 80)} of webhook endpoint ${endpointId}.`);
    return delivery!;
  }

  @Post()
  @Audited('webhook.create', '')
  @ApiOperation({
    summary: 'Register an endpoint for ticket events (admin); the answer holds its signing secret, shown this once',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretResponse })
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateWebhookDto): Promise<WebhookWithSecretResponse> {
    const { endpoint, secret } = await this.store.webhooks.create({
      url: await this.checkUrl(dto.url),
      events: normalizedEvents(dto.events),
      description: dto.description ?? null,
      enabled: dto.enabled ?? true,
      createdBy: actor.id,
    });
    return { ...endpoint, secret };
  }

  @Get()
  @ApiOperation({ summary: 'Every webhook endpoint, oldest first, without secrets (admin)' })
  @ApiOkResponse({ type: [WebhookEndpointResponse] })
  list(): Promise<WebhookEndpoint[]> {
    return this.store.webhooks.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointResponse })
  get(@Param('id') id: string): Promise<WebhookEndpoint> {
    return this.endpoint(id);
  }

  @Patch(':id')
  @Audited('webhook.update', 'id')
  @ApiOperation({ summary: 'Change an endpoint’s URL, events, description or enabled flag (admin)' })
  @ApiOkResponse({ type: WebhookEndpointResponse })
  async update(@Param('id') id: string, @Body() dto: UpdateWebhookDto): Promise<WebhookEndpoint> {
    await this.endpoint(id);
    const updated = await this.store.webhooks.update(id, {
      ...(dto.url !== undefined ? { url: await this.checkUrl(dto.url) } : {}),
      ...(dto.events !== undefined ? { events: normalizedEvents(dto.events) } : {}),
      ...(dto.description !== undefined ? { description: dto.description } : {}),
      ...(dto.enabled !== undefined ? { enabled: dto.enabled } : {}),
    });
    if (!updated) fail('WEBHOOK_NOT_FOUND', `No webhook endpoint ${id}.`);
    return updated!;
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Audited('webhook.rotate', 'id')
  @ApiOperation({ summary: 'Replace the signing secret; the answer holds the new one, shown this once (admin)' })
  @ApiOkResponse({ type: WebhookWithSecretResponse })
  async rotateSecret(@Param('id') id: string): Promise<WebhookWithSecretResponse> {
    const endpoint = await this.endpoint(id);
    const secret = await this.store.webhooks.rotateSecret(id);
    if (!secret) fail('WEBHOOK_NOT_FOUND', `No webhook endpoint ${id}.`);
    return { ...endpoint, secret: secret! };
  }

  @Delete(':id')
  @HttpCode(204)
  @Audited('webhook.delete', 'id')
  @ApiOperation({
    summary: 'Delete an endpoint and its delivery history; its pending deliveries stop at their next attempt (admin)',
  })
  @ApiNoContentResponse()
  async delete(@Param('id') id: string): Promise<void> {
    await this.endpoint(id);
    await this.store.webhooks.delete(id);
    await this.store.webhookDeliveries.deleteForEndpoint(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'An endpoint’s deliveries, newest first (admin)' })
  @ApiOkResponse({ type: WebhookDeliveryPage })
  async deliveries(@Param('id') id: string, @Query() q: ListDeliveriesQuery): Promise<WebhookDeliveryPage> {
    await this.endpoint(id);
    return this.store.webhookDeliveries.list(id, { status: q.status, limit: q.limit ?? 50, cursor: q.cursor });
  }

  @Get(':id/deliveries/:deliveryId')
  @ApiOperation({ summary: 'One delivery with the history of its attempts (admin)' })
  @ApiOkResponse({ type: WebhookDeliveryDetailResponse })
  async deliveryDetail(
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<WebhookDeliveryDetailResponse> {
    const delivery = await this.delivery(id, deliveryId);
    return { ...delivery, history: await this.store.webhookDeliveries.attempts(delivery.id) };
  }

  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @Audited('webhook.replay', 'id')
  @ApiOperation({
    summary: 'Send a delivery again, with the same event id and body, retried like the first run (admin)',
  })
  @ApiAcceptedResponse({ type: ReplayResponse })
  async replay(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<ReplayResponse> {
    const delivery = await this.delivery(id, deliveryId);
    const endpoint = await this.endpoint(id);
    if (!endpoint.enabled)
      fail('WEBHOOK_DISABLED', `Webhook endpoint ${id} is disabled: enable it before replaying its deliveries.`);
    const input: WebhookDeliveryInput = {
      deliveryId: delivery.id,
      maxAttempts: this.config.notifier.webhooks.maxAttempts,
    };
    // The replay number is taken by the workflow id: two admins replaying at once get replays n and n+1.
    for (let replay = delivery.replays + 1; ; replay++) {
      const workflowId = `webhook:${delivery.id}:replay-${replay}`;
      // Pending before the start, so a replay finishing at once is never overwritten by it.
      await this.store.webhookDeliveries.markReplaying(delivery.id, replay);
      try {
        await this.temporal.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
          this.temporal.client.workflow.start<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
            workflowId,
            // Deliveries run on the notifications queue, like those the ticket workflows' events start.
            taskQueue: taskQueueNames(this.config.taskQueue).notifications,
            args: [input],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            staticSummary: `Webhook replay ${replay}: ${delivery.eventType} of ${delivery.ticketId} to ${id}`,
          }),
        );
        return { id: delivery.id, replay, workflowId };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError) || replay > delivery.replays + 10) throw err;
      }
    }
  }
}
