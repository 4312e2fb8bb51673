import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { isAdmin, type Actor } from '@gatehouse/domain';
import { Store, type Grant, type GrantState } from '@gatehouse/store';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';
import { PageCursor, PageLimit } from '../common/paging';

export class GrantsQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) userId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) appId?: string;
  @ApiPropertyOptional({ enum: ['active', 'expired', 'revoked', 'removed'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'expired', 'revoked', 'removed'])
  state?: GrantState;
}

/** A grant's `_id`, the page cursor: `<appId>:<userId>:<entitlementId>`. */
const GRANT_CURSOR = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}(:[A-Za-z0-9][A-Za-z0-9._@-]{0,127}){2}$/;

export class GrantPageQuery extends GrantsQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) entitlementId?: string;
  @ApiPropertyOptional({
    minimum: 1,
    description: 'only access that ends within this many seconds from now (indefinite access never does)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 86400)
  endingWithinSeconds?: number;
  @PageLimit(200, 50)
  limit?: number;
  @PageCursor(GRANT_CURSOR)
  cursor?: string;
}

class GrantHolderDto {
  @ApiProperty() ticketId!: string;
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiPropertyOptional({ nullable: true, format: 'date-time', type: String }) end!: string | null;
}

class GrantDto {
  @ApiProperty() userId!: string;
  @ApiProperty() appId!: string;
  @ApiProperty() entitlementId!: string;
  @ApiProperty({ enum: ['active', 'expired', 'revoked', 'removed'] }) state!: GrantState;
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiPropertyOptional({ nullable: true, format: 'date-time', type: String, description: 'null: indefinite' })
  end!: string | null;
  @ApiProperty({ description: 'the holder whose end is the effective end' }) ticketId!: string;
  @ApiProperty({ type: [GrantHolderDto] }) holders!: GrantHolderDto[];
  @ApiProperty() preexisting!: boolean;
}

export class GrantPageResponse {
  @ApiProperty({ type: [GrantDto] }) items!: GrantDto[];
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'pass as cursor for the next page; null: last page',
  })
  nextCursor!: string | null;
}

@ApiTags('grants')
@ApiBearerAuth()
@Controller('grants')
export class GrantsController {
  constructor(@Inject(STORE) private readonly store: Store) {}

  @Get()
  async list(@CurrentActor() actor: Actor, @Query() q: GrantsQuery): Promise<Grant[]> {
    let userId = q.userId;
    if (!isAdmin(actor)) {
      if (userId && userId !== actor.id) fail('FORBIDDEN', 'Only an admin may list another user’s grants.');
      userId = actor.id;
    }
    return this.store.grants.list({ userId, appId: q.appId, state: q.state ?? 'active' });
  }
}

/**
 * Every user's grants, a page at a time, for the admin console. A route of its own rather than more
 * parameters on `GET /grants`, whose clients expect every match as a bare array (docs/api.md, "Access held").
 */
@ApiTags('grants')
@ApiBearerAuth()
@Controller('admin/grants')
export class AdminGrantsController {
  constructor(@Inject(STORE) private readonly store: Store) {}

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'Grants by app, user and entitlement, a page at a time (admin)' })
  @ApiResponse({ status: 200, type: GrantPageResponse })
  page(@Query() q: GrantPageQuery): Promise<GrantPageResponse> {
    return this.store.grants.page({
      appId: q.appId,
      userId: q.userId,
      entitlementId: q.entitlementId,
      state: q.state,
      endingBefore: q.endingWithinSeconds
        ? new Date(Date.now() + q.endingWithinSeconds * 1000).toISOString()
        : undefined,
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
  }
}
