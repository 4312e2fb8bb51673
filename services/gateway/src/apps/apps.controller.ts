import { Body, Controller, Get, Inject, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { isAdmin, type Actor, type App } from '@gatehouse/domain';
import { Store } from '@gatehouse/store';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { Audited } from '../audit/audit';
import { fail } from '../common/errors';
import { connectorUrls, refuseNonPublicUrl } from '../common/outbound-urls';
import type { GatewayConfig } from '../config';
import { ID_PATTERN } from '../common/ids';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import { AppsQuery, EntitlementsQuery, PutAppDto } from './apps.dto';
import { DriftService } from './drift.service';

function appId(id: string): string {
  if (!ID_PATTERN.test(id)) fail('APP_NOT_FOUND', `No application ${id.slice(0, 40)}.`);
  return id;
}

/** Whose access a catalog call describes: the caller, or anyone for an admin. */
export function subjectOf(actor: Actor, requested?: string): string {
  const userId = requested ?? actor.id;
  if (userId !== actor.id && !isAdmin(actor)) fail('FORBIDDEN', 'Only an admin may look at another user’s access.');
  return userId;
}

/** Semantic checks class-validator cannot express: unique ids and references that resolve. */
function checkApp(dto: PutAppDto): void {
  const unique = (ids: string[], what: string) => {
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) fail('VALIDATION_FAILED', `${what}: "${dup}" appears twice`);
  };
  unique(
    dto.entitlements.map((e) => e.id),
    'entitlements',
  );
  unique(
    (dto.licenses ?? []).map((l) => l.id),
    'licenses',
  );
  dto.entitlements.forEach((e, i) => {
    if (e.licenseId && !(dto.licenses ?? []).some((l) => l.id === e.licenseId)) {
      fail('VALIDATION_FAILED', `entitlements[${i}].licenseId: no license "${e.licenseId}" in licenses`);
    }
    unique(
      (e.fields ?? []).map((f) => f.key),
      `entitlements[${i}].fields`,
    );
    (e.fields ?? []).forEach((f, j) => {
      if (f.type === 'enum' && !f.options?.length)
        fail('VALIDATION_FAILED', `entitlements[${i}].fields[${j}].options: an enum field needs options`);
      if (f.pattern && f.type !== 'string')
        fail('VALIDATION_FAILED', `entitlements[${i}].fields[${j}].pattern: only string fields take a pattern`);
    });
  });
  dto.policy.approval.steps.forEach((s, i) => {
    const where = `policy.approval.steps[${i}]`;
    if (s.escalateAfterSeconds !== undefined && !s.escalateTo?.length)
      fail('VALIDATION_FAILED', `${where}.escalateTo: escalateAfterSeconds needs fallback approvers`);
    if (s.escalateTo?.length && s.escalateAfterSeconds === undefined)
      fail('VALIDATION_FAILED', `${where}.escalateAfterSeconds: escalateTo needs a delay`);
    if (
      s.remindAfterSeconds !== undefined &&
      s.escalateAfterSeconds !== undefined &&
      s.remindAfterSeconds >= s.escalateAfterSeconds
    ) {
      fail(
        'VALIDATION_FAILED',
        `${where}.remindAfterSeconds: must be shorter than escalateAfterSeconds (remind first, then escalate)`,
      );
    }
  });
}

@ApiTags('apps')
@ApiBearerAuth()
@Controller('apps')
export class AppsController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly drift: DriftService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Put(':appId')
  @AdminOnly()
  @Audited('app.put', 'appId')
  @ApiOperation({ summary: 'Create or replace an application (admin)' })
  async put(
    @Param('appId') id: string,
    @Body() dto: PutAppDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<App> {
    if (!ID_PATTERN.test(id)) fail('VALIDATION_FAILED', 'appId: letters, digits and . _ @ - only');
    checkApp(dto);
    for (const [key, url] of connectorUrls(dto.connector.config))
      await refuseNonPublicUrl(this.config, `connector.config.${key}`, url);
    const app: App = {
      id,
      name: dto.name,
      connector: { type: dto.connector.type, config: dto.connector.config },
      entitlements: dto.entitlements.map((e) => ({ ...e })),
      licenses: (dto.licenses ?? []).map((l) => ({ ...l })),
      policy: {
        ...dto.policy,
        approval: {
          steps: dto.policy.approval.steps.map((s) => ({
            name: s.name,
            approvers: [...s.approvers],
            minApprovals: s.minApprovals,
            ...(s.remindAfterSeconds !== undefined ? { remindAfterSeconds: s.remindAfterSeconds } : {}),
            ...(s.escalateAfterSeconds !== undefined
              ? { escalateAfterSeconds: s.escalateAfterSeconds, escalateTo: [...(s.escalateTo ?? [])] }
              : {}),
          })),
        },
      },
    };
    const { created } = await this.store.apps.put(JSON.parse(JSON.stringify(app)) as App);
    // The app's hourly drift report; a PUT repeated after a failure here creates it then.
    await this.drift.ensureSchedule(id);
    res.status(created ? 201 : 200);
    return (await this.store.apps.get(id))!;
  }

  @Get()
  @ApiOperation({ summary: 'Applications, with whether the user (default: the caller) has some access in each' })
  async list(@CurrentActor() actor: Actor, @Query() q: AppsQuery) {
    const userId = subjectOf(actor, q.for);
    const [apps, grants] = await Promise.all([
      this.store.apps.list(),
      this.store.grants.list({ userId, state: 'active' }),
    ]);
    const withAccess = new Set(grants.map((g) => g.appId));
    return apps.map((a) => ({
      id: a.id,
      name: a.name,
      connectorType: a.connector.type,
      hasAccess: withAccess.has(a.id),
      policy: a.policy,
    }));
  }

  @Get(':appId')
  async get(@Param('appId') id: string): Promise<App> {
    const app = await this.store.apps.get(appId(id));
    if (!app) fail('APP_NOT_FOUND', `No application ${id}.`);
    return app!;
  }

  @Get(':appId/entitlements')
  @ApiOperation({ summary: 'The access catalog of an application, with the membership of a user' })
  async entitlements(@CurrentActor() actor: Actor, @Param('appId') id: string, @Query() q: EntitlementsQuery) {
    const userId = subjectOf(actor, q.for);
    const app = await this.store.apps.get(appId(id));
    if (!app) fail('APP_NOT_FOUND', `No application ${id}.`);
    const held = await this.store.grants.activeFor(userId, app.id);
    const needle = q.q?.trim().toLowerCase();
    return app.entitlements
      .filter((e) => !needle || [e.id, e.name, e.description ?? ''].some((s) => s.toLowerCase().includes(needle)))
      .map((e) => {
        const grant = held.get(e.id);
        return {
          id: e.id,
          kind: e.kind,
          name: e.name,
          description: e.description ?? null,
          licenseId: e.licenseId ?? null,
          fields: e.fields ?? [],
          membership: { hasAccess: Boolean(grant), ticketId: grant?.ticketId ?? null, end: grant?.end ?? null },
        };
      });
  }
}
