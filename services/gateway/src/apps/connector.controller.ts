/**
 * An app's target application, for admins: the connection check, the drift report and re-applying a
 * grant the target lost. Each runs a short workflow on the workers (see drift.service.ts). A failed call
 * to the target (bad token, unknown account, target down after retries) answers 424 Failed Dependency
 * with the connector's failure type as `code`: it is not a Gatehouse bug, so not a 5xx.
 */
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { Response } from 'express';
import { CONNECTOR_ACTIVITY_FAILURES, NON_RETRYABLE_FAILURES, type App, type DriftReport } from '@gatehouse/domain';
import { Store } from '@gatehouse/store';
import { Audited } from '../audit/audit';
import { AdminOnly } from '../auth/actor';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';
import { ConnectorWorkflowError, DriftService } from './drift.service';

export class ConnectionCheckResponse {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ description: 'What the target answered, or why it could not be reached. Never a secret.' })
  message!: string;
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
}

export class DriftUnmanagedDto {
  @ApiProperty() entitlementId!: string;
  @ApiProperty({ description: 'The account as the target lists it' }) account!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The Gatehouse user whose accounts name it' })
  userId!: string | null;
}

export class DriftMissingDto {
  @ApiProperty() entitlementId!: string;
  @ApiProperty() userId!: string;
  @ApiProperty({ description: 'The ticket that owns the grant' }) ticketId!: string;
}

export class DriftErrorDto {
  @ApiProperty() entitlementId!: string;
  @ApiProperty({ example: 'ENTITLEMENT_NOT_FOUND' }) code!: string;
  @ApiProperty() message!: string;
}

export class DriftReportResponse {
  @ApiProperty() appId!: string;
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({
    type: [DriftUnmanagedDto],
    description: 'Accounts holding an entitlement in the target without an active grant',
  })
  unmanaged!: DriftUnmanagedDto[];
  @ApiProperty({ type: [DriftMissingDto], description: 'Active grants whose access the target does not show' })
  missing!: DriftMissingDto[];
  @ApiProperty({ type: [DriftErrorDto], description: 'Entitlements that could not be compared' })
  errors!: DriftErrorDto[];
}

export class ReapplyDto {
  @ApiProperty({ pattern: ID_PATTERN.source }) @IsString() @Matches(ID_PATTERN) userId!: string;
  @ApiProperty({ pattern: ID_PATTERN.source }) @IsString() @Matches(ID_PATTERN) entitlementId!: string;
}

export class ReapplyResponse {
  @ApiProperty() reapplied!: boolean;
  @ApiProperty({ description: 'The ticket that owns the grant' }) ticketId!: string;
}

/** The error body of a connector failure: 424, with the connector's failure type as the code. */
interface ConnectorErrorBody {
  statusCode: 424;
  code: string;
  message: string;
}

