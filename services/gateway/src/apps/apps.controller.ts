import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { isAdmin, type Actor, type App, type ApprovalStepPolicy } from '@gatehouse/domain';
import { RevisionConflictError, Store, type RevisionedApp } from '@gatehouse/store';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { Audited } from '../audit/audit';
import { fail } from '../common/errors';
import { connectorUrls, refuseNonPublicUrl } from '../common/outbound-urls';
import type { GatewayConfig } from '../config';
import { ID_PATTERN } from '../common/ids';
import { PolicyDecisions } from '../policies/policy-decisions.service';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import { AppsQuery, DeleteAppQuery, EntitlementsQuery, PutAppDto } from './apps.dto';
import { DriftService } from './drift.service';

function appId(id: string): string {
  if (!ID_PATTERN.test(id)) fail('APP_NOT_FOUND', `No application ${id.slice(0, 40)}.`);
  return id;
}

/** An app as answered: the stored app and the revision a guarded write names. */
type AppWithRevision = App & { revision: number };
const withRevision = ({ app, revision }: RevisionedApp): AppWithRevision => ({ ...app, revision });

/** Runs a store write, answering a stale revision as 409 REVISION_CONFLICT. */
async function guarded<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof RevisionConflictError) fail('REVISION_CONFLICT', err.message);
    throw err;
  }
}

/** The items `keep` answers true for, in order. */
async function filterAsync<T>(items: T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept = await Promise.all(items.map(keep));
  return items.filter((_, i) => kept[i]);
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
  checkSteps(dto.policy.approval.steps, 'policy');
  dto.entitlements.forEach((e, i) => checkSteps(e.policy?.approval?.steps ?? [], `entitlements[${i}].policy`));
}

/** Every check a PUT makes before it writes (the impact preview makes the same ones), and the app it would store. */
export async function validatedApp(config: GatewayConfig, id: string, dto: PutAppDto): Promise<App> {
  if (!ID_PATTERN.test(id)) fail('VALIDATION_FAILED', 'appId: letters, digits and . _ @ - only');
  checkApp(dto);
  for (const [key, url] of connectorUrls(dto.connector.config))
    await refuseNonPublicUrl(config, `connector.config.${key}`, url);
  return appOf(id, dto);
}

