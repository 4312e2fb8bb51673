import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  approverRulesOf,
  checkDuration,
  decisionRefusal,
  deriveAction,
  evaluateRequest,
  isAdmin,
  resolveDuration,
  toUtcIso,
  type Actor,
  type App,
  type Duration,
  type DurationRequest,
  type LicenseUsage,
  type PolicyFlag,
  type Ticket,
  type TicketChange,
  type TicketState,
  type TicketWorkflowInput,
} from '@gatehouse/domain';
import { claimKey, newTicketDoc, Store, TICKET_ID_PREFIX, ticketFromDoc, TicketRepository, type TicketDoc, type TicketViewer } from '@gatehouse/store';
import {
  approveTicketUpdate,
  cancelTicketUpdate,
  rejectTicketUpdate,
  retryApplyUpdate,
  revokeAccessUpdate,
  type DecisionActor,
} from '@gatehouse/workflows';
import type { UpdateDefinition } from '@temporalio/common';
import { fail, GatehouseError } from '../common/errors';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import type { ApproveDto, CreateTicketDto, DurationDto, ListTicketsQuery } from './tickets.dto';

/** Numbers start here so the first ticket reads TCK-1001. */
const FIRST_TICKET_NUMBER = 1000;
/** A claim older than this whose ticket never got written was left by a crashed request. */
const STALE_CLAIM_MS = 60_000;

export function viewerOf(actor: Actor): TicketViewer {
  return { id: actor.id, admin: isAdmin(actor), rules: approverRulesOf(actor) };
}

function decisionActor(actor: Actor): DecisionActor {
  return { id: actor.id, name: actor.name, roles: actor.roles, groups: actor.groups };
}

function durationFrom(dto: DurationDto): DurationRequest {
  if (dto.type === 'indefinite') {
    if (dto.start !== undefined || dto.end !== undefined) fail('VALIDATION_FAILED', 'duration: an indefinite duration takes no start or end');
    return { type: 'indefinite' };
  }
  return { type: 'limited', end: toUtcIso(dto.end!), ...(dto.start ? { start: toUtcIso(dto.start) } : {}) };
}

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

export interface CreateResult {
  ticket: Ticket;
  created: boolean;
}

