import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { onCallSchedules, type Actor } from '@gatehouse/domain';
import { Store, type PolicyVersion } from '@gatehouse/store';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { Audited } from '../audit/audit';
import { fail } from '../common/errors';
import { ID_PATTERN } from '../common/ids';
import { STORE } from '../tokens';
import { checkPolicyText, type Diagnostic } from './cedar';
import { InvalidPolicyError, InvalidPolicyFilter } from './invalid-policy.filter';
import { PolicyQuery, PutPolicyDto, RequestersQuery, SimulateDto } from './policies.dto';
import { PagerDutyOnCall } from '../oncall/pagerduty-oncall';
import { PolicyDecisions } from './policy-decisions.service';
import { GATEHOUSE_SCHEMA, GATEHOUSE_SCHEMA_JSON, NAMESPACE } from './schema';

/** Path segments of this controller that can never be policy ids. */
const RESERVED_IDS = new Set(['schema', 'simulate']);

/** Attempts of an unguarded PUT (no `revision`) when other writers keep taking the next revision. */
const UNGUARDED_ATTEMPTS = 5;

function view(v: PolicyVersion) {
  return {
    id: v.policyId,
    revision: v.revision,
    description: v.description,
    cedar: v.cedar,
    author: v.author,
    at: v.at,
  };
}

/** The revision a guarded change must name: the current one, or 0 for a document that is absent or deleted. */
function currentRevision(latest: PolicyVersion | null): number {
  return latest && !latest.deleted ? latest.revision : 0;
}

function policyId(id: string): string {
  if (!ID_PATTERN.test(id)) fail('NOT_FOUND', `No policy ${id.slice(0, 40)}.`);
  return id;
}

/** Refuses text that does not parse or validate, with Cedar's diagnostics; returns its warnings. */
function checked(cedar: string): Diagnostic[] {
  const { diagnostics, warnings } = checkPolicyText(cedar);
  if (diagnostics.length) throw new InvalidPolicyError(diagnostics);
  return warnings;
}