@ApiTags('apps')
@ApiBearerAuth()
@Controller('apps')
export class ConnectorController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly drift: DriftService,
  ) {}

  private async app(id: string): Promise<App> {
    const app = ID_PATTERN.test(id) ? await this.store.apps.get(id) : null;
    if (!app) fail('APP_NOT_FOUND', `No application ${id.slice(0, 40)}.`);
    return app!;
  }

  /** Maps a failed connector workflow: ours to 404/503, the connector's to 424 with its type. */
  private failed(err: unknown, res: Response): ConnectorErrorBody {
    if (!(err instanceof ConnectorWorkflowError)) throw err;
    if (err.timedOut) fail('DEPENDENCY_UNAVAILABLE', 'No Gatehouse worker answered in time; try again shortly.');
    if (err.type === NON_RETRYABLE_FAILURES.APP_NOT_FOUND) fail('APP_NOT_FOUND', err.message);
    if (err.type === CONNECTOR_ACTIVITY_FAILURES.GRANT_NOT_FOUND) fail('NOT_FOUND', err.message);
    res.status(424);
    return { statusCode: 424, code: err.type, message: err.message };
  }

  @Post(':appId/connector/check')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Check that the app’s connector reaches its target with its credentials (admin)' })
  @ApiResponse({ status: 200, type: ConnectionCheckResponse })
  async check(@Param('appId') id: string): Promise<ConnectionCheckResponse> {
    const app = await this.app(id);
    try {
      return await this.drift.checkConnection(app.id);
    } catch (err) {
      if (err instanceof ConnectorWorkflowError && err.timedOut)
        fail('DEPENDENCY_UNAVAILABLE', 'No Gatehouse worker answered in time; try again shortly.');
      if (err instanceof ConnectorWorkflowError && err.type === NON_RETRYABLE_FAILURES.APP_NOT_FOUND)
        fail('APP_NOT_FOUND', err.message);
      throw err;
    }
  }

  @Get(':appId/drift')
  @AdminOnly()
  @ApiOperation({
    summary: 'The latest drift report of an app: access in the target without a grant, grants without access (admin)',
  })
  @ApiResponse({ status: 200, type: DriftReportResponse })
  async latest(@Param('appId') id: string): Promise<DriftReport> {
    const app = await this.app(id);
    const report = await this.store.driftReports.latest(app.id);
    if (!report)
      fail('NOT_FOUND', `No drift report of ${app.id} yet: one runs every hour, or POST /apps/${app.id}/drift/run.`);
    return report!;
  }

  @Post(':appId/drift/run')
  @HttpCode(200)
  @AdminOnly()
  @Audited('app.drift.run', 'appId')
  @ApiOperation({ summary: 'Compute the app’s drift report now and answer it (admin)' })
  @ApiResponse({ status: 200, type: DriftReportResponse })
  @ApiResponse({
    status: 424,
    description: 'The target failed (code: the connector failure type, e.g. CONNECTOR_RETRYABLE)',
  })
  async run(
    @Param('appId') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DriftReport | ConnectorErrorBody> {
    const app = await this.app(id);
    try {
      await this.drift.runDrift(app.id);
    } catch (err) {
      return this.failed(err, res);
    }
    // Ours, unless a run that started later finished first: then that newer report.
    const report = await this.store.driftReports.latest(app.id);
    if (!report) fail('NOT_FOUND', `No drift report of ${app.id}.`);
    return report!;
  }

  @Post(':appId/drift/reapply')
  @HttpCode(200)
  @AdminOnly()
  @Audited('app.drift.reapply', 'appId')
  @ApiOperation({ summary: 'Grant again, in the target, access an active grant says the user holds (admin)' })
  @ApiResponse({ status: 200, type: ReapplyResponse })
  @ApiResponse({ status: 404, description: 'No such app or entitlement, or the user holds no active grant of it' })
  @ApiResponse({
    status: 424,
    description: 'The target refused or failed (code: the connector failure type, e.g. ACCOUNT_NOT_FOUND)',
  })
  async reapply(
    @Param('appId') id: string,
    @Body() dto: ReapplyDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReapplyResponse | ConnectorErrorBody> {
    const app = await this.app(id);
    if (!app.entitlements.some((e) => e.id === dto.entitlementId))
      fail('ENTITLEMENT_NOT_FOUND', `No entitlement ${dto.entitlementId} in ${app.id}.`);
    // A fast answer from the read model; the activity checks again, since the grant may end meanwhile.
    if (!(await this.store.grants.activeOwner(app.id, dto.userId, dto.entitlementId))) {
      fail('NOT_FOUND', `${dto.userId} holds no active grant of ${dto.entitlementId} in ${app.id}.`);
    }
    try {
      const result = await this.drift.reapply({ appId: app.id, userId: dto.userId, entitlementId: dto.entitlementId });
      return { reapplied: true, ticketId: result.ticketId };
    } catch (err) {
      return this.failed(err, res);
    }
  }
}
