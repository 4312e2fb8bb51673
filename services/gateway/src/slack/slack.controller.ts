/** `POST /slack/interactions`: Approve / Reject clicks from Slack (docs/notifications.md). To be filled by the Slack work. */
import { Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

@ApiExcludeController()
@Controller('slack')
export class SlackController {}
