import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  checkDuration,
  deriveAction,
  effectivePolicy,
  endsByItself,
  evaluateRequest,
  isAdmin,
  managerLevelsUsed,
  newTicketState,
  resolveApproverRules,
  resolveDuration,
  toUtcIso,
  type Actor,
  type AccessPolicy,
  type App,
  type Duration,
  type PolicyExplanation,
  type PolicyFlag,
  type Ticket,
  type TicketChange,
  type TicketAutoApproval,
  type TicketType,
  type TicketWorkflowInput,
} from '@gatehouse/domain';
import { extensionLimits, extensionsExhausted, extensionsOf } from './extension-limits';
import { claimKey, newTicketDoc, Store, TICKET_ID_PREFIX, type TicketDoc } from '@gatehouse/store';
import { requestExtensionUpdate, requestReraiseUpdate, RERAISE_WINDOW_CLOSED } from '@gatehouse/workflows';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { fail, GatehouseError } from '../common/errors';
import type { GatewayConfig } from '../config';
import { PolicyDecisions } from '../policies/policy-decisions.service';
import { PagerDutyOnCall } from '../oncall/pagerduty-oncall';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import { breakGlassDurationDto, breakGlassFlags, breakGlassReview, refuseUnlessAdd } from './break-glass';
import { decideTicket } from './ticket-eligibility';
import { TicketQueries } from './ticket-queries.service';
import { durationRequestOf, type CreateTicketDto, type ExtendDto, type ReraiseDto } from './tickets.dto';

/** A claim older than this whose ticket never got written was left by a crashed request. */
const STALE_CLAIM_MS = 60_000;

/** Ticket numbers skipped in a row because their workflow ids were taken, before a create gives up. */
const MAX_ID_COLLISIONS = 50;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What `POST /tickets/validate` answers. */
export interface ValidateResult {
  ok: boolean;
  flags: PolicyFlag[];
  policy?: PolicyExplanation;
  /**
   * Present when a create would be approved at once by the access policies: the `auto_approved` log entry
   * it would get (`reason` its comment, `policies` its details) and, when an on-call shift cuts it, the duration.
   */
  autoApproval?: TicketAutoApproval & { duration?: Duration };
}

function validatedAutoApproval({ reason, policies }: TicketAutoApproval, duration?: Duration) {
  return { reason, policies, ...(duration ? { duration } : {}) };
}

export interface CreateResult {
  ticket: Ticket;
  created: boolean;
}

/** A new ticket, checked and ready to launch. */
interface Prepared {
  app: App;
  beneficiaryId: string;
  changes: TicketChange[];
  action: TicketWorkflowInput['action'];
  duration: Duration | null;
  flags: PolicyFlag[];
  now: Date;
  type: TicketType;
  parentTicketId: string | null;
  reason?: string;
  /** The beneficiary's name, when the checks looked them up (someone other than the caller). */
  beneficiaryName?: string;
  /** An extension within the policy's `extensions` limits that approve it themselves (`autoApproveWithinMax`). */
  autoApproval?: TicketAutoApproval;
  /** Raised as break-glass (docs/policy.md, "Break-glass"): granted at once if a `BreakGlass` permit allows it. */
  breakGlass?: boolean;
  /**
   * Starts the ticket's workflow: top-level, or as a child of the workflow owning the access. `exists`:
   * a workflow with this ticket's id was already there (a retried request, or an id taken by another).
   */
  launch(input: TicketWorkflowInput): Promise<'started' | 'exists'>;
}

/** What a caller of `raise` knows before the checks. */
interface RaiseOptions {
  /** The claim keys the request needs, if the body alone names them: claimed while the checks run. */
  claimKeys?: string[];
  /** Writes the request's audit entry for the new ticket, alongside the ticket itself (see `record`). */
  audit?: AuditNew;
}

/** Writes the audit entry of a created ticket (its id and first status; the answer is 201). */
export type AuditNew = (ticket: { id: string; status: string }) => Promise<void>;

