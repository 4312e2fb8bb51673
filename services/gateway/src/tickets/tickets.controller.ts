import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Actor, Ticket } from '@gatehouse/domain';
import { AdminOnly, CurrentActor } from '../auth/actor';
import { Audited, auditWriteOf } from '../audit/audit';
import { ApiRateLimited, ApiTemporalUnavailable } from '../common/api-responses';
import { fail } from '../common/errors';
import { TICKET_ID_PATTERN } from '../common/ids';
import {
  ApproveDto,
  CommentDto,
  CreateTicketDto,
  ExtendDto,
  ListTicketsQuery,
  ReraiseDto,
  ReviewDto,
} from './tickets.dto';
import { TicketCreation } from './ticket-creation.service';
import { TicketDecisions } from './ticket-decisions.service';
import { TicketQueries } from './ticket-queries.service';

function ticketId(id: string): string {
  if (!TICKET_ID_PATTERN.test(id)) fail('TICKET_NOT_FOUND', `No ticket ${id.slice(0, 40)}.`);
  return id;
}

function idempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(value))
    fail('VALIDATION_FAILED', 'Idempotency-Key: 1 to 128 characters of letters, digits, _ . : -');
  return value;
}

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retries with the same key and body return the same result.',
};

@ApiTags('tickets')
@ApiBearerAuth()
@ApiRateLimited()
@Controller('tickets')
export class TicketsController {
  constructor(
    @Inject(TicketCreation) private readonly creation: TicketCreation,
    @Inject(TicketDecisions) private readonly decisions: TicketDecisions,
    @Inject(TicketQueries) private readonly queries: TicketQueries,
  ) {}

