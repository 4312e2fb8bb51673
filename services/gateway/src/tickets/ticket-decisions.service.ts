import { Inject, Injectable } from '@nestjs/common';
import {
  checkDuration,
  decisionRefusal,
  isAdmin,
  resolveDuration,
  reviewRefusal,
  type AccessPolicy,
  type BreakGlassReview,
  type Actor,
  type App,
  type Duration,
  type PolicyFlag,
  type Ticket,
  type TicketState,
} from '@gatehouse/domain';
import { Store, type TicketDoc } from '@gatehouse/store';
import {
  approveTicketUpdate,
  cancelTicketUpdate,
  rejectTicketUpdate,
  retryApplyUpdate,
  reviewBreakGlassUpdate,
  revokeAccessUpdate,
  type DecisionActor,
  type DecisionInput,
} from '@gatehouse/workflows';
import type { UpdateDefinition } from '@temporalio/common';
import { fail } from '../common/errors';
import { TemporalService } from '../temporal/temporal.service';
import { STORE } from '../tokens';
import { TicketQueries } from './ticket-queries.service';
import { durationRequestOf, type ApproveDto, type ReviewDto } from './tickets.dto';

function decisionActor(actor: Actor): DecisionActor {
  return { id: actor.id, name: actor.name, roles: actor.roles, groups: actor.groups };
}

/**
 * Decisions on tickets and on the access they gave, sent to the ticket's workflow as Updates. The
 * gateway's own checks give fast, precise answers; the workflow's validators are the authority.
 */
