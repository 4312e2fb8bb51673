import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { isAdmin, type Actor } from '@gatehouse/domain';
import { Store, type Grant, type GrantState } from '@gatehouse/store';
import { CurrentActor } from '../auth/actor';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';

export class GrantsQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) userId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) appId?: string;
  @ApiPropertyOptional({ enum: ['active', 'expired', 'revoked', 'removed'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'expired', 'revoked', 'removed'])
  state?: GrantState;
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