@ApiTags('policies')
@ApiBearerAuth()
@UseFilters(InvalidPolicyFilter)
@Controller()
export class PoliciesController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly decisions: PolicyDecisions,
    private readonly onCall: PagerDutyOnCall,
  ) {}

  @Get('policies')
  @ApiOperation({ summary: 'The current version of every policy document' })
  async list() {
    return (await this.store.policies.current()).map(view);
  }

  @Get('policies/schema')
  @ApiOperation({ summary: 'The Cedar schema policies are validated against, as Cedar schema text and JSON' })
  schema() {
    return { namespace: NAMESPACE, cedar: GATEHOUSE_SCHEMA, json: GATEHOUSE_SCHEMA_JSON };
  }

  @Get('policies/:id')
  @ApiOperation({ summary: 'A policy document (current or `?revision=`), with the list of its versions' })
  async get(@Param('id') id: string, @Query() q: PolicyQuery) {
    const versions = await this.store.policies.versions(policyId(id));
    const shown = q.revision === undefined ? versions[0] : versions.find((v) => v.revision === q.revision);
    // A deleted document is gone; its earlier revisions stay readable by number.
    if (!shown || shown.deleted)
      fail('NOT_FOUND', q.revision ? `No revision ${q.revision} of policy ${id}.` : `No policy ${id}.`);
    return {
      ...view(shown),
      current: shown.revision === versions[0].revision,
      versions: versions.map((v) => ({
        revision: v.revision,
        description: v.description,
        author: v.author,
        at: v.at,
        ...(v.deleted ? { deleted: true } : {}),
      })),
    };
  }

  @Put('policies/:id')
  @AdminOnly()
  @Audited('policy.put', 'id')
  @ApiOperation({ summary: 'Publish a new version of a policy document (admin)' })
  @ApiResponse({
    status: 422,
    description: 'INVALID_POLICY: the body has `diagnostics` [{line, column, message, help, policy}]',
  })
  @ApiResponse({ status: 409, description: 'REVISION_CONFLICT: `revision` is not the current revision' })
  async put(
    @Param('id') id: string,
    @Body() dto: PutPolicyDto,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (!ID_PATTERN.test(id) || RESERVED_IDS.has(id)) {
      fail('VALIDATION_FAILED', 'id: letters, digits and . _ @ - only, and not "schema" or "simulate"');
    }
    const warnings = checked(dto.cedar);
    for (let attempt = 1; ; attempt++) {
      const latest = await this.store.policies.latest(id);
      const current = currentRevision(latest);
      if (dto.revision !== undefined && dto.revision !== current) {
        fail('REVISION_CONFLICT', `Policy ${id} is at revision ${current}, not ${dto.revision}: read it again.`);
      }
      const version: PolicyVersion = {
        policyId: id,
        // Numbers go on after a deletion: every revision ever published stays readable.
        revision: (latest?.revision ?? 0) + 1,
        cedar: dto.cedar,
        // Omitted: the document keeps its description.
        description: dto.description ?? latest?.description ?? null,
        author: actor.id,
        at: new Date().toISOString(),
      };
      // The insert of `<id>:<revision>` is the lock: of two writers of the same revision one gets false.
      if (await this.store.policies.insert(version)) {
        await this.decisions.reload();
        res.status(current === 0 ? 201 : 200);
        return { ...view(version), warnings };
      }
      if (dto.revision !== undefined) {
        fail('REVISION_CONFLICT', `Policy ${id} was changed meanwhile (revision ${current + 1}): read it again.`);
      }
      if (attempt === UNGUARDED_ATTEMPTS) fail('REVISION_CONFLICT', `Policy ${id} keeps changing: send its revision.`);
    }
  }

  @Delete('policies/:id')
  @HttpCode(204)
  @AdminOnly()
  @Audited('policy.delete', 'id')
  @ApiOperation({
    summary: 'Delete a policy document (admin): it stops deciding at once; its earlier revisions stay readable',
  })
  @ApiNoContentResponse()
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no such document, or it is deleted already' })
  @ApiResponse({ status: 409, description: 'REVISION_CONFLICT: `?revision=` is not the current revision' })
  async delete(@Param('id') id: string, @Query() q: PolicyQuery, @CurrentActor() actor: Actor): Promise<void> {
    policyId(id);
    for (let attempt = 1; ; attempt++) {
      const latest = await this.store.policies.latest(id);
      if (!latest || latest.deleted) fail('NOT_FOUND', `No policy ${id}.`);
      if (q.revision !== undefined && q.revision !== latest.revision) {
        fail('REVISION_CONFLICT', `Policy ${id} is at revision ${latest.revision}, not ${q.revision}: read it again.`);
      }
      // A version of its own (claimed like any other), so other gateways notice it and reload.
      const tombstone: PolicyVersion = {
        policyId: id,
        revision: latest.revision + 1,
        cedar: '',
        description: latest.description,
        author: actor.id,
        at: new Date().toISOString(),
        deleted: true,
      };
      if (await this.store.policies.insert(tombstone)) {
        await this.decisions.reload();
        return;
      }
      if (q.revision !== undefined) {
        fail(
          'REVISION_CONFLICT',
          `Policy ${id} was changed meanwhile (revision ${latest.revision + 1}): read it again.`,
        );
      }
      if (attempt === UNGUARDED_ATTEMPTS) fail('REVISION_CONFLICT', `Policy ${id} keeps changing: send its revision.`);
    }
  }

  @Post('policies/simulate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary:
      'What the policies decide for a directory user, an entitlement and a context, and which policies decided (admin)',
  })
  async simulate(@Body() dto: SimulateDto) {
    const principal = await this.decisions.principalOf(dto.userId);
    if (!principal) fail('USER_NOT_FOUND', `No user ${dto.userId} in the directory.`);
    const app = await this.store.apps.get(dto.appId);
    if (!app) fail('APP_NOT_FOUND', `No application ${dto.appId}.`);
    const { at, ...rest } = dto.context ?? {};
    if (at !== undefined && Number.isNaN(Date.parse(at))) fail('VALIDATION_FAILED', 'context.at: not a time');
    const input = {
      principal,
      app,
      entitlementId: dto.entitlementId,
      context: {
        ...rest,
        // Not given: who PagerDuty says is on call now, as a ticket would be decided.
        onCallFor:
          rest.onCallFor ??
          (await this.onCall.shiftsOf(app.id, principal.email, onCallSchedules(app, dto.entitlementId))).map(
            (s) => s.scheduleId,
          ),
        ...(at ? { at: new Date(at) } : {}),
      },
    };
    if (!dto.draft) return { principal, ...(await this.decisions.decide(input)) };
    checked(dto.draft.cedar);
    const draft = { id: dto.draft.id, revision: 0, cedar: dto.draft.cedar };
    return { principal, ...(await this.decisions.decideWithDraft(input, draft)) };
  }

  @Get('apps/:appId/entitlements/:entitlementId/requesters')
  @AdminOnly()
  @ApiOperation({ summary: 'Active directory users the policies let request this entitlement (admin)' })
  async requesters(
    @Param('appId') appId: string,
    @Param('entitlementId') entitlementId: string,
    @Query() q: RequestersQuery,
  ) {
    const app = ID_PATTERN.test(appId) ? await this.store.apps.get(appId) : null;
    if (!app) fail('APP_NOT_FOUND', `No application ${appId.slice(0, 40)}.`);
    return this.decisions.requesters(app, entitlementId, q.limit ?? 100);
  }
}
