/** `/webhooks`: admins register endpoints for ticket events (docs/notifications.md). To be filled by the webhooks work. */
import { Controller } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
export class WebhooksController {}
