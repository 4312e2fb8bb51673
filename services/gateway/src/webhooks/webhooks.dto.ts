import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { TICKET_EVENT_TYPES, type WebhookDeliveryStatus } from '@gatehouse/domain';
import { PageCursor, PageLimit } from '../common/paging';

/** What `events` may name: a ticket event type, or `*` for all of them. */
export const WEBHOOK_EVENT_NAMES = [...TICKET_EVENT_TYPES, '*'];
const DELIVERY_STATUSES: WebhookDeliveryStatus[] = ['pending', 'delivered', 'failed'];

/** May be left out, but not null (`@IsOptional` lets null through: a PATCH would store it). */
const OmittableNotNull = () => ValidateIf((_dto: object, value: unknown) => value !== undefined);

const URL_DOC = {
  maxLength: 2048,
  example: 'https://hooks.example.com/gatehouse',
  description: 'http or https (https only in production); no credentials in the URL',
};
const EVENTS_DOC = {
  enum: WEBHOOK_EVENT_NAMES,
  isArray: true,
  example: ['approved', 'granted'],
  description: 'ticket event types to deliver; `*` for all',
};

export class CreateWebhookDto {
  @ApiProperty(URL_DOC) @IsString() @MaxLength(2048) url!: string;
  @ApiProperty(EVENTS_DOC)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsIn(WEBHOOK_EVENT_NAMES, { each: true })
  events!: string[];
  @ApiPropertyOptional({ maxLength: 500 }) @IsOptional() @IsString() @MaxLength(500) description?: string;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional(URL_DOC) @OmittableNotNull() @IsString() @MaxLength(2048) url?: string;
  @ApiPropertyOptional(EVENTS_DOC)
  @OmittableNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsIn(WEBHOOK_EVENT_NAMES, { each: true })
  events?: string[];
  @ApiPropertyOptional({ maxLength: 500, nullable: true, type: String, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
  @ApiPropertyOptional({
    description: 'a disabled endpoint gets no new deliveries, and its pending ones fail at their next attempt',
  })
  @OmittableNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;
  @PageLimit(200, 50)
  limit?: number;
  @PageCursor(/^[A-Za-z0-9_-]{1,600}$/)
  cursor?: string;
}

export class WebhookEndpointResponse {
  @ApiProperty({ example: 'wh_5f1c2a9e0b7d4c3a' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() createdBy!: string;
}

export class WebhookWithSecretResponse extends WebhookEndpointResponse {
  @ApiProperty({ example: 'whsec_…', description: 'The signing secret: shown in this response only' }) secret!: string;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ description: '`<endpointId>:<eventId>`' }) id!: string;
  @ApiProperty() endpointId!: string;
  @ApiProperty({ description: 'the event id consumers deduplicate by (`<ticketId>:<sequence>`)' }) eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() ticketId!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: WebhookDeliveryStatus;
  @ApiProperty({ description: 'HTTP attempts so far, replays included' }) attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deliveredAt!: string | null;
  @ApiProperty() replays!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WebhookAttemptResponse {
  @ApiProperty({ description: '0: the first run; n: the n-th replay' }) replay!: number;
  @ApiProperty({ description: 'attempt within that run, from 1' }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'null when no response came' }) statusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() durationMs!: number;
}

export class WebhookDeliveryDetailResponse extends WebhookDeliveryResponse {
  @ApiProperty({ type: [WebhookAttemptResponse] }) history!: WebhookAttemptResponse[];
}

export class WebhookDeliveryPage {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) items!: WebhookDeliveryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ReplayResponse {
  @ApiProperty({ description: 'the delivery replayed' }) id!: string;
  @ApiProperty({ description: 'which replay of the delivery this is, from 1' }) replay!: number;
  @ApiProperty({ example: 'webhook:wh_5f1c2a9e0b7d4c3a:TCK-1001:3:replay-1' }) workflowId!: string;
}