@Injectable()
export class TicketsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TemporalService) private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  // ── Reading ──────────────────────────────────────────────────────────────────────────────────

  async toTicket(doc: TicketDoc, state?: TicketState): Promise<Ticket> {
    const base = ticketFromDoc(doc, this.config.temporalUiUrl, this.config.temporalNamespace);
    const merged = state
      ? {
          ...base,
          status: state.status,
          approval: state.approval,
          access: state.access,
          duration: state.duration,
          log: state.log,
          resolvedAt: state.resolvedAt,
          resolvedInSeconds: state.resolvedInSeconds,
          childTicketIds: state.childTicketIds,
        }
      : base;
    return { ...merged, licenses: await this.licenseUsage(doc) };
  }

  private async licenseUsage(doc: TicketDoc): Promise<LicenseUsage[]> {
    const app = await this.store.apps.get(doc.app.id);
    if (!app) return [];
    const ids = new Set((doc.changes as TicketChange[]).map((c) => app.entitlements.find((e) => e.id === c.entitlement.id)?.licenseId).filter(Boolean));
    return Promise.all(
      app.licenses
        .filter((l) => ids.has(l.id))
        .map(async (l) => {
          const used = await this.store.grants.countActive(app.id, app.entitlements.filter((e) => e.licenseId === l.id).map((e) => e.id));
          return { ...l, used, available: Math.max(0, l.seats - used) };
        }),
    );
  }

  /** The ticket if the actor may see it; otherwise 404, so ids of others' tickets do not leak. */
  async visibleDoc(actor: Actor, ticketId: string): Promise<TicketDoc> {
    const doc = ticketId.startsWith(TICKET_ID_PREFIX) ? await this.store.tickets.get(ticketId) : null;
    if (!doc || !TicketRepository.visibleTo(doc, viewerOf(actor))) fail('TICKET_NOT_FOUND', `No ticket ${ticketId}.`);
    return doc!;
  }

  async get(actor: Actor, ticketId: string): Promise<Ticket> {
    return this.toTicket(await this.visibleDoc(actor, ticketId));
  }

  async list(actor: Actor, q: ListTicketsQuery) {
    return this.store.tickets.list({
      viewer: viewerOf(actor),
      tab: q.tab ?? 'all',
      appId: q.appId,
      requesterId: q.requesterId,
      type: q.type,
      awaitingMe: q.awaiting === 'me',
      limit: q.limit ?? 50,
      cursor: q.cursor !== undefined ? Number(q.cursor) : undefined,
    });
  }

  // ── Creating ─────────────────────────────────────────────────────────────────────────────────

  /** Every check of a create request, in the order a person fixes them: 403, 404, 400, then the policy flags. */
  private async check(actor: Actor, dto: CreateTicketDto) {
    const beneficiaryId = dto.onBehalfOf ?? actor.id;
    if (beneficiaryId !== actor.id && !isAdmin(actor)) fail('FORBIDDEN', 'Only an admin may raise a ticket on behalf of someone else.');
    const app = await this.store.apps.get(dto.appId);
    if (!app) fail('APP_NOT_FOUND', `No application ${dto.appId}.`);
    const changes: TicketChange[] = dto.changes.map((c) => {
      const e = app!.entitlements.find((x) => x.id === c.entitlementId);
      if (!e) fail('ENTITLEMENT_NOT_FOUND', `${app!.name} has no entitlement ${c.entitlementId}.`);
      return { op: c.op, entitlement: { id: e!.id, name: e!.name, kind: e!.kind }, fields: c.op === 'add' ? { ...(c.fields ?? {}) } : {} };
    });
    const ids = changes.map((c) => c.entitlement.id);
    if (new Set(ids).size !== ids.length) fail('VALIDATION_FAILED', 'changes: each entitlement may appear only once');
    const action = deriveAction(changes);
    if (action === 'remove' && dto.duration) fail('VALIDATION_FAILED', 'duration: a remove ticket takes no duration');
    if (action !== 'remove' && !dto.duration) fail('VALIDATION_FAILED', 'duration: required (indefinite, or limited with an end)');
    const now = new Date();
    const duration: Duration | null = dto.duration ? resolveDuration(durationFrom(dto.duration), now) : null;
    const held = await this.store.grants.activeFor(beneficiaryId, app!.id);
    const flags = evaluateRequest({ changes: dto.changes, duration, reason: dto.reason }, { app: app!, now, holds: (id) => held.has(id) });
    return { app: app!, beneficiaryId, changes, action, duration, flags, now };
  }

  async validate(actor: Actor, dto: CreateTicketDto): Promise<{ ok: boolean; flags: PolicyFlag[] }> {
    const { flags } = await this.check(actor, dto);
    return { ok: flags.length === 0, flags };
  }

  async create(actor: Actor, dto: CreateTicketDto, idempotencyKey?: string): Promise<CreateResult> {
    const bodyHash = createHash('sha256').update(stableJson(dto)).digest('hex');
    const recordId = idempotencyKey ? `${actor.id}:${idempotencyKey}` : null;
    // A retry with the same key answers with the ticket the first request created, before any check
    // that the first request's own success would now fail (duplicate ticket, already has access).
    let reservedId: string | null = null;
    if (recordId) {
      const record = await this.store.idempotency.get(recordId);
      if (record) {
        if (record.bodyHash !== bodyHash) fail('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another body.');
        const existing = await this.store.tickets.get(record.ticketId);
        if (existing) return { ticket: await this.toTicket(existing), created: false };
        reservedId = record.ticketId; // the first request died before its workflow started: finish it
      }
    }

    const { app, beneficiaryId, changes, action, duration, flags, now } = await this.check(actor, dto);
    if (flags.length) throw new GatehouseError('POLICY_VIOLATION', flags.map((f) => f.message).join(' '), flags);

    const ticketId = reservedId ?? `${TICKET_ID_PREFIX}${FIRST_TICKET_NUMBER + (await this.store.ticketNumbers.next())}`;
    if (recordId && !reservedId) {
      const record = await this.store.idempotency.insertOrGet({ _id: recordId, bodyHash, ticketId, createdAt: now.toISOString() });
      if (record.ticketId !== ticketId) return this.create(actor, dto, idempotencyKey); // lost a race with the same key
    }

    const holder = await this.store.claims.claim(
      changes.map((c) => claimKey(beneficiaryId, app.id, c.entitlement.id)),
      ticketId,
      async (claim) => {
        const doc = await this.store.tickets.get(claim.ticketId);
        if (doc) return doc.status !== 'pending';
        return Date.now() - Date.parse(claim.createdAt) > STALE_CLAIM_MS;
      },
    );
    if (holder) fail('DUPLICATE_OPEN_TICKET', `Ticket ${holder} for the same access is still pending.`);

    const [requesterName, beneficiaryName] = await Promise.all([this.nameOf(actor.id, actor.name), this.nameOf(beneficiaryId)]);
    const input: TicketWorkflowInput = {
      schema: 1,
      ticketId,
      type: 'request',
      action,
      requester: { id: actor.id, name: requesterName },
      beneficiary: { id: beneficiaryId, name: beneficiaryName },
      app: { id: app.id, name: app.name },
      changes,
      duration,
      reason: dto.reason?.trim() || null,
      policy: app.policy,
      createdAt: now.toISOString(),
      parentTicketId: null,
      createdBy: { id: actor.id },
    };
    return { ticket: await this.startAndRecord(input), created: true };
  }

  /**
   * Starts the workflow, then writes the ticket. In that order a crash leaves no ticket without a
   * workflow; a workflow without a ticket writes its own ticket with its first activity.
   */
  async startAndRecord(input: TicketWorkflowInput): Promise<Ticket> {
    const runId = await this.temporal.startTicket(input);
    const doc = newTicketDoc({
      ticketId: input.ticketId,
      version: 0,
      runId: runId ?? '',
      ticket: input,
      state: {
        status: 'pending',
        approval: { currentStep: 0, awaiting: input.policy.approval.steps[0]?.approvers ?? [], steps: input.policy.approval.steps.map((s) => ({ name: s.name, minApprovals: s.minApprovals, approvers: s.approvers, state: 'waiting', approvedBy: [] })) },
        access: { state: 'pending', start: null, end: null, grantedAt: null, revokedAt: null, error: null },
        duration: input.duration,
        log: [{ at: input.createdAt, actor: input.createdBy.id, event: 'created', comment: input.reason, details: {} }],
        resolvedAt: null,
        resolvedInSeconds: null,
        childTicketIds: [],
      },
    });
    await this.store.tickets.insertIfAbsent(doc);
    const stored = (await this.store.tickets.get(input.ticketId)) ?? doc;
    return this.toTicket(stored);
  }

  private async nameOf(userId: string, claimed?: string): Promise<string> {
    if (claimed) {
      await this.store.users.remember(userId, { name: claimed });
      return claimed;
    }
    return (await this.store.users.get(userId))?.name ?? userId;
  }

  // ── Deciding ─────────────────────────────────────────────────────────────────────────────────

  private async send<Args extends [unknown, ...unknown[]]>(doc: TicketDoc, def: UpdateDefinition<TicketState, Args>, args: Args, updateId?: string): Promise<Ticket> {
    const state = await this.temporal.update(doc._id, def, args, updateId);
    return this.toTicket(doc, state);
  }

  private updateId(kind: string, actor: Actor, ticketId: string, idempotencyKey?: string): string | undefined {
    return idempotencyKey ? `${kind}:${ticketId}:${actor.id}:${idempotencyKey}` : undefined;
  }

  /** The gateway's own check gives fast, precise answers; the workflow's validator is the authority. */
  private precheckDecision(doc: TicketDoc, actor: Actor): void {
    const refusal = decisionRefusal(
      { status: doc.status as TicketState['status'], requesterId: doc.requester.id, beneficiaryId: doc.beneficiary.id, approval: doc.approval as TicketState['approval'] },
      actor,
    );
    if (refusal === 'TICKET_NOT_PENDING') fail(refusal, `Ticket ${doc._id} is ${doc.status}, no longer pending.`);
    if (refusal === 'NOT_AN_APPROVER') fail(refusal, `You are not an approver of the current step of ${doc._id}.`);
  }

  async approve(actor: Actor, ticketId: string, dto: ApproveDto, idempotencyKey?: string): Promise<Ticket> {
    const doc = await this.visibleDoc(actor, ticketId);
    this.precheckDecision(doc, actor);
    let duration: Duration | undefined;
    if (dto.duration) {
      if (doc.action === 'remove') fail('VALIDATION_FAILED', 'duration: a remove ticket takes no duration');
      duration = resolveDuration(durationFrom(dto.duration), new Date());
      const flags = checkDuration(doc.policy as App['policy'], duration, new Date());
      if (flags.length) throw new GatehouseError('POLICY_VIOLATION', flags.map((f) => f.message).join(' '), flags);
    }
    return this.send(doc, approveTicketUpdate, [{ actor: decisionActor(actor), comment: dto.comment ?? null, duration }], this.updateId('approve', actor, ticketId, idempotencyKey));
  }

  async reject(actor: Actor, ticketId: string, comment: string | undefined, idempotencyKey?: string): Promise<Ticket> {
    const doc = await this.visibleDoc(actor, ticketId);
    this.precheckDecision(doc, actor);
    return this.send(doc, rejectTicketUpdate, [{ actor: decisionActor(actor), comment: comment ?? null }], this.updateId('reject', actor, ticketId, idempotencyKey));
  }

  async cancel(actor: Actor, ticketId: string, comment: string | undefined): Promise<Ticket> {
    const doc = await this.visibleDoc(actor, ticketId);
    if (doc.status !== 'pending') fail('TICKET_NOT_PENDING', `Ticket ${ticketId} is ${doc.status}, no longer pending.`);
    return this.send(doc, cancelTicketUpdate, [{ actor: decisionActor(actor), comment: comment ?? null }]);
  }

  async revoke(actor: Actor, ticketId: string, comment: string | undefined): Promise<Ticket> {
    const doc = await this.visibleDoc(actor, ticketId);
    try {
      return await this.send(doc, revokeAccessUpdate, [{ actor: decisionActor(actor), comment: comment ?? null }]);
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowNotFoundError') fail('ACCESS_NOT_ACTIVE', `The access of ${ticketId} has already ended.`);
      throw err;
    }
  }

  async retry(actor: Actor, ticketId: string): Promise<Ticket> {
    const doc = await this.visibleDoc(actor, ticketId);
    if (!isAdmin(actor)) fail('FORBIDDEN', 'Only an admin may retry provisioning.');
    try {
      return await this.send(doc, retryApplyUpdate, [{ actor: decisionActor(actor), comment: null }]);
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowNotFoundError') fail('ACCESS_NOT_FAILED', `The access of ${ticketId} is not failed.`);
      throw err;
    }
  }
}
