/**
 * What an admin editing an app needs beyond the app itself: the impact preview of a change (what
 * `PUT /apps/:appId` with the same body would do to who approves what, and which open tickets it
 * concerns; validated exactly as the PUT, so a client also uses it as a dry run of the PUT's validation;
 * nothing is written), and the seat usage of the app's licenses.
 */
import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { App } from '@gatehouse/domain';
import { Store } from '@gatehouse/store';
import { AdminOnly } from '../auth/actor';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import { validatedApp } from './apps.controller';
import { PutAppDto } from './apps.dto';
import { appImpact, concernedEntitlements, IMPACT_LIST_LIMIT, rulesToResolve, type AppImpact } from './impact';

class PersonRefDto {
  @ApiProperty() id!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) name!: string | null;
}

class PeopleDeltaDto {
  @ApiProperty({ description: 'how many people, in all' }) count!: number;
  @ApiProperty({ type: [PersonRefDto], description: `the first ${IMPACT_LIST_LIMIT}, by id` })
  people!: PersonRefDto[];
}

class StepImpactDto {
  @ApiProperty({ enum: ['app', 'entitlement'] }) scope!: 'app' | 'entitlement';
  @ApiPropertyOptional({ nullable: true, type: String, description: 'for scope entitlement' })
  entitlementId!: string | null;
  @ApiProperty({ description: '0-based position of the step (steps are compared by position)' }) index!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['added', 'removed', 'changed'] }) change!: 'added' | 'removed' | 'changed';
  @ApiProperty({ type: PeopleDeltaDto }) becomeApprovers!: PeopleDeltaDto;
  @ApiProperty({ type: PeopleDeltaDto }) stopApprovers!: PeopleDeltaDto;
  @ApiProperty({ type: [String], description: '`manager` rules of the step: resolved for each ticket' })
  perTicketRules!: string[];
}

class ListDeltaDto {
  @ApiProperty({ type: [String] }) added!: string[];
  @ApiProperty({ type: [String] }) changed!: string[];
  @ApiProperty({ type: [String] }) removed!: string[];
}

class AppChangesDto {
  @ApiProperty() name!: boolean;
  @ApiProperty() connector!: boolean;
  @ApiProperty() policy!: boolean;
  @ApiProperty({ type: ListDeltaDto }) entitlements!: ListDeltaDto;
  @ApiProperty({ type: ListDeltaDto }) licenses!: ListDeltaDto;
}

class OpenTicketsDto {
  @ApiProperty() count!: number;
  @ApiProperty({ type: [String], description: `newest first, at most ${IMPACT_LIST_LIMIT}` }) ids!: string[];
}

export class AppImpactResponse {
  @ApiProperty() appId!: string;
  @ApiProperty({ description: 'false: a new app; everything is described as added' }) exists!: boolean;
  @ApiProperty({ type: AppChangesDto }) changes!: AppChangesDto;
  @ApiProperty({ type: [StepImpactDto], description: 'only steps whose settings change' }) steps!: StepImpactDto[];
  @ApiProperty({
    type: OpenTicketsDto,
    description:
      'pending tickets for an entitlement that is removed or whose approval steps change; they keep the approvers they were raised with',
  })
  openTickets!: OpenTicketsDto;
  @ApiProperty({ type: [String], example: ['makes 14 people approvers of GitHub step 1 (Team lead)'] })
  summary!: string[];
}

export class LicenseUsageDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() seats!: number;
  @ApiProperty({ description: 'seats taken by access granted or being granted' }) used!: number;
  @ApiProperty() available!: number;
}

@ApiTags('apps')
@ApiBearerAuth()
@Controller('apps')
export class ImpactController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post(':appId/impact')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary: 'What PUT /apps/:appId with this body would change: approvers per step, open tickets (admin)',
    description:
      'Validates the body exactly as the PUT does (same 400 VALIDATION_FAILED messages naming the field), writes nothing. `revision` is ignored.',
  })
  @ApiResponse({ status: 200, type: AppImpactResponse })
  async impact(@Param('appId') id: string, @Body() dto: PutAppDto): Promise<AppImpact> {
    const after = await validatedApp(this.config, id, dto);
    const before = await this.store.apps.get(id);
    const rules = rulesToResolve(before, after);
    const [people, openTickets] = await Promise.all([
      rules.length ? this.store.users.matchingRules(rules) : Promise.resolve([]),
      this.openTickets(before, after),
    ]);
    return appImpact(before, after, people, openTickets);
  }

  @Get(':appId/licenses')
  @AdminOnly()
  @ApiOperation({ summary: 'The app’s licenses with their seats used and available (admin)' })
  @ApiResponse({ status: 200, type: [LicenseUsageDto] })
  async licenses(@Param('appId') id: string): Promise<LicenseUsageDto[]> {
    const app = ID_PATTERN.test(id) ? await this.store.apps.get(id) : null;
    if (!app) fail('APP_NOT_FOUND', `No application ${id.slice(0, 40)}.`);
    return Promise.all(
      app!.licenses.map(async (l) => {
        const used = await this.store.seats.used(app!.id, l.id);
        return { id: l.id, name: l.name, seats: l.seats, used, available: Math.max(0, l.seats - used) };
      }),
    );
  }

  /** The app's pending tickets for the entitlements the change concerns: a count and the newest ids. */
  private async openTickets(before: App | null, after: App): Promise<{ count: number; ids: string[] }> {
    const entitlementIds = concernedEntitlements(before, after);
    if (!entitlementIds.length) return { count: 0, ids: [] };
    const filter = { 'app.id': after.id, status: 'pending', entitlementIds: { $in: entitlementIds } };
    const [count, docs] = await Promise.all([
      this.store.tickets.model.countDocuments(filter).exec(),
      this.store.tickets.model.find(filter, { _id: 1 }).sort({ seq: -1 }).limit(IMPACT_LIST_LIMIT).lean().exec(),
    ]);
    return { count, ids: docs.map((d) => d._id) };
  }
}
