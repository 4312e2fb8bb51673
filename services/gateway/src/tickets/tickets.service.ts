import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  approverRulesOf,
  checkDuration,
  decisionRefusal,
  deriveAction,
  evaluateRequest,
  isAdmin,
  newTicketState,
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
  type TicketType,
  type TicketWorkflowInput,
} from '@gatehouse/domain';
import { claimKey, newTicketDoc, Store, TICKET_ID_PREFIX, ticketFromDoc, TicketRepository, type TicketDoc, type TicketViewer } from '@gatehouse/store';
import {
  approveTicketUpdate,
  cancelTicketUpdate,
  rejectTicketUpdate,
  requestExtensionUpdate,
  requestReraiseUpdate,
  RERAISE_WINDOW_CLOSED,
  retryApplyUpdate,
  revokeAccessUpdate,
  type DecisionActor,
} from '@gatehouse/workflows';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { fail, GatehouseError } from '../common/errors';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import type { ApproveDto, CreateTicketDto, DurationDto, ExtendDto, ListTicketsQuery, ReraiseDto } from './tickets.dto';

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

/** Ticket numbers skipped in a row because their workflow ids were taken, before a create gives up. */
const MAX_ID_COLLISIONS = 50;

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
  /**
   * Starts the ticket's workflow: top-level, or as a child of the workflow owning the access. `exists`:
   * a workflow with this ticket's id was already there (a retried request, or an id taken by another).
   */
  launch(input: TicketWorkflowInput): Promise<'started' | 'exists'>;
}