@Injectable()
export class TicketDecisions {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TemporalService) private readonly temporal: TemporalService,
    @Inject(TicketQueries) private readonly queries: TicketQueries,
  ) {}

  private async send<Args extends [unknown, ...unknown[]]>(
    doc: TicketDoc,
    def: UpdateDefinition<TicketState, Args>,
    args: Args,
    updateId?: string,
  ): Promise<Ticket> {
    const state = await this.temporal.update(doc._id, def, args, updateId);
    return this.queries.toTicket(doc, state);
  }

  private updateId(kind: string, actor: Actor, ticketId: string, idempotencyKey?: string): string | undefined {
    return idempotencyKey ? `${kind}:${ticketId}:${actor.id}:${idempotencyKey}` : undefined;
  }

  private precheckDecision(doc: TicketDoc, actor: Actor): void {
    const refusal = decisionRefusal(
      {
        status: doc.status as TicketState['status'],
        requesterId: doc.requester.id,
        beneficiaryId: doc.beneficiary.id,
        approval: doc.approval as TicketState['approval'],
      },
      actor,
    );
    if (refusal === 'TICKET_NOT_PENDING') fail(refusal, `Ticket ${doc._id} is ${doc.status}, no longer pending.`);
    if (refusal === 'NOT_AN_APPROVER') fail(refusal, `You are not an approver of the current step of ${doc._id}.`);
  }

  /** An approver's modified duration, checked as the workflow will check it. */
  private async modifiedDuration(doc: TicketDoc, dto: NonNullable<ApproveDto['duration']>): Promise<Duration> {
    if (doc.action === 'remove') fail('VALIDATION_FAILED', 'duration: a remove ticket takes no duration');
    const now = new Date();
    const duration = resolveDuration(durationRequestOf(dto), now);
    if (doc.type === 'extend') {
      // An extension only moves the end of limited access: indefinite would be ignored by the access's
      // owner, and an end that is not later extends nothing.
      if (duration.type === 'indefinite') {
        const flag: PolicyFlag = {
          code: 'INDEFINITE_NOT_ALLOWED',
          message: 'An extension moves the end of limited access: it needs an end date.',
          field: 'duration.type',
        };
        fail('POLICY_VIOLATION', flag.message, [flag]);
      }
      if (duration.type === 'relative')
        fail('VALIDATION_FAILED', 'duration.type: an extension moves the end of limited access: it needs an end date');
      const parent = doc.parentTicketId ? await this.store.tickets.get(doc.parentTicketId) : null;
      const currentEnd = (parent?.access as TicketState['access'] | undefined)?.end ?? null;
      if (currentEnd !== null && Date.parse(duration.end) <= Date.parse(currentEnd)) {
        fail('VALIDATION_FAILED', `duration.end: must be later than the access's current end (${currentEnd})`);
      }
    }
    // Extensions measure the maximum from now, as the workflow does.
    const flags = checkDuration(
      doc.policy as App['policy'],
      duration,
      now,
      doc.type === 'extend' ? { measureFrom: now.toISOString(), allowPastStart: true } : {},
    );
    if (flags.length) fail('POLICY_VIOLATION', flags.map((f) => f.message).join(' '), flags);
    return duration;
  }

  /**
   * Sends an approval or rejection after the gateway's own check. With an Idempotency-Key, a call the
   * read model refuses may be the retry of a decision already recorded (its answer was lost, or was a 503
   * while the Update still went through): the Update id finds that decision's outcome in the workflow.
   */
  private async decide<Args extends [unknown, ...unknown[]]>(
    doc: TicketDoc,
    actor: Actor,
    def: UpdateDefinition<TicketState, Args>,
    args: () => Promise<Args>,
    updateId: string | undefined,
  ): Promise<Ticket> {
    try {
      this.precheckDecision(doc, actor);
    } catch (refusal) {
      if (!updateId) throw refusal;
      const earlier = await args()
        .then((a) => this.send(doc, def, a, updateId))
        .catch(() => null);
      if (earlier) return earlier;
      throw refusal;
    }
    return this.send(doc, def, await args(), updateId);
  }

  async approve(actor: Actor, ticketId: string, dto: ApproveDto, idempotencyKey?: string): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    const args = async (): Promise<[DecisionInput]> => [
      {
        actor: decisionActor(actor),
        comment: dto.comment ?? null,
        duration: dto.duration ? await this.modifiedDuration(doc, dto.duration) : undefined,
      },
    ];
    return this.decide(
      doc,
      actor,
      approveTicketUpdate,
      args,
      this.updateId('approve', actor, ticketId, idempotencyKey),
    );
  }

  async reject(actor: Actor, ticketId: string, comment: string | undefined, idempotencyKey?: string): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    const args = async (): Promise<[DecisionInput]> => [{ actor: decisionActor(actor), comment: comment ?? null }];
    return this.decide(doc, actor, rejectTicketUpdate, args, this.updateId('reject', actor, ticketId, idempotencyKey));
  }

  async cancel(actor: Actor, ticketId: string, comment: string | undefined): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    if (doc.status !== 'pending') fail('TICKET_NOT_PENDING', `Ticket ${ticketId} is ${doc.status}, no longer pending.`);
    return this.send(doc, cancelTicketUpdate, [{ actor: decisionActor(actor), comment: comment ?? null }]);
  }

  async revoke(actor: Actor, ticketId: string, comment: string | undefined): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    try {
      return await this.send(doc, revokeAccessUpdate, [{ actor: decisionActor(actor), comment: comment ?? null }]);
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowNotFoundError')
        fail('ACCESS_NOT_ACTIVE', `The access of ${ticketId} has already ended.`);
      throw err;
    }
  }

  /** The beneficiary ends their own access early: the revoke path, with no approver needed. */
  async relinquish(actor: Actor, ticketId: string, comment: string | undefined): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    if (doc.beneficiary.id !== actor.id) fail('FORBIDDEN', 'Only the beneficiary may end their own access.');
    try {
      return await this.send(doc, revokeAccessUpdate, [
        { actor: decisionActor(actor), comment: comment ?? null, relinquish: true },
      ]);
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowNotFoundError')
        fail('ACCESS_NOT_ACTIVE', `The access of ${ticketId} has already ended.`);
      throw err;
    }
  }

  /**
   * The post-hoc review of a break-glass ticket: confirm it, or revoke it (the access ends as on a revoke,
   * and the answer comes once it has). By an admin or an approver of a step, never the beneficiary.
   */
  async review(actor: Actor, ticketId: string, dto: ReviewDto): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    const refusal = reviewRefusal(
      {
        requesterId: doc.requester.id,
        beneficiaryId: doc.beneficiary.id,
        steps: (doc.policy as AccessPolicy).approval.steps,
        review: doc.review as BreakGlassReview | undefined,
      },
      actor,
    );
    if (refusal === 'REVIEW_NOT_PENDING')
      fail(refusal, `Ticket ${ticketId} is not a break-glass ticket awaiting review.`);
    if (refusal === 'FORBIDDEN')
      fail(refusal, 'Only an admin or an approver of this ticket, not its beneficiary, may review it.');
    try {
      return await this.send(doc, reviewBreakGlassUpdate, [
        { actor: decisionActor(actor), decision: dto.decision, comment: dto.comment ?? null },
      ]);
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowNotFoundError')
        fail('REVIEW_NOT_PENDING', `Ticket ${ticketId} is no longer awaiting review.`);
      throw err;
    }
  }

  async retry(actor: Actor, ticketId: string): Promise<Ticket> {
    const doc = await this.queries.visibleDoc(actor, ticketId);
    if (!isAdmin(actor)) fail('FORBIDDEN', 'Only an admin may retry provisioning.');
    try {
      return await this.send(doc, retryApplyUpdate, [{ actor: decisionActor(actor), comment: null }]);
    } catch (err) {
      if ((err as Error)?.name === 'WorkflowNotFoundError')
        fail('ACCESS_NOT_FAILED', `The access of ${ticketId} is not failed.`);
      throw err;
    }
  }
}
