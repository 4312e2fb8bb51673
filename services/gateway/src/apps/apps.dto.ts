import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  APPROVER_RULE_PATTERN,
  CONNECTOR_TYPES,
  ENTITLEMENT_KINDS,
  FIELD_TYPES,
  type ConnectorType,
  type EntitlementPolicy,
  type EntitlementKind,
  type FieldType,
} from '@gatehouse/domain';
import { ID_PATTERN, KEY_PATTERN } from '../common/ids';
import { IsRegExp, IsScalarMap } from '../common/validators';

export class FieldDto {
  @ApiProperty({ pattern: KEY_PATTERN.source }) @IsString() @Matches(KEY_PATTERN) key!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) label!: string;
  @ApiProperty({ enum: FIELD_TYPES }) @IsIn(FIELD_TYPES as string[]) type!: FieldType;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() required?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) @IsRegExp() pattern?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  options?: string[];
}

export class EntitlementDto {
  @ApiProperty({ pattern: ID_PATTERN.source }) @IsString() @Matches(ID_PATTERN) id!: string;
  @ApiProperty({ enum: ENTITLEMENT_KINDS }) @IsIn(ENTITLEMENT_KINDS as string[]) kind!: EntitlementKind;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(300) externalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID_PATTERN) licenseId?: string;
  @ApiPropertyOptional({ type: [FieldDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => FieldDto)
  fields?: FieldDto[];
  @ApiPropertyOptional({
    type: () => EntitlementPolicyDto,
    description:
      "this entitlement's own policy: absent fields inherit the app's, `approval` replaces its steps; a ticket for several entitlements gets the strictest limits and every distinct policy's steps",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => EntitlementPolicyDto)
  policy?: EntitlementPolicy; // the DTO class is declared below, after the app policy it extends
}

export class LicenseDto {
  @ApiProperty({ pattern: ID_PATTERN.source }) @IsString() @Matches(ID_PATTERN) id!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) name!: string;
  @ApiProperty({ minimum: 0 }) @IsInt() @Min(0) @Max(10_000_000) seats!: number;
}

export class ApprovalStepDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) name!: string;
  @ApiProperty({
    type: [String],
    example: ['user:carol', 'group:it-admins', 'role:admin', 'manager'],
    description:
      "approver rules: `user:<id>`, `group:<name>`, `role:<name>`, `manager` (the beneficiary's manager in the directory) or `manager:2` (that manager's manager), resolved when a ticket is created",
  })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(APPROVER_RULE_PATTERN, {
    each: true,
    message: 'approvers must be user:<id>, group:<name>, role:<name>, manager or manager:2',
  })
  approvers!: string[];
  @ApiProperty({ minimum: 1 }) @IsInt() @Min(1) @Max(100) minApprovals!: number;
  @ApiPropertyOptional({ minimum: 1, description: "remind the step's approvers this long after the step opened" })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365 * 86400)
  remindAfterSeconds?: number;
  @ApiPropertyOptional({ minimum: 1, description: 'open the step to `escalateTo` this long after it opened' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365 * 86400)
  escalateAfterSeconds?: number;
  @ApiPropertyOptional({
    type: [String],
    description: 'fallback approver rules, eligible once the step escalated',
    example: ['group:it-admins'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(APPROVER_RULE_PATTERN, {
    each: true,
    message: 'escalateTo must be user:<id>, group:<name>, role:<name>, manager or manager:2',
  })
  escalateTo?: string[];
}

export class ApprovalDto {
  @ApiProperty({ type: [ApprovalStepDto] })
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => ApprovalStepDto)
  steps!: ApprovalStepDto[];
}

export class ExtensionsDto {
  @ApiPropertyOptional({ minimum: 0, description: 'how many extensions one access may have (absent: no limit)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  max?: number;
  @ApiPropertyOptional({ minimum: 1, description: 'how far one extension may move the end, in seconds' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 86400)
  maxSecondsEach?: number;
  @ApiPropertyOptional({ default: false, description: 'approve an extension within these limits without steps' })
  @IsOptional()
  @IsBoolean()
  autoApproveWithinMax?: boolean;
}

/** PagerDuty schedule ids, as PAGERDUTY_SCHEDULES takes them (letters and digits). */
const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9]{1,64}$/;

export class OnCallDto {
  @ApiProperty({
    type: [String],
    pattern: SCHEDULE_ID_PATTERN.source,
    description: 'PagerDuty schedule ids whose on-call people count as on call (empty: nobody)',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCHEDULE_ID_PATTERN, { each: true })
  schedules!: string[];
}

export class BreakGlassDto {
  @ApiPropertyOptional({
    minimum: 60,
    default: 14400,
    description: 'the longest break-glass access, in seconds (no duration asked: this long from now)',
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(30 * 86400)
  maxSeconds?: number;
  @ApiPropertyOptional({
    minimum: 1,
    default: 86400,
    description: 'how soon after it was raised an approver must confirm or revoke break-glass access',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * 86400)
  reviewWithinSeconds?: number;
}

export class PolicyDto {
  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 86400)
  maxDurationSeconds?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() allowIndefinite?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requireReason?: boolean;
  @ApiProperty({ type: ApprovalDto }) @ValidateNested() @Type(() => ApprovalDto) approval!: ApprovalDto;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) @Max(365 * 86400) pendingTimeoutSeconds?: number;
  @ApiPropertyOptional({
    minimum: 1,
    default: 604800,
    description: 'how long expired access stays open for re-raises as child workflows',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365 * 86400)
  reraiseWindowSeconds?: number;
  @ApiPropertyOptional({
    minimum: 1,
    default: 86400,
    description: 'how long before limited access ends its requester is told',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365 * 86400)
  expiryNoticeSeconds?: number;
  @ApiPropertyOptional({ type: ExtensionsDto, description: 'limits on extending the same access' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ExtensionsDto)
  extensions?: ExtensionsDto;
  @ApiPropertyOptional({ type: BreakGlassDto, description: 'limits of break-glass access and its review' })
  @IsOptional()
  @ValidateNested()
  @Type(() => BreakGlassDto)
  breakGlass?: BreakGlassDto;
  @ApiPropertyOptional({
    type: OnCallDto,
    description: 'whose PagerDuty on-call counts as on call for the access policies (absent: PAGERDUTY_SCHEDULES)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => OnCallDto)
  onCall?: OnCallDto;
}

/** An entitlement's policy: the app policy's fields, each optional (absent ones inherit the app's). */
export class EntitlementPolicyDto extends PartialType(PolicyDto) {}

export class ConnectorDto {
  @ApiProperty({ enum: CONNECTOR_TYPES }) @IsIn(CONNECTOR_TYPES as unknown as string[]) type!: ConnectorType;
  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    description: 'Non-secret settings, and names of environment variables holding secrets (e.g. "tokenEnv")',
  })
  @IsObject()
  @IsScalarMap({ maxKeys: 30, maxLength: 500 })
  config!: Record<string, string | number | boolean>;
}

export class PutAppDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) name!: string;
  @ApiProperty({ type: ConnectorDto }) @ValidateNested() @Type(() => ConnectorDto) connector!: ConnectorDto;
  @ApiProperty({ type: [EntitlementDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => EntitlementDto)
  entitlements!: EntitlementDto[];
  @ApiPropertyOptional({ type: [LicenseDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => LicenseDto)
  licenses?: LicenseDto[];
  @ApiProperty({ type: PolicyDto }) @ValidateNested() @Type(() => PolicyDto) policy!: PolicyDto;
  @ApiPropertyOptional({
    minimum: 0,
    description:
      'the revision this write replaces (from GET): a stale one is refused with 409 REVISION_CONFLICT; 0 creates only; absent, the write replaces whatever is there',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  revision?: number;
}

export class DeleteAppQuery {
  @ApiPropertyOptional({ minimum: 0, description: 'refuse (409 REVISION_CONFLICT) unless the app is at this revision' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  revision?: number;
}

export class AppsQuery {
  @ApiPropertyOptional({ description: 'whose access `hasAccess` describes (default: the caller)' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  for?: string;
}

export class EntitlementsQuery extends AppsQuery {
  @ApiPropertyOptional({ description: 'search over id, name and description' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