@Injectable()
export class TicketsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TemporalService) private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  // ── Reading ──────────────────────────────────────────────────────────────────────────────────

  /** `app`: pass it when already loaded, to spare a read. */
  async toTicket(doc: TicketDoc, state?: TicketState, app?: App): Promise<Ticket> {
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
    return { ...merged, licenses: await this.licenseUsage(doc, app) };
  }

  private async licenseUsage(doc: TicketDoc, loaded?: App): Promise<LicenseUsage[]> {
    // A ticket takes seats only for entitlements that had a license when it was raised (the workflow
    // reserves those): without one, no app read on every ticket the API returns.
    if (!(doc.changes as TicketChange[]).some((c) => c.entitlement.licenseId)) return [];
    const app = loaded ?? (await this.store.apps.get(doc.app.id));
    if (!app) return [];
    const ids = new Set((doc.changes as TicketChange[]).map((c) => app.entitlements.find((e) => e.id === c.entitlement.id)?.licenseId).filter(Boolean));
    return Promise.all(
      app.licenses
        .filter((l) => ids.has(l.id))
        .map(async (l) => {
          const used = await this.store.seats.used(app.id, l.id);
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
      return {
        op: c.op,
        entitlement: { id: e!.id, name: e!.name, kind: e!.kind, ...(e!.licenseId ? { licenseId: e!.licenseId } : {}) },
        fields: c.op === 'add' ? { ...(c.fields ?? {}) } : {},
      };
    });
    const ids = changes.map((c) => c.entitlement.id);
    if (new Set(ids).size !== ids.length) fail('VALIDATION_FAILED', 'changes: each entitlement may appear only once');
    const action = deriveAction(changes);
    if (action === 'remove' && dto.duration) fail('VALIDATION_FAILED', 'duration: a remove ticket takes no duration');
    if (action !== 'remove' && !dto.duration) fail('VALIDATION_FAILED', 'duration: required (indefinite, or limited with an end)');
    const now = new Date();
    const duration: Duration | null = dto.duration ? resolveDuration(durationFrom(dto.duration), now) : null;
    // Only the requested entitlements matter: look them up by key rather than listing every grant.
    const held = await this.store.grants.activeAmong(beneficiaryId, app!.id, ids);
    const flags = evaluateRequest({ changes: dto.changes, duration, reason: dto.reason }, { app: app!, now, holds: (id) => held.has(id) });
    return { app: app!, beneficiaryId, changes, action, duration, flags, now };
  }

  async validate(actor: Actor, dto: CreateTicketDto): Promise<{ ok: boolean; flags: PolicyFlag[] }> {
    const { flags } = await this.check(actor, dto);
    return { ok: flags.length === 0, flags };
  }

  async create(actor: Actor, dto: CreateTicketDto, idempotencyKey?: string): Promise<CreateResult> {
    return this.raise(actor, dto, idempotencyKey, async () => {
      const { app, beneficiaryId, changes, action, duration, flags, now } = await this.check(actor, dto);
      return { app, beneficiaryId, changes, action, duration, flags, now, type: 'request', parentTicketId: null, reason: dto.reason, launch: async (input) => ((await this.temporal.startTicket(input)) === null ? 'exists' : 'started') };
    });
  }

  /** More time on active limited access: an `extend` ticket, run as a child of the workflow that owns the access. */
  async extend(actor: Actor, parentId: string, dto: ExtendDto, idempotencyKey?: string): Promise<CreateResult> {
    return this.raise(actor, dto, idempotencyKey, async () => {
      const { parent, app } = await this.parentOf(actor, parentId);
      if (parent.access.state !== 'active' || (parent.duration as Duration | null)?.type !== 'limited' || parent.action === 'remove' || parent.type === 'extend') {
        fail('ACCESS_NOT_ACTIVE', `The access of ${parentId} is ${parent.access.state}; only active, time-limited access can be extended.`);
      }
      const end = toUtcIso(dto.end);
      if (Date.parse(end) <= Date.parse(parent.access.end!)) fail('VALIDATION_FAILED', `end: must be later than the access's current end (${parent.access.end})`);
      const now = new Date();
      const duration: Duration = { type: 'limited', start: parent.access.start!, end };
      const flags = [
        ...(app.policy.requireReason && !dto.reason?.trim() ? [{ code: 'REASON_REQUIRED' as const, message: 'A reason is required for this application.', field: 'reason' }] : []),
        // The maximum counts from the later of the access start and now.
        ...checkDuration(app.policy, duration, now, { measureFrom: new Date(Math.max(now.getTime(), Date.parse(duration.start))).toISOString(), allowPastStart: true }),
      ];
      const changes = this.carriedChanges(parent, app);
      return {
        app, beneficiaryId: parent.beneficiary.id, changes, action: 'add', duration, flags, now, type: 'extend', parentTicketId: parent._id, reason: dto.reason,
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
    return this.raise(actor, dto, idempotencyKey, async () => {
      const { parent, app } = await this.parentOf(actor, parentId);
      if (parent.access.state !== 'expired') fail('ACCESS_NOT_EXPIRED', `The access of ${parentId} is ${parent.access.state}, not expired.`);
      const now = new Date();
      const duration = resolveDuration(durationFrom(dto.duration), now);
      const changes = this.carriedChanges(parent, app);
      const held = await this.store.grants.activeAmong(parent.beneficiary.id, app.id, changes.map((c) => c.entitlement.id));
      const flags = evaluateRequest(
        { changes: changes.map((c) => ({ op: c.op, entitlementId: c.entitlement.id, fields: c.fields })), duration, reason: dto.reason },
        { app, now, holds: (id) => held.has(id) },
      );
      return {
        app, beneficiaryId: parent.beneficiary.id, changes, action: 'add', duration, flags, now, type: 'reraise', parentTicketId: parent._id, reason: dto.reason,
        launch: async (input) => {
          try {
            await this.temporal.update(parent._id, requestReraiseUpdate, [input]);
            return 'started'; // the owner starts the child and treats an existing one as this request's retry
          } catch (err) {
            const closed = err instanceof WorkflowNotFoundError || (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === RERAISE_WINDOW_CLOSED);
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
    const parent = await this.visibleDoc(actor, parentId);
    if (actor.id !== parent.requester.id && actor.id !== parent.beneficiary.id && !isAdmin(actor)) {
      fail('FORBIDDEN', 'Only the requester, the beneficiary or an admin may change this access.');
    }
    const app = await this.store.apps.get(parent.app.id);
    if (!app) fail('APP_NOT_FOUND', `No application ${parent.app.id}.`);
    return { parent, app: app! };
  }

  /** The access a ticket granted, as changes against the app's current catalog. */
  private carriedChanges(parent: TicketDoc, app: App): TicketChange[] {
    return (parent.changes as TicketChange[])
      .filter((c) => c.op === 'add')
      .map((c) => {
        const e = app.entitlements.find((x) => x.id === c.entitlement.id);
        if (!e) fail('ENTITLEMENT_NOT_FOUND', `${app.name} no longer has ${c.entitlement.id}.`);
        return { op: 'add' as const, entitlement: { id: e!.id, name: e!.name, kind: e!.kind, ...(e!.licenseId ? { licenseId: e!.licenseId } : {}) }, fields: c.fields };
      });
  }

  /**
   * What every new ticket goes through: idempotency, the policy, a ticket number, the pending claims,
   * then its workflow (`launch`) and only then the ticket document.
   */
  private async raise(actor: Actor, body: object, idempotencyKey: string | undefined, prepare: () => Promise<Prepared>, collisions = 0): Promise<CreateResult> {
    const bodyHash = createHash('sha256').update(stableJson(body)).digest('hex');
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

    const p = await prepare();
    if (p.flags.length) throw new GatehouseError('POLICY_VIOLATION', p.flags.map((f) => f.message).join(' '), p.flags);

    // The names do not depend on the number or the claims: look them up while those are taken.
    const names = Promise.all([
      this.nameOf(actor.id, actor.name),
      p.beneficiaryId === actor.id ? null : this.nameOf(p.beneficiaryId),
    ]);
    names.catch(() => undefined); // awaited below; a refusal before that must not leave it unhandled
    const ticketId = reservedId ?? `${TICKET_ID_PREFIX}${this.config.ticketNumberStart + (await this.store.ticketNumbers.next())}`;
    if (recordId && !reservedId) {
      const record = await this.store.idempotency.insertOrGet({ _id: recordId, bodyHash, ticketId, createdAt: p.now.toISOString() });
      if (record.ticketId !== ticketId) return this.raise(actor, body, idempotencyKey, prepare, collisions); // lost a race with the same key
    }

    const claimKeys = p.changes.map((c) => claimKey(p.beneficiaryId, p.app.id, c.entitlement.id));
    const holder = await this.store.claims.claim(
      claimKeys,
      ticketId,
      async (claim) => {
        const doc = await this.store.tickets.get(claim.ticketId);
        if (doc) return doc.status !== 'pending';
        return Date.now() - Date.parse(claim.createdAt) > STALE_CLAIM_MS;
      },
    );
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
      duration: p.duration,
      reason: p.reason?.trim() || null,
      policy: p.app.policy,
      createdAt: p.now.toISOString(),
      parentTicketId: p.parentTicketId,
      createdBy: { id: actor.id },
    };
    let launched: 'started' | 'exists';
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
        throw new GatehouseError('DEPENDENCY_UNAVAILABLE', `Ticket ids ${ticketId} and the ${MAX_ID_COLLISIONS} before it are taken by other workflows: check TICKET_NUMBER_START.`);
      }
      return this.raise(actor, body, idempotencyKey, prepare, collisions + 1);
    }
    return { ticket: await this.record(input, p.app), created: true };
  }

  /**
   * Writes the ticket of a started workflow. In that order a crash leaves no ticket without a
   * workflow; a workflow without a ticket writes its own ticket with its first activity.
   */
  private async record(input: TicketWorkflowInput, app: App): Promise<Ticket> {
    const doc = newTicketDoc({
      ticketId: input.ticketId,
      version: 0,
      runId: '',
      ticket: input,
      state: newTicketState(input),
    });
    // Only when the workflow's first write got there first is the stored ticket newer than this one.
    const stored = (await this.store.tickets.insertIfAbsent(doc)) ? doc : ((await this.store.tickets.get(input.ticketId)) ?? doc);
    return this.toTicket(stored, undefined, app);
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
