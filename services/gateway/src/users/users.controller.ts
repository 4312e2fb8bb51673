import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { CONNECTOR_TYPES, isAdmin, type Actor, type OffboardingProgress } from '@gatehouse/domain';
import { Store, type User } from '@gatehouse/store';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { Audited } from '../audit/audit';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import { IsScalarMap } from '../common/validators';
import { DirectoryService } from '../directory/directory.service';
import { STORE } from '../tokens';
import { OffboardingService } from './offboarding.service';
import { PageCursor, PageLimit } from '../common/paging';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export class PutUserDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(320) email?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'connector type → the user’s account id in that app',
  })
  @IsOptional()
  @IsScalarMap({ maxKeys: 10, maxLength: 300, valueTypes: ['string'] })
  accounts?: Record<string, string>;
  @ApiPropertyOptional({
    type: [String],
    description:
      'the directory’s roles of the user: approver rules `role:` resolve against them for notifications and Slack decisions',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(NAME_PATTERN, { each: true, message: 'roles: letters, digits and . _ @ - only' })
  roles?: string[];
  @ApiPropertyOptional({ type: [String], description: 'the directory’s groups of the user (approver rules `group:`)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(NAME_PATTERN, { each: true, message: 'groups: letters, digits and . _ @ - only' })
  groups?: string[];
  @ApiPropertyOptional({
    description:
      'false: a leaver. Their tokens get 403 USER_INACTIVE from then on, and going from active to inactive starts the leaver workflow',
  })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'the Gatehouse user id of the user’s manager' })
  @IsOptional()
  @IsString()
  @Matches(NAME_PATTERN, { message: 'manager: a user id (letters, digits and . _ @ - only)' })
  manager?: string | null;
}

/** A stored user with their leaver workflow's progress (null when none ran; see docs/identity.md). */
type UserWithOffboarding = User & { offboarding?: OffboardingProgress | null };

export class MeResponse {
  @ApiProperty() id!: string;
  @ApiPropertyOptional({ nullable: true }) name!: string | null;
  @ApiPropertyOptional({ nullable: true }) email!: string | null;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: [String] }) groups!: string[];
}

export class UsersQuery {
  @ApiPropertyOptional({ description: 'part of the id, name, email or userName (any case)', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
  @PageLimit(200, 50)
  limit?: number;
  @PageCursor(ID_PATTERN)
  cursor?: string;
}

class UserDto {
  @ApiProperty() id!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) name!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) accounts!: Record<string, string>;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: [String] }) groups!: string[];
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) manager!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) userName!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) department!: string | null;
}

export class UserPageResponse {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'pass as cursor for the next page; null: last page',
  })
  nextCursor!: string | null;
}

@ApiTags('users')
@ApiBearerAuth()
@Controller()
export class UsersController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(OffboardingService) private readonly offboarding: OffboardingService,
    @Inject(DirectoryService) private readonly directory: DirectoryService,
  ) {}

  @Get('me')
  me(@CurrentActor() actor: Actor): MeResponse {
    return {
      id: actor.id,
      name: actor.name ?? null,
      email: actor.email ?? null,
      roles: actor.roles,
      groups: actor.groups,
    };
  }

  @Get('users')
  @AdminOnly()
  @ApiOperation({ summary: 'Every user Gatehouse knows, by id, a page at a time (admin)' })
  @ApiResponse({ status: 200, type: UserPageResponse })
  page(@Query() q: UsersQuery): Promise<{ items: User[]; nextCursor: string | null }> {
    return this.store.users.page({ q: q.q?.trim() || undefined, limit: q.limit ?? 50, cursor: q.cursor });
  }

  @Put('users/:id')
  @AdminOnly()
  @Audited('user.put', 'id')
  async put(@Param('id') id: string, @Body() dto: PutUserDto): Promise<User> {
    if (!ID_PATTERN.test(id)) fail('VALIDATION_FAILED', 'id: letters, digits and . _ @ - only');
    const unknown = Object.keys(dto.accounts ?? {}).find((k) => !(CONNECTOR_TYPES as readonly string[]).includes(k));
    if (unknown)
      fail('VALIDATION_FAILED', `accounts: "${unknown}" is not a connector type (${CONNECTOR_TYPES.join(', ')})`);
    const before = dto.active === false ? await this.store.users.get(id) : null;
    const user = await this.store.users.put(id, {
      ...dto,
      ...(dto.email !== undefined ? { email: dto.email.toLowerCase() } : {}),
    });
    this.directory.invalidate();
    if (before?.active) await this.offboarding.start(id);
    return user;
  }

  @Get('users/:id')
  async get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<UserWithOffboarding> {
    if (id !== actor.id && !isAdmin(actor)) fail('USER_NOT_FOUND', `No user ${id.slice(0, 40)}.`);
    const [user, offboarding] = ID_PATTERN.test(id)
      ? await Promise.all([this.store.users.get(id), this.store.users.offboarding(id)])
      : [null, null];
    if (!user) {
      if (id === actor.id)
        return {
          id,
          name: actor.name ?? null,
          email: actor.email ?? null,
          accounts: {},
          roles: actor.roles,
          groups: actor.groups,
          externalId: null,
          userName: null,
          active: true,
          manager: null,
          department: null,
          costCenter: null,
          employeeNumber: null,
        };
      fail('USER_NOT_FOUND', `No user ${id.slice(0, 40)}.`);
    }
    return { ...user!, offboarding };
  }
}
