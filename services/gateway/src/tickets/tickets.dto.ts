import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { toUtcIso, type DurationRequest, type FieldValue } from '@gatehouse/domain';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import { IsScalarMap } from '../common/validators';
import { PageCursor, PageLimit } from '../common/paging';

/** The longest relative duration a body may ask for (the policy's maximum usually is far shorter). */
const MAX_RELATIVE_SECONDS = 100 * 365 * 86_400;

export class DurationDto {
  @ApiProperty({
    enum: ['indefinite', 'limited', 'relative'],
    description: 'relative: `seconds` long, counted from the moment the access is granted (not for extend)',
  })
  @IsIn(['indefinite', 'limited', 'relative'])
  type!: 'indefinite' | 'limited' | 'relative';

  @ApiPropertyOptional({
    minimum: 1,
    description: 'relative only (required): how long the access lasts once granted, in seconds',
  })
  @ValidateIf((d: DurationDto) => d.type === 'relative' || d.seconds !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_RELATIVE_SECONDS)
  seconds?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'limited only; defaults to now' })
  @ValidateIf((d: DurationDto) => d.type === 'limited' && d.start !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  start?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'required when limited' })
  @ValidateIf((d: DurationDto) => d.type === 'limited' || d.end !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  end?: string;
}

/** The duration a body asks for, as the domain takes it. */
export function durationRequestOf(dto: DurationDto): DurationRequest {
  if (dto.type === 'indefinite') {
    if (dto.start !== undefined || dto.end !== undefined)
      fail('VALIDATION_FAILED', 'duration: an indefinite duration takes no start or end');
    return { type: 'indefinite' };
  }
  if (dto.type === 'relative') {
    // It starts when it is granted: a start or end of its own would contradict that.
    if (dto.start !== undefined || dto.end !== undefined)
      fail('VALIDATION_FAILED', 'duration: a relative duration takes no start or end (it starts when granted)');
    return { type: 'relative', seconds: dto.seconds! };
  }
  if (dto.seconds !== undefined) fail('VALIDATION_FAILED', 'duration.seconds: relative durations only');
  if (dto.end === undefined) fail('VALIDATION_FAILED', 'duration.end: required when limited');
  return { type: 'limited', end: toUtcIso(dto.end), ...(dto.start ? { start: toUtcIso(dto.start) } : {}) };
}

export class ChangeDto {
  @ApiProperty({ enum: ['add', 'remove'] })
  @IsIn(['add', 'remove'])
  op!: 'add' | 'remove';

  @ApiProperty({ pattern: ID_PATTERN.source })
  @IsString()
  @Matches(ID_PATTERN)
  entitlementId!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  })
  @IsOptional()
  @IsScalarMap()
  fields?: Record<string, FieldValue>;
}

export class CreateTicketDto {
  @ApiProperty({ pattern: ID_PATTERN.source })
  @IsString()
  @Matches(ID_PATTERN)
  appId!: string;

  @ApiProperty({ type: [ChangeDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ChangeDto)
  changes!: ChangeDto[];

  @ApiPropertyOptional({ type: DurationDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DurationDto)
  duration?: DurationDto;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({ pattern: ID_PATTERN.source, description: 'admin only: the beneficiary' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  onBehalfOf?: string;

  @ApiPropertyOptional({
    description:
      "Break glass: granted at once without approval when a Cedar `BreakGlass` policy permits it, then reviewed by an approver (`POST /tickets/:id/review`). Adds only; a reason is required; at most the policy's `breakGlass.maxSeconds` (no duration: that long from now)",
  })
  @IsOptional()
  @IsBoolean()
  breakGlass?: boolean;
}

export class ReviewDto {
  @ApiProperty({ enum: ['confirm', 'revoke'], description: 'confirm the break-glass access, or revoke it now' })
  @IsIn(['confirm', 'revoke'])
  decision!: 'confirm' | 'revoke';

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}

export class CommentDto {
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}

export class ApproveDto extends CommentDto {
  @ApiPropertyOptional({ type: DurationDto, description: 'approve with a modified duration' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DurationDto)
  duration?: DurationDto;
}

export class ListTicketsQuery {
  @ApiPropertyOptional({ enum: ['all', 'open', 'closed', 'rejected'], default: 'all' })
  @IsOptional()
  @IsIn(['all', 'open', 'closed', 'rejected'])
  tab?: 'all' | 'open' | 'closed' | 'rejected';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  appId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  requesterId?: string;

  /** Tickets for this person, whoever raised them. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  beneficiaryId?: string;

  @ApiPropertyOptional({ enum: ['request', 'reraise', 'extend'] })
  @IsOptional()
  @IsIn(['request', 'reraise', 'extend'])
  type?: 'request' | 'reraise' | 'extend';

  @ApiPropertyOptional({ enum: ['me'] })
  @IsOptional()
  @IsIn(['me'])
  awaiting?: 'me';

  @PageLimit(200, 50)
  limit?: number;

  @PageCursor(/^[0-9]{1,15}$/)
  cursor?: string;
}

export class ExtendDto {
  @ApiProperty({ format: 'date-time', description: 'the new end of the access' })
  @IsISO8601({ strict: true, strictSeparator: true })
  end!: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class ReraiseDto {
  @ApiProperty({ type: DurationDto })
  @ValidateNested()
  @Type(() => DurationDto)
  duration!: DurationDto;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}
