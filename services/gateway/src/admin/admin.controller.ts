/**
 * Maintenance for admins: rebuilding the read model from Temporal (docs/operations.md, "Rebuilding the
 * read model"). The rebuild runs as a workflow on the workers; the start answers at once with its id.
 */
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { ReindexPhase } from '@gatehouse/domain';
import { Audited } from '../audit/audit';
import { AdminOnly } from '../auth/actor';
import { ApiRateLimited, ApiTemporalUnavailable } from '../common/api-responses';
import { fail } from '../common/errors';
import { ReindexService, type ReindexRunStatus } from './reindex.service';

export class ReindexStartedResponse {
  @ApiProperty({ example: 'reindex-6f1c0c1e-5d2b-4a43-9a57-0b8f7d3c2e11', description: 'For GET /admin/reindex/{id}' })
  id!: string;
  @ApiProperty({ enum: ['running'] }) status!: 'running';
}

export class ReindexErrorDto {
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The ticket it concerns, if one' })
  ticketId!: string | null;
  @ApiProperty() message!: string;
}

export class ReindexProgressDto {
  @ApiProperty({
    enum: ['tickets', 'derived', 'done'],
    description: '`tickets`: writing tickets from their workflows; `derived`: grants, seats, claims, ticket numbers',
  })
  phase!: ReindexPhase;
  @ApiProperty({ description: 'Ticket workflows listed from Temporal so far' }) workflowsSeen!: number;
  @ApiProperty({ description: 'Tickets written' }) ticketsWritten!: number;
  @ApiProperty({ description: 'Tickets left alone: MongoDB already held their newest version' })
  ticketsCurrent!: number;
  @ApiProperty() grantsWritten!: number;
  @ApiProperty() seatsWritten!: number;
  @ApiProperty({ description: 'Open claims of pending tickets written' }) claimsWritten!: number;
  @ApiProperty({ description: 'Taken ticket numbers written' }) ticketNumbersWritten!: number;
  @ApiProperty({ description: 'Late re-raises linked into their parent ticket' }) childLinksWritten!: number;
  @ApiProperty() errorCount!: number;
  @ApiProperty({ type: [ReindexErrorDto], description: 'The first 100 errors' }) errors!: ReindexErrorDto[];
}

export class ReindexRunResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out'] })
  status!: ReindexRunStatus;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' }) closedAt!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: ReindexProgressDto,
    description: 'Null until a worker has picked the rebuild up, and when it did not complete',
  })
  progress!: ReindexProgressDto | null;
}

@ApiTags('admin')
@ApiBearerAuth()
@ApiRateLimited()
@AdminOnly()
@Controller('admin')
export class AdminController {
  constructor(private readonly reindex: ReindexService) {}

  @Post('reindex')
  @HttpCode(202)
  @Audited('admin.reindex', '')
  @ApiOperation({
    summary: 'Rebuild tickets, grants, seats, open claims and ticket numbers in MongoDB from Temporal (admin)',
  })
  @ApiAcceptedResponse({ type: ReindexStartedResponse })
  @ApiTemporalUnavailable()
  async start(): Promise<ReindexStartedResponse> {
    return { id: await this.reindex.start(), status: 'running' };
  }

  @Get('reindex/:id')
  @ApiOperation({ summary: 'A rebuild’s status and progress (admin)' })
  @ApiOkResponse({ type: ReindexRunResponse })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no rebuild with this id' })
  @ApiTemporalUnavailable()
  async get(@Param('id') id: string): Promise<ReindexRunResponse> {
    const run = await this.reindex.get(id);
    if (!run) fail('NOT_FOUND', `No rebuild ${id.slice(0, 80)}.`);
    return run;
  }
}