/** New tickets: requests, extensions of active access and re-raises of expired access. */
@Injectable()
export class TicketCreation {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TemporalService) private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(TicketQueries) private readonly queries: TicketQueries,
    @Inject(PolicyDecisions) private readonly policies: PolicyDecisions,
    @Inject(PagerDutyOnCall) private readonly onCall: PagerDutyOnCall,
  ) {}

  /** Every check of a create request, in the order a person fixes them: 403, 404, 400, then the policy flags. */
  private async check(actor: Actor, dto: CreateTicketDto) {
    const beneficiaryId = dto.onBehalfOf ?? actor.id;
    if (beneficiaryId !== actor.id && !isAdmin(actor))
      fail('FORBIDDEN', 'Only an admin may raise a ticket on behalf of someone else.');
    // Only the requested entitlements matter: look them up by key rather than listing every grant, while
    // the app is read (one round trip fewer on every create; unknown entitlements are refused below anyway).
    const holdings = this.store.grants.activeAmong(
      beneficiaryId,
      dto.appId,
      dto.changes.map((c) => c.entitlementId),
    );
    holdings.catch(() => undefined); // awaited below; a refusal before that must not leave it unhandled
    const leaver = this.refuseLeaver(actor, beneficiaryId);
    leaver.catch(() => undefined); // awaited below, a 403 before the app's 404
    const app = await this.store.apps.get(dto.appId);
    const beneficiaryName = await leaver;
    if (!app) fail('APP_NOT_FOUND', `No application ${dto.appId}.`);
    const changes: TicketChange[] = dto.changes.map((c) => {
      const e = app.entitlements.find((x) => x.id === c.entitlementId);
      if (!e) fail('ENTITLEMENT_NOT_FOUND', `${app.name} has no entitlement ${c.entitlementId}.`);
      return {
        op: c.op,
        entitlement: { id: e.id, name: e.name, kind: e.kind, ...(e.licenseId ? { licenseId: e.licenseId } : {}) },
        fields: c.op === 'add' ? { ...(c.fields ?? {}) } : {},
      };
    });
    const ids = changes.map((c) => c.entitlement.id);
    if (new Set(ids).size !== ids.length) fail('VALIDATION_FAILED', 'changes: each entitlement may appear only once');
    const action = deriveAction(changes);
    if (action === 'remove' && dto.duration) fail('VALIDATION_FAILED', 'duration: a remove ticket takes no duration');
    if (action !== 'remove' && !dto.duration)
      fail('VALIDATION_FAILED', 'duration: required (indefinite, limited with an end, or relative with seconds)');
    const now = new Date();
    const duration: Duration | null = dto.duration ? resolveDuration(durationRequestOf(dto.duration), now) : null;
    const held = await holdings;
    const flags = evaluateRequest(
      { changes: dto.changes, duration, reason: dto.reason },
      { app, now, holds: (id) => held.has(id), heldBy: (id) => held.get(id) },
    );
    return { app, beneficiaryId, beneficiaryName, changes, action, duration, flags, now };
  }

  async validate(actor: Actor, dto: CreateTicketDto): Promise<ValidateResult> {
    const checked = await this.checkRequest(actor, dto);
    const { app, beneficiaryId, flags: policyFlags } = checked;
    const decided = await decideTicket(this.policies, actor, { ...checked, reason: dto.reason }, this.onCall);
    // An auto-approved ticket has no steps, so nobody need be eligible to approve it.
    const effective = effectivePolicy(
      app,
      dto.changes.map((c) => c.entitlementId),
    );
    // Nor a break-glass one: its approvers review it afterwards, and admins always may.
    const approverFlags =
      decided.autoApproval || dto.breakGlass
        ? []
        : (await this.approvers(effective.policy, actor.id, beneficiaryId)).flags;
    const flags = [...decided.flags, ...policyFlags, ...(await this.unextendable(policyFlags)), ...approverFlags];
    // Explained only when an entitlement brought its own policy: otherwise the answer is as it always was.
    return {
      ok: flags.length === 0,
      flags,
      ...(effective.combined ? { policy: effective.explanation } : {}),
      ...(decided.autoApproval && !flags.length
        ? { autoApproval: validatedAutoApproval(decided.autoApproval, decided.duration) }
        : {}),
    };
  }

  /**
   * `check`, and for break-glass its own rules on top: only additions, a reason, at most the policy's
   * `breakGlass.maxSeconds` (asked for no duration: that long from now).
   */
  private async checkRequest(actor: Actor, dto: CreateTicketDto) {
    if (!dto.breakGlass) return this.check(actor, dto);
    const ids = dto.changes.map((c) => c.entitlementId);
    const app = dto.duration ? null : await this.store.apps.get(dto.appId);
    const asked = app ? { ...dto, duration: breakGlassDurationDto(effectivePolicy(app, ids).policy, new Date()) } : dto;
    const checked = await this.check(actor, asked);
    refuseUnlessAdd(checked.action);
    const policy = effectivePolicy(checked.app, ids).policy;
    const extra = breakGlassFlags(policy, checked.duration!, dto.reason, checked.now, checked.flags);
    return { ...checked, flags: [...checked.flags, ...extra], breakGlass: true };
  }

  /** EXTENSION_LIMIT for held access the validate answer suggests extending, once it may not be extended again. */
  private async unextendable(flags: PolicyFlag[]): Promise<PolicyFlag[]> {
    const suggested = flags.filter((f) => f.code === 'ALREADY_HAS_ACCESS' && f.suggest === 'extend' && f.ticketId);
    const found = await Promise.all(
      suggested.map(async (f) => {
        const owner = await this.store.tickets.get(f.ticketId!);
        const app = owner && (await this.store.apps.get(owner.app.id));
        if (!owner || !app) return undefined;
        const ids = (owner.changes as TicketChange[]).filter((c) => c.op === 'add').map((c) => c.entitlement.id);
        return extensionsExhausted(
          effectivePolicy(app, ids).policy.extensions,
          extensionsOf(owner),
          f.field ?? 'changes',
        );
      }),
    );
    return found.filter((f): f is PolicyFlag => f !== undefined);
  }

  /**
   * A leaver gets nothing new: an admin cannot raise a ticket for a user the directory deactivated (whose
   * offboarding may already have ended everything else). The caller's own status is the auth guard's.
   * Answers the beneficiary's name (their id when the directory has none), undefined for the caller.
   */
  private async refuseLeaver(actor: Actor, beneficiaryId: string): Promise<string | undefined> {
    if (beneficiaryId === actor.id) return undefined;
    const user = await this.store.users.get(beneficiaryId);
    if (user && !user.active)
      fail('USER_INACTIVE', `${beneficiaryId} is no longer active in the directory: no ticket can be raised for them.`);
    return user?.name ?? beneficiaryId;
  }

  /**
   * The policy the ticket runs with: approver rules `manager` and `manager:2` resolved against the
   * directory to the people they name now, so the workflow's input is concrete and a replay never reads
   * the directory (docs/identity.md, "The manager as approver"). Flags a step nobody could approve.
   */
  private async approvers(
    policy: AccessPolicy,
    requesterId: string,
    beneficiaryId: string,
  ): Promise<{ policy: AccessPolicy; flags: PolicyFlag[] }> {
    const levels = managerLevelsUsed(policy);
    if (!levels) return resolveApproverRules(policy, { requesterId, beneficiaryId, managers: [] });
    const managers = await this.store.users.managers(beneficiaryId, levels);
    return resolveApproverRules(policy, { requesterId, beneficiaryId, managers });
  }

  /** `audit`: writes the request's audit entry alongside the new ticket, instead of after it. */
  async create(actor: Actor, dto: CreateTicketDto, idempotencyKey?: string, audit?: AuditNew): Promise<CreateResult> {
    const beneficiaryId = dto.onBehalfOf ?? actor.id;
    // Only for a request the caller may make for this beneficiary (the 403 comes first, claiming nothing).
    const mayClaim = beneficiaryId === actor.id || isAdmin(actor);
    const claimKeys = mayClaim
      ? dto.changes.map((c) => claimKey(beneficiaryId, dto.appId, c.entitlementId))
      : undefined;
    return this.raise(actor, dto, idempotencyKey, { claimKeys, audit }, async () => {
      const { app, changes, action, duration, flags, now, beneficiaryName } = await this.checkRequest(actor, dto);
      return {
        app,
        beneficiaryId,
        ...(beneficiaryName !== undefined ? { beneficiaryName } : {}),
        changes,
        action,
        duration,
        flags,
        now,
        type: 'request',
        parentTicketId: null,
        reason: dto.reason,
        ...(dto.breakGlass ? { breakGlass: true } : {}),
        launch: async (input) => ((await this.temporal.startTicket(input)) === null ? 'exists' : 'started'),
      };
    });
  }

  /** More time on active limited access: an `extend` ticket, run as a child of the workflow that owns the access. */
  async extend(actor: Actor, parentId: string, dto: ExtendDto, idempotencyKey?: string): Promise<CreateResult> {
    return this.raise(actor, dto, idempotencyKey, {}, async () => {
      const { parent, app } = await this.parentOf(actor, parentId);
      const { start, end: currentEnd } = parent.access;
      const duration = parent.duration as Duration | null;
      if (
        parent.access.state !== 'active' ||
        !endsByItself(duration) ||
        start === null ||
        currentEnd === null ||
        parent.action === 'remove' ||
        parent.type === 'extend'
      ) {
        fail(
          'ACCESS_NOT_ACTIVE',
          `The access of ${parentId} is ${parent.access.state}${duration?.type === 'indefinite' ? ' and indefinite' : ''}; only active, time-limited access can be extended.`,
        );
      }
      const end = toUtcIso(dto.end);
      if (Date.parse(end) <= Date.parse(currentEnd))
        fail('VALIDATION_FAILED', `end: must be later than the access's current end (${currentEnd})`);
      const now = new Date();
      const extended: Duration = { type: 'limited', start, end };
      const changes = this.carriedChanges(parent, app);
      const policy = effectivePolicy(
        app,
        changes.map((c) => c.entitlement.id),
      ).policy;
      const flags = [
        ...(policy.requireReason && !dto.reason?.trim()
          ? [
              {
                code: 'REASON_REQUIRED' as const,
                message: 'A reason is required for this application.',
                field: 'reason',
              },
            ]
          : []),
        // The maximum counts from the later of the access start and now.
        ...checkDuration(policy, extended, now, {
          measureFrom: new Date(Math.max(now.getTime(), Date.parse(start))).toISOString(),
          allowPastStart: true,
        }),
      ];
      const limits = extensionLimits(policy.extensions, extensionsOf(parent), currentEnd, end);
      if (limits.flag) fail('EXTENSION_LIMIT', limits.flag.message, [limits.flag]);
      return {
        app,
        beneficiaryId: parent.beneficiary.id,
        changes,
        action: 'add',
        duration: extended,
        flags,
        now,
        ...(limits.autoApproval ? { autoApproval: limits.autoApproval } : {}),
        type: 'extend',
        parentTicketId: parent._id,
        reason: dto.reason,
        launch: async (input) => {
          try {
            await this.temporal.update(parent._id, requestExtensionUpdate, [input]);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) fail('ACCESS_NOT_ACTIVE', `The access of ${parentId} has ended.`);
            throw err;
          }
          // The owner starts the child and treats an existing one as this request's retry.
          return 'started';
        },
      };
    });
  }

  /** Access again after it expired: a `reraise` ticket, a child of the expired access's workflow while it is open. */
  async reraise(actor: Actor, parentId: string, dto: ReraiseDto, idempotencyKey?: string): Promise<CreateResult> {
    return this.raise(actor, dto, idempotencyKey, {}, async () => {
      const { parent, app } = await this.parentOf(actor, parentId);
      if (parent.access.state !== 'expired')
        fail('ACCESS_NOT_EXPIRED', `The access of ${parentId} is ${parent.access.state}, not expired.`);
      const now = new Date();
      const duration = resolveDuration(durationRequestOf(dto.duration), now);
      const changes = this.carriedChanges(parent, app);
      const held = await this.store.grants.activeAmong(
        parent.beneficiary.id,
        app.id,
        changes.map((c) => c.entitlement.id),
      );
      const flags = evaluateRequest(
        {
          changes: changes.map((c) => ({ op: c.op, entitlementId: c.entitlement.id, fields: c.fields })),
          duration,
          reason: dto.reason,
        },
        { app, now, holds: (id) => held.has(id), heldBy: (id) => held.get(id) },
      );
      return {
        app,
        beneficiaryId: parent.beneficiary.id,
        changes,
        action: 'add',
        duration,
        flags,
        now,
        type: 'reraise',
        parentTicketId: parent._id,
        reason: dto.reason,
        launch: async (input) => {
          try {
            await this.temporal.update(parent._id, requestReraiseUpdate, [input]);
            return 'started'; // the owner starts the child and treats an existing one as this request's retry
          } catch (err) {
            const closed =
              err instanceof WorkflowNotFoundError ||
              (err instanceof WorkflowUpdateFailedError &&
                err.cause instanceof ApplicationFailure &&
                err.cause.type === RERAISE_WINDOW_CLOSED);
            if (!closed) throw err;
          }
          // The expired access's workflow is gone: a new top-level workflow, linked by parentTicketId.
          if ((await this.temporal.startTicket(input)) === null) return 'exists';
          await this.store.tickets.addChild(parent._id, input.ticketId);
          return 'started';
        },
      };
    });
  }

  private async parentOf(actor: Actor, parentId: string): Promise<{ parent: TicketDoc; app: App }> {
    const parent = await this.queries.visibleDoc(actor, parentId);
    if (actor.id !== parent.requester.id && actor.id !== parent.beneficiary.id && !isAdmin(actor)) {
      fail('FORBIDDEN', 'Only the requester, the beneficiary or an admin may change this access.');
    }
    const app = await this.store.apps.get(parent.app.id);
    if (!app) fail('APP_NOT_FOUND', `No application ${parent.app.id}.`);
    return { parent, app };
  }

  /** The access a ticket granted, as changes against the app's current catalog. */
  private carriedChanges(parent: TicketDoc, app: App): TicketChange[] {
    return (parent.changes as TicketChange[])
      .filter((c) => c.op === 'add')
      .map((c) => {
        const e = app.entitlements.find((x) => x.id === c.entitlement.id);
        if (!e) fail('ENTITLEMENT_NOT_FOUND', `${app.name} no longer has ${c.entitlement.id}.`);
        return {
          op: 'add' as const,
          entitlement: { id: e.id, name: e.name, kind: e.kind, ...(e.licenseId ? { licenseId: e.licenseId } : {}) },
          fields: c.fields,
        };
      });
  }

  /**
   * What every new ticket goes through: idempotency, the policy, a ticket number, the pending claims,
   * then its workflow (`launch`) and only then the ticket document.
   */
  private async raise(
    actor: Actor,
    body: object,
    idempotencyKey: string | undefined,
    options: RaiseOptions,
    prepare: () => Promise<Prepared>,
    collisions = 0,
  ): Promise<CreateResult> {
    const bodyHash = createHash('sha256').update(stableJson(body)).digest('hex');
    const recordId = idempotencyKey ? `${actor.id}:${idempotencyKey}` : null;
    // A retry with the same key answers with the ticket the first request created, before any check
    // that the first request's own success would now fail (duplicate ticket, already has access).
    let reservedId: string | null = null;
    if (recordId) {
      const record = await this.store.idempotency.get(recordId);
      if (record) {
        if (record.bodyHash !== bodyHash)
          fail('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another body.');
        const existing = await this.store.tickets.get(record.ticketId);
        if (existing) return { ticket: await this.queries.toTicket(existing), created: false };
        reservedId = record.ticketId; // the first request died before its workflow started: finish it
      }
    }

    // The ticket number does not depend on the checks: take it while they run (one round trip fewer on
    // every create). A request they refuse leaves its number unused: ids grow, with gaps.
    const number = reservedId === null ? this.store.ticketNumbers.next() : null;
    number?.catch(() => undefined); // awaited below; a refusal before that must not leave it unhandled
    // Claims the body alone names are taken as soon as the number is, while the checks run (one round
    // trip fewer on every create); a refused request gives them back before it answers.
    const early = number && options.claimKeys ? this.claimNumbered(number, options.claimKeys, recordId) : null;
    early?.catch(() => undefined); // awaited below, after the checks' refusals
    const giveBack = async () => {
      const taken = early && (await early.catch(() => null));
      if (taken && taken.holder === null) await this.store.claims.release(taken.ticketId, options.claimKeys!);
    };
    // Set once the workflow is being started: from then on its claims are the ticket's (a failed start releases them).
    const progress = { launching: false };
    try {
      return await this.checkAndLaunch(actor, body, idempotencyKey, options, prepare, collisions, {
        number,
        reservedId,
        recordId,
        bodyHash,
        early,
        giveBack,
        progress,
      });
    } catch (err) {
      if (!progress.launching) await giveBack().catch(() => undefined); // else taken over once stale
      throw err;
    }
  }

  private async claimNumbered(number: Promise<number>, keys: string[], recordId: string | null) {
    const ticketId = this.ticketIdOf(await number);
    return { ticketId, holder: await this.claim(keys, ticketId, recordId) };
  }

  private ticketIdOf(n: number): string {
    return `${TICKET_ID_PREFIX}${this.config.ticketNumberStart + n}`;
  }

  /**
   * Claims the keys for the ticket; answers the pending ticket that holds one of them, if any. A claim
   * without a ticket is taken over once stale, or at once by a retry of the request that took it (same
   * Idempotency-Key): that request died after its claim and before it recorded its key, so the retry
   * cannot find its ticket number and would otherwise be refused by its own claim for a minute.
   */
  private claim(keys: string[], ticketId: string, recordId: string | null): Promise<string | null> {
    return this.store.claims.claim(
      keys,
      ticketId,
      async (claim) => {
        const doc = await this.store.tickets.get(claim.ticketId);
        if (doc) return doc.status !== 'pending';
        if (recordId !== null && claim.requestKey === recordId) return true;
        return Date.now() - Date.parse(claim.createdAt) > STALE_CLAIM_MS;
      },
      recordId ?? undefined,
    );
  }

  private async checkAndLaunch(
    actor: Actor,
    body: object,
    idempotencyKey: string | undefined,
    options: RaiseOptions,
    prepare: () => Promise<Prepared>,
    collisions: number,
    taken: {
      number: Promise<number> | null;
      reservedId: string | null;
      recordId: string | null;
      bodyHash: string;
      early: Promise<{ ticketId: string; holder: string | null }> | null;
      giveBack: () => Promise<void>;
      progress: { launching: boolean };
    },
  ): Promise<CreateResult> {
    const { number, reservedId, recordId, bodyHash, early, giveBack, progress } = taken;
    const p = await prepare();
    const leaver = p.type !== 'request' ? await this.refuseLeaver(actor, p.beneficiaryId) : undefined; // requests: in check()
    const lookedUp = p.beneficiaryName ?? leaver;
    // The access policies first: a user who may not ask at all is told so before what to ask differently.
    const decided = await decideTicket(this.policies, actor, p, this.onCall);
    if (!decided.flags.length && !decided.autoApproval && p.autoApproval) decided.autoApproval = p.autoApproval;
    if (decided.flags.length)
      throw new GatehouseError('NOT_ELIGIBLE', decided.flags.map((f) => f.message).join(' '), decided.flags);
    const policy = effectivePolicy(
      p.app,
      p.changes.map((c) => c.entitlement.id),
    ).policy;
    const approvers = await this.approvers(policy, actor.id, p.beneficiaryId);
    // An auto-approved ticket has no steps, so nobody need be eligible to approve it.
    const approverFlags = decided.autoApproval || p.breakGlass ? [] : approvers.flags;
    const flags = [...p.flags, ...approverFlags];
    if (flags.length) {
      // A ticket nobody could approve is refused as such, whatever else the request got wrong.
      const code = approverFlags.length ? 'NO_ELIGIBLE_APPROVER' : 'POLICY_VIOLATION';
      throw new GatehouseError(code, flags.map((f) => f.message).join(' '), flags);
    }

    // The names do not depend on the number or the claims: look them up while those are taken (the
    // beneficiary's was read by the checks).
    const names = Promise.all([
      this.nameOf(actor.id, actor.name),
      p.beneficiaryId === actor.id ? null : (lookedUp ?? this.nameOf(p.beneficiaryId)),
    ]);
    names.catch(() => undefined); // awaited below; a refusal before that must not leave it unhandled
    const ticketId = number ? this.ticketIdOf(await number) : String(reservedId);
    if (recordId && !reservedId) {
      const record = await this.store.idempotency.insertOrGet({
        _id: recordId,
        bodyHash,
        ticketId,
        createdAt: p.now.toISOString(),
      });
      if (record.ticketId !== ticketId) {
        await giveBack(); // lost a race with the same key: its winner claims for its own ticket
        return this.raise(actor, body, idempotencyKey, options, prepare, collisions);
      }
    }

    const claimKeys = p.changes.map((c) => claimKey(p.beneficiaryId, p.app.id, c.entitlement.id));
    const holder = early ? (await early).holder : await this.claim(claimKeys, ticketId, recordId);
    if (holder) fail('DUPLICATE_OPEN_TICKET', `Ticket ${holder} for the same access is still pending.`);

    const [requesterName, beneficiaryName] = await names;
    const input: TicketWorkflowInput = {
      schema: 1,
      ticketId,
      type: p.type,
      action: p.action,
      requester: { id: actor.id, name: requesterName },
      beneficiary: { id: p.beneficiaryId, name: beneficiaryName ?? requesterName },
      app: { id: p.app.id, name: p.app.name },
      changes: p.changes,
      // An auto-approving policy marked @endsWithOnCallShift ends the access with the on-call shift.
      duration: decided.duration ?? p.duration,
      reason: p.reason?.trim() || null,
      // Auto-approved: no steps, so the workflow approves it at start as for an app without approvals.
      policy: decided.autoApproval
        ? { ...approvers.policy, approval: { ...approvers.policy.approval, steps: [] } }
        : approvers.policy,
      createdAt: p.now.toISOString(),
      parentTicketId: p.parentTicketId,
      createdBy: { id: actor.id },
      ...(decided.autoApproval ? { autoApproval: decided.autoApproval } : {}),
      ...(decided.policySet ? { policySet: decided.policySet } : {}),
      ...(p.breakGlass ? { breakGlass: breakGlassReview(policy, p.now, decided.breakGlassPolicies ?? []) } : {}),
    };
    let launched: 'started' | 'exists';
    progress.launching = true;
    try {
      launched = await p.launch(input);
    } catch (err) {
      // Nothing started: the access is free to ask for again.
      await this.store.claims.release(ticketId, claimKeys);
      throw err;
    }
    if (launched === 'exists' && !reservedId) {
      // A freshly taken number whose workflow id is already in use: not this request's (that would have
      // reserved the id), so the ticket numbers were reset or another deployment shares the namespace
      // (TICKET_NUMBER_START). Never answer with that workflow's ticket: give the number up, take the next.
      await this.store.claims.release(ticketId, claimKeys);
      if (recordId) await this.store.idempotency.forget(recordId, ticketId);
      if (collisions >= MAX_ID_COLLISIONS) {
        throw new GatehouseError(
          'DEPENDENCY_UNAVAILABLE',
          `Ticket ids ${ticketId} and the ${MAX_ID_COLLISIONS} before it are taken by other workflows: check TICKET_NUMBER_START.`,
        );
      }
      return this.raise(actor, body, idempotencyKey, options, prepare, collisions + 1);
    }
    return { ticket: await this.record(input, p.app, options.audit), created: true };
  }

  /**
   * Writes the ticket of a started workflow. In that order a crash leaves no ticket without a
   * workflow; a workflow without a ticket writes its own ticket with its first activity. The audit
   * entry of the request (the started workflow is the ticket) is written alongside: one round trip less.
   */
  private async record(input: TicketWorkflowInput, app: App, audit?: AuditNew): Promise<Ticket> {
    const doc = newTicketDoc({
      ticketId: input.ticketId,
      version: 0,
      runId: '',
      ticket: input,
      state: newTicketState(input),
    });
    const [inserted] = await Promise.all([
      this.store.tickets.insertIfAbsent(doc),
      audit?.({ id: input.ticketId, status: doc.status }),
    ]);
    // Only when the workflow's first write got there first is the stored ticket newer than this one.
    const stored = inserted ? doc : ((await this.store.tickets.get(input.ticketId)) ?? doc);
    return this.queries.toTicket(stored, undefined, app);
  }

  private async nameOf(userId: string, claimed?: string): Promise<string> {
    if (claimed) {
      await this.store.users.remember(userId, { name: claimed });
      return claimed;
    }
    return (await this.store.users.get(userId))?.name ?? userId;
  }
}