  @Post()
  @Audited('ticket.create', '')
  @ApiOperation({ summary: 'Raise a ticket (201), or get the one raised with the same Idempotency-Key (200)' })
  @ApiResponse({ status: 201, description: 'The new ticket' })
  @ApiResponse({ status: 200, description: 'The ticket a request with the same Idempotency-Key and body created' })
  @ApiResponse({
    status: 403,
    description:
      'NOT_ELIGIBLE with `flags`: the access policies do not let the beneficiary request an entitlement the ticket adds (the message names the forbidding policy and its advice). When they auto-approve every added entitlement the ticket is created with no approval steps and approved at once (log `auto_approved`). With `breakGlass: true` a `BreakGlass` permit is needed instead (none published: refused); then the ticket is approved and granted at once (log `break_glass`) and awaits its review',
  })
  @ApiResponse({
    status: 422,
    description:
      'POLICY_VIOLATION with `flags`: the request breaks the policy (an ALREADY_HAS_ACCESS flag names the owning `ticketId`, with `suggest: "extend"` when that access is limited); NO_ELIGIBLE_APPROVER: a step would have nobody to approve it (approver rule `manager` for a beneficiary without one, and no `escalateTo`)',
  })
  @ApiTemporalUnavailable()
  @ApiHeader(IDEMPOTENCY_HEADER)
  async create(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateTicketDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Ticket> {
    const audit = auditWriteOf(req);
    const { ticket, created } = await this.creation.create(
      actor,
      dto,
      idempotencyKey(key),
      audit && ((t) => audit(t, 201)),
    );
    res.status(created ? 201 : 200);
    return ticket;
  }

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a ticket against the policy without creating it',
    description:
      'The flags a create would be refused with: `NOT_ELIGIBLE` (the access policies) first, `NO_ELIGIBLE_APPROVER` included; `EXTENSION_LIMIT` next to `ALREADY_HAS_ACCESS` when the held access may not be extended again. With no flags, `autoApproval: { reason, policies, duration? }` when the access policies would approve the ticket at create (its `auto_approved` log entry); absent when a person approves.',
  })
  validate(@CurrentActor() actor: Actor, @Body() dto: CreateTicketDto) {
    return this.creation.validate(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List tickets by tab, newest first, with counts per tab' })
  list(@CurrentActor() actor: Actor, @Query() query: ListTicketsQuery) {
    return this.queries.list(actor, query);
  }

  @Get(':id')
  @ApiOkResponse({ description: 'The ticket' })
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Ticket> {
    return this.queries.get(actor, ticketId(id));
  }

  @Post(':id/approve')
  @Audited('ticket.approve', 'id')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Approve the current step, optionally with a modified duration' })
  @ApiResponse({ status: 200, description: 'The ticket once the decision is recorded' })
  @ApiResponse({
    status: 422,
    description: 'POLICY_VIOLATION: the modified duration breaks the policy, or is indefinite on an extend ticket',
  })
  @ApiTemporalUnavailable()
  approve(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: ApproveDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<Ticket> {
    return this.decisions.approve(actor, ticketId(id), dto, idempotencyKey(key));
  }

  @Post(':id/reject')
  @Audited('ticket.reject', 'id')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiResponse({ status: 200, description: 'The ticket once the decision is recorded' })
  @ApiTemporalUnavailable()
  reject(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: CommentDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<Ticket> {
    return this.decisions.reject(actor, ticketId(id), dto.comment, idempotencyKey(key));
  }

  @Post(':id/cancel')
  @Audited('ticket.cancel', 'id')
  @HttpCode(200)
  @ApiResponse({ status: 200, description: 'The cancelled ticket' })
  @ApiTemporalUnavailable()
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: CommentDto): Promise<Ticket> {
    return this.decisions.cancel(actor, ticketId(id), dto.comment);
  }

  @Post(':id/extend')
  @Audited('ticket.extend', 'id')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'More time on active limited access: a new extend ticket (201), run as a child workflow' })
  @ApiResponse({ status: 201, description: 'The new extend ticket' })
  @ApiResponse({
    status: 403,
    description: 'NOT_ELIGIBLE: the access policies do not let the beneficiary request it again',
  })
  @ApiResponse({
    status: 200,
    description: 'The extend ticket a request with the same Idempotency-Key and body created',
  })
  @ApiResponse({
    status: 409,
    description: 'ACCESS_NOT_ACTIVE: the access is not active and limited; ACCESS_ENDING: its revocation is under way',
  })
  @ApiTemporalUnavailable()
  async extend(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: ExtendDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Ticket> {
    const { ticket, created } = await this.creation.extend(actor, ticketId(id), dto, idempotencyKey(key));
    res.status(created ? 201 : 200);
    return ticket;
  }

  @Post(':id/reraise')
  @Audited('ticket.reraise', 'id')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Access again after it expired: a new reraise ticket (201) linked to this one' })
  @ApiResponse({ status: 201, description: 'The new reraise ticket' })
  @ApiResponse({
    status: 403,
    description: 'NOT_ELIGIBLE: the access policies do not let the beneficiary request it again',
  })
  @ApiResponse({
    status: 200,
    description: 'The reraise ticket a request with the same Idempotency-Key and body created',
  })
  @ApiTemporalUnavailable()
  async reraise(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: ReraiseDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Ticket> {
    const { ticket, created } = await this.creation.reraise(actor, ticketId(id), dto, idempotencyKey(key));
    res.status(created ? 201 : 200);
    return ticket;
  }

  @Post(':id/revoke')
  @Audited('ticket.revoke', 'id')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the access now (admin or an approver of the app)' })
  @ApiResponse({ status: 200, description: 'The ticket, its access revoked' })
  @ApiResponse({
    status: 409,
    description: 'ACCESS_NOT_ACTIVE: the access already ended; ACCESS_ENDING: its revocation is already under way',
  })
  @ApiTemporalUnavailable()
  revoke(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: CommentDto): Promise<Ticket> {
    return this.decisions.revoke(actor, ticketId(id), dto.comment);
  }

  @Post(':id/relinquish')
  @Audited('ticket.relinquish', 'id')
  @HttpCode(200)
  @ApiOperation({ summary: 'End my own access now (the beneficiary; no approval needed)' })
  @ApiResponse({ status: 200, description: 'The ticket, its access revoked; logged as `relinquished`' })
  @ApiResponse({ status: 403, description: 'FORBIDDEN: only the beneficiary may end their own access' })
  @ApiResponse({
    status: 409,
    description: 'ACCESS_NOT_ACTIVE: there is no access to end; ACCESS_ENDING: its revocation is already under way',
  })
  @ApiTemporalUnavailable()
  relinquish(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: CommentDto): Promise<Ticket> {
    return this.decisions.relinquish(actor, ticketId(id), dto.comment);
  }

  @Post(':id/review')
  @Audited('ticket.review', 'id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Review break-glass access: confirm it, or revoke it now (an approver of a step or an admin)',
  })
  @ApiResponse({ status: 200, description: 'The ticket with its review done (revoked: once the access ended)' })
  @ApiResponse({ status: 403, description: 'FORBIDDEN: not an approver of the ticket or an admin, or its beneficiary' })
  @ApiResponse({
    status: 409,
    description: 'REVIEW_NOT_PENDING: not a break-glass ticket, or its review is already done',
  })
  @ApiTemporalUnavailable()
  review(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: ReviewDto): Promise<Ticket> {
    return this.decisions.review(actor, ticketId(id), dto);
  }

  @Post(':id/retry')
  @Audited('ticket.retry', 'id')
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a failed apply again (admin)' })
  @ApiResponse({ status: 202, description: 'The ticket, its apply started again' })
  @ApiTemporalUnavailable()
  retry(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Ticket> {
    return this.decisions.retry(actor, ticketId(id));
  }
}