/** The app a PUT body describes, as stored (only the DTO's fields, none the client added). */
function appOf(id: string, dto: PutAppDto): App {
  return {
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
}

/** A step's reminder and escalation settings, which only make sense together. */
function checkSteps(steps: ApprovalStepPolicy[], policyPath: string): void {
  steps.forEach((s, i) => {
    const where = `${policyPath}.approval.steps[${i}]`;
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
    @Inject(PolicyDecisions) private readonly policies: PolicyDecisions,
  ) {}

  /**
   * Which entitlements the catalog shows `userId`: those the access policies let them request (now, for
   * indefinite access, with no reason, for themselves) and those they hold. Null shows every one: an admin
   * caller, or no policy published (the catalog as without policies).
   */
  private async catalogFilter(
    actor: Actor,
    userId: string,
  ): Promise<((app: App, entitlementId: string, held: boolean) => Promise<boolean>) | null> {
    if (isAdmin(actor) || !(await this.policies.published())) return null;
    const principal = await this.policies.principalFor(userId, actor);
    const context = { at: new Date() };
    return async (app, entitlementId, held) =>
      held || (await this.policies.mayRequest(principal, app, entitlementId, context));
  }

  @Put(':appId')
  @AdminOnly()
  @Audited('app.put', 'appId')
  @ApiOperation({
    summary: 'Create or replace an application (admin); with `revision`, only if nobody changed it since',
  })
  @ApiConflictResponse({ description: 'REVISION_CONFLICT: `revision` is not the app’s current one' })
  async put(
    @Param('appId') id: string,
    @Body() dto: PutAppDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AppWithRevision> {
    const app = await validatedApp(this.config, id, dto);
    const { created, revision } = await guarded(() =>
      this.store.apps.put(JSON.parse(JSON.stringify(app)) as App, dto.revision),
    );
    // The app's hourly drift report; a PUT repeated after a failure here creates it then.
    await this.drift.ensureSchedule(id);
    res.status(created ? 201 : 200);
    const stored = await this.store.apps.getRevisioned(id);
    // A write that landed right after ours answers the newer app, with its own revision.
    return stored ? withRevision(stored) : { ...app, revision };
  }

  @Delete(':appId')
  @HttpCode(204)
  @AdminOnly()
  @Audited('app.delete', 'appId')
  @ApiOperation({ summary: 'Delete an application nobody holds access in (admin)' })
  @ApiNoContentResponse()
  @ApiConflictResponse({
    description:
      'APP_HAS_ACCESS: grants of the app are active (revoke them first); REVISION_CONFLICT: stale `revision`',
  })
  async delete(@Param('appId') id: string, @Query() q: DeleteAppQuery): Promise<void> {
    const current = await this.store.apps.getRevisioned(appId(id));
    if (!current) fail('APP_NOT_FOUND', `No application ${id}.`);
    const active = await this.store.grants.list({ appId: id, state: 'active' });
    if (active.length) {
      const tickets = [...new Set(active.map((g) => g.ticketId))];
      fail(
        'APP_HAS_ACCESS',
        `${active.length} grant(s) of ${id} are active (tickets ${tickets.slice(0, 10).join(', ')}): revoke them first.`,
      );
    }
    await guarded(() => this.store.apps.delete(id, q.revision ?? current!.revision));
    await this.drift.removeSchedule(id);
  }

  @Get()
  @ApiOperation({
    summary: 'Applications, with whether the user (default: the caller) has some access in each',
    description:
      'With access policies published, a non-admin sees only apps with an entitlement the user may request or holds; admins see every app.',
  })
  async list(@CurrentActor() actor: Actor, @Query() q: AppsQuery) {
    const userId = subjectOf(actor, q.for);
    const [apps, grants] = await Promise.all([
      this.store.apps.listRevisioned(),
      this.store.grants.list({ userId, state: 'active' }),
    ]);
    const withAccess = new Set(grants.map((g) => g.appId));
    const show = await this.catalogFilter(actor, userId);
    const heldKeys = new Set(grants.map((g) => `${g.appId}:${g.entitlementId}`));
    // An app hidden when the user may request none of its entitlements and holds none of them.
    const shown = show
      ? await filterAsync(apps, async ({ app: a }) => {
          for (const e of a.entitlements) if (await show(a, e.id, heldKeys.has(`${a.id}:${e.id}`))) return true;
          return false;
        })
      : apps;
    return shown.map(({ app: a, revision }) => ({
      id: a.id,
      name: a.name,
      connectorType: a.connector.type,
      hasAccess: withAccess.has(a.id),
      policy: a.policy,
      revision,
    }));
  }

  @Get(':appId')
  async get(@Param('appId') id: string): Promise<AppWithRevision> {
    const stored = await this.store.apps.getRevisioned(appId(id));
    if (!stored) fail('APP_NOT_FOUND', `No application ${id}.`);
    return withRevision(stored!);
  }

  @Get(':appId/entitlements')
  @ApiOperation({
    summary: 'The access catalog of an application, with the membership of a user',
    description:
      'With access policies published, a non-admin sees only the entitlements the user may request (now, indefinitely) or holds; admins see every entitlement.',
  })
  async entitlements(@CurrentActor() actor: Actor, @Param('appId') id: string, @Query() q: EntitlementsQuery) {
    const userId = subjectOf(actor, q.for);
    const app = await this.store.apps.get(appId(id));
    if (!app) fail('APP_NOT_FOUND', `No application ${id}.`);
    const held = await this.store.grants.activeFor(userId, app.id);
    const needle = q.q?.trim().toLowerCase();
    const show = await this.catalogFilter(actor, userId);
    const matching = app.entitlements.filter(
      (e) => !needle || [e.id, e.name, e.description ?? ''].some((s) => s.toLowerCase().includes(needle)),
    );
    const shown = show ? await filterAsync(matching, (e) => show(app, e.id, held.has(e.id))) : matching;
    return shown.map((e) => {
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
