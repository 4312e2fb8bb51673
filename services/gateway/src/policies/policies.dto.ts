import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ID_PATTERN } from '../common/ids';
import { PageLimit } from '../common/paging';

/** Cedar text of one document: generous, but bounded (it is parsed on every change and held in memory). */
const MAX_CEDAR_LENGTH = 100_000;

export class PutPolicyDto {
  @ApiProperty({ description: 'Cedar policies (one or more), validated against GET /policies/schema' })
  @IsString()
  @MaxLength(MAX_CEDAR_LENGTH)
  cedar!: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) description?: string;

  @ApiPropertyOptional({
    description:
      'The revision this change is based on (the current one when read); 0 for a new document. A stale one is 409 REVISION_CONFLICT',
    minimum: 0,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  revision?: number;
}

export class PolicyQuery {
  @ApiPropertyOptional({ description: 'An earlier revision (default: the current one)', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  revision?: number;
}

export class SimulateContextDto {
  @ApiPropertyOptional({ description: 'Seconds of access; absent or null: indefinite', minimum: 1, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100 * 365 * 86_400)
  durationSeconds?: number | null;

  @ApiPropertyOptional({ default: '' }) @IsOptional() @IsString() @MaxLength(2000) reason?: string;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() onBehalfOf?: boolean;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() requesterIsManager?: boolean;

  @ApiPropertyOptional({
    type: [String],
    description:
      "On-call schedules the user is on (principal.onCall when not empty); absent: the app's PagerDuty schedules the user is on call in now",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  onCallFor?: string[];

  @ApiPropertyOptional({ description: 'When the request is made (hour and dayOfWeek, UTC); default now' })
  @IsOptional()
  @IsDateString({ strict: true })
  at?: string;
}

export class DraftPolicyDto {
  @ApiProperty({ pattern: ID_PATTERN.source }) @IsString() @Matches(ID_PATTERN) id!: string;
  @ApiProperty() @IsString() @MaxLength(MAX_CEDAR_LENGTH) cedar!: string;
}

export class SimulateDto {
  @ApiProperty({ description: 'A user of the directory (stored users)' })
  @IsString()
  @Matches(ID_PATTERN)
  userId!: string;

  @ApiProperty() @IsString() @Matches(ID_PATTERN) appId!: string;
  @ApiProperty() @IsString() @Matches(ID_PATTERN) entitlementId!: string;

  @ApiPropertyOptional({ type: SimulateContextDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SimulateContextDto)
  context?: SimulateContextDto;

  @ApiPropertyOptional({
    type: DraftPolicyDto,
    description: 'Decide as if this document (new, or replacing the one with its id) were published; nothing is stored',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DraftPolicyDto)
  draft?: DraftPolicyDto;
}

export class RequestersQuery {
  @PageLimit(1000, 100)
  limit?: number;
}
