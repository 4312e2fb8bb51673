/**
 * `POST /slack/interactions`: Approve / Reject clicks from Slack, and End access now on an expiry notice
 * (docs/notifications.md).
 *
 * Slack sends no bearer token: a request is Slack's when its signature and timestamp verify under the
 * app's signing secret (anything else is refused with 401 before it is read). The clicker is mapped to a
 * Gatehouse user by the email on both sides, and the decision goes through the same service as
 * `POST /tickets/:id/approve|reject` (End access now: `POST /tickets/:id/relinquish`), with the directory's
 * roles and groups standing in for a token's: every rule of the API applies. Slack waits 3 s for an answer, so the click is acknowledged at once and
 * decided right after; a refusal comes back as a message only the clicker sees.
 */
import { BeforeApplicationShutdown, Controller, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { ticketEventSnapshot, ticketLink, type Actor, type Ticket } from '@gatehouse/domain';
import {
  accessEndedMessage,
  approvalOutcomeMessage,
  outcomeLine,
  parseDecisionValue,
  parseTicketValue,
  SLACK_ACTIONS,
  SlackClient,
  verifySlackRequest,
} from '@gatehouse/notifiers';
import { Store, type User } from '@gatehouse/store';
import { Public } from '../auth/actor';
import { toErrorBody } from '../common/error.filter';
import { fail } from '../common/errors';
import type { GatewayConfig } from '../config';
import { TicketDecisions } from '../tickets/ticket-decisions.service';
import { TicketQueries } from '../tickets/ticket-queries.service';
import { GATEWAY_CONFIG, STORE } from '../tokens';

export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

/** The comment a decision made in Slack carries in the ticket's log. */
const VIA_SLACK = 'via Slack';

type ClickAction = 'approve' | 'reject' | 'relinquish';

const ACTION_OF = new Map<unknown, ClickAction>([
  [SLACK_ACTIONS.approve, 'approve'],
  [SLACK_ACTIONS.reject, 'reject'],
  [SLACK_ACTIONS.relinquish, 'relinquish'],
]);

interface Click {
  action: ClickAction;
  slackUserId: string;
  /** The ticket of the button and, for a decision, its step; null when its value is not one of ours. */
  target: { ticketId: string; step: number } | null;
  /** The conversation and message clicked in (absent for clicks outside a message). */
  channel: string | null;
  messageTs: string | null;
  actionTs: string | null;
}

interface BlockActionsPayload {
  type?: unknown;
  user?: { id?: unknown };
  channel?: { id?: unknown };
  container?: { channel_id?: unknown; message_ts?: unknown };
  actions?: { action_id?: unknown; value?: unknown; action_ts?: unknown }[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Our button click in a Slack interaction payload, or null for any other interaction. */
function clickOf(rawBody: Buffer): Click | null {
  const text = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (!text) fail('VALIDATION_FAILED', 'payload: the form field is required');
  let payload: BlockActionsPayload;
  try {
    payload = JSON.parse(text) as BlockActionsPayload;
  } catch {
    return fail('VALIDATION_FAILED', 'payload: not valid JSON');
  }
  if (payload?.type !== 'block_actions' || !Array.isArray(payload.actions)) return null;
  const action = payload.actions.find((a) => ACTION_OF.has(a?.action_id));
  if (!action) return null;
  const slackUserId = str(payload.user?.id);
  if (!slackUserId) fail('VALIDATION_FAILED', 'payload: user.id is required');
  const kind = ACTION_OF.get(action.action_id)!;
  const ticketId = kind === 'relinquish' ? parseTicketValue(action.value) : null;
  return {
    action: kind,
    slackUserId,
    // End access now names a ticket only; its step is unused.
    target: kind === 'relinquish' ? (ticketId ? { ticketId, step: 0 } : null) : parseDecisionValue(action.value),
    channel: str(payload.container?.channel_id) ?? str(payload.channel?.id),
    messageTs: str(payload.container?.message_ts),
    actionTs: str(action.action_ts),
  };
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** The start of a refusal: "You cannot approve this", "You cannot end this access". */
const cannot = (action: ClickAction) =>
  action === 'relinquish' ? 'You cannot end this access' : `You cannot ${action} this`;

@ApiExcludeController()
@Controller('slack')
export class SlackController implements BeforeApplicationShutdown {
  private readonly logger = new Logger('slack');
  private readonly slack: SlackClient | null;
  /** Clicks being decided after their acknowledgement: a shutdown lets them finish. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(STORE) private readonly store: Store,
    @Inject(TicketQueries) private readonly queries: TicketQueries,
    @Inject(TicketDecisions) private readonly decisions: TicketDecisions,
  ) {
    this.slack = config.notifier.slack
      ? new SlackClient({ ...config.notifier.slack, fetch: config.notifier.outbound?.fetch })
      : null;
  }

  @Post('interactions')
  @Public()
  @HttpCode(200)
  interactions(@Req() req: Request & { id?: string }): void {
    const secret = this.config.notifier.slackSigningSecret;
    if (!secret) fail('NOT_FOUND', 'Slack interactivity is not configured (SLACK_SIGNING_SECRET).');
    // Only the form body was kept as bytes (gateway.ts); anything else cannot carry a valid signature.
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifySlackRequest(secret, req.headers, rawBody);
    if (!verdict.ok) fail('UNAUTHENTICATED', `Not a valid request from Slack: ${verdict.reason}.`);
    const click = clickOf(rawBody);
    if (!click) return; // another interaction (a shortcut, a link): nothing to do
    const handled =
      click.action === 'relinquish'
        ? this.endAccess(click, req.id ?? '')
        : this.decide(click, click.action, req.id ?? '');
    const work = handled.catch((err: unknown) => {
      this.logger.error(
        `Slack ${click.action} of ${click.target?.ticketId ?? 'an unknown ticket'} by Slack user ${click.slackUserId} failed: ${String(err)}`,
      );
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * The clicker as the API would see them (the directory's roles and groups standing in for a token's), with
   * the ticket the button names; null once they have been told why the click does nothing.
   */
  private async clicker(click: Click): Promise<{ user: User; actor: Actor; ticketId: string; step: number } | null> {
    const user = await this.gatehouseUser(click.slackUserId);
    const refused = async (why: string) => {
      await this.tell(click, `${cannot(click.action)}: ${why}`);
      return null;
    };
    if (!user)
      return refused('you are not a Gatehouse user (no Gatehouse user has the email address of your Slack account).');
    // A leaver's Slack account may outlive their directory user: the API would answer USER_INACTIVE.
    if (!user.active) return refused('your Gatehouse user has been deactivated.');
    if (!click.target) return refused('the button names no ticket.');
    const actor: Actor = {
      id: user.id,
      name: user.name ?? undefined,
      email: user.email ?? undefined,
      roles: user.roles,
      groups: user.groups,
    };
    return { user, actor, ...click.target };
  }

  private async decide(click: Click, verb: 'approve' | 'reject', requestId: string): Promise<void> {
    const who = await this.clicker(click);
    if (!who) return;
    const { user, actor, ticketId, step } = who;

    let ticket: Ticket;
    try {
      const doc = await this.queries.visibleDoc(actor, ticketId);
      // A message of an earlier step never decides a later one, even for someone who approves both.
      if (doc.status === 'pending' && doc.approval.currentStep !== step) {
        return this.tell(
          click,
          `You cannot ${verb} this: step ${step + 1} of ${ticketId} is already decided; the ticket waits on step ${doc.approval.currentStep + 1}.`,
        );
      }
      // Slack's action_ts names this click: a replayed request repeats the same Update instead of deciding twice.
      const key = click.actionTs ? `slack-${click.actionTs}` : undefined;
      ticket =
        verb === 'approve'
          ? await this.decisions.approve(actor, ticketId, { comment: VIA_SLACK }, key)
          : await this.decisions.reject(actor, ticketId, VIA_SLACK, key);
    } catch (err) {
      const body = toErrorBody(err);
      if (body.statusCode >= 500) {
        this.logger.error(`Slack ${verb} of ${ticketId} by ${user.id} failed: ${body.code} ${body.message}`);
        return this.tell(
          click,
          `Gatehouse could not record your decision on ${ticketId} right now. Try again, or decide in Gatehouse: ${ticketLink(this.config.notifier.publicUrl, ticketId)}`,
        );
      }
      // Tickets an actor may not decide are invisible to them: say why without the API's "no ticket".
      const reason =
        body.code === 'TICKET_NOT_FOUND' ? `you are not an approver of ${ticketId}.` : lowerFirst(body.message);
      return this.tell(click, `You cannot ${verb} this: ${reason}`);
    }
    await this.audit(user, verb, ticket, requestId);
    await this.showOutcome(click, ticket, step, user);
  }

  /** End access now: the holder relinquishes it, as `POST /tickets/:id/relinquish` would. */
  private async endAccess(click: Click, requestId: string): Promise<void> {
    const who = await this.clicker(click);
    if (!who) return;
    const { user, actor, ticketId } = who;
    let ticket: Ticket;
    try {
      ticket = await this.decisions.relinquish(actor, ticketId, VIA_SLACK);
    } catch (err) {
      const body = toErrorBody(err);
      if (body.statusCode >= 500) {
        this.logger.error(`Slack relinquish of ${ticketId} by ${user.id} failed: ${body.code} ${body.message}`);
        return this.tell(
          click,
          `Gatehouse could not end your access of ${ticketId} right now. Try again, or end it in Gatehouse: ${ticketLink(this.config.notifier.publicUrl, ticketId)}`,
        );
      }
      // Only the holder sees the button; anyone else clicking a copy of it is told whose access it is.
      const reason =
        body.code === 'TICKET_NOT_FOUND' || body.code === 'FORBIDDEN'
          ? `only the person who holds the access of ${ticketId} may end it.`
          : lowerFirst(body.message);
      return this.tell(click, `${cannot('relinquish')}: ${reason}`);
    }
    await this.audit(user, 'relinquish', ticket, requestId);
    if (!this.slack || !click.channel || !click.messageTs) return;
    const line = `You ended this access now (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC).`;
    try {
      await this.slack.update({
        channel: click.channel,
        ts: click.messageTs,
        ...accessEndedMessage(ticketEventSnapshot(ticket), line, this.config.notifier.publicUrl),
      });
    } catch (err) {
      this.logger.warn(`could not update the Slack message of ${ticket.id} after ${user.id} ended it: ${String(err)}`);
    }
  }

  /**
   * The Gatehouse user behind a Slack user: the pair learned before (while their emails still agree),
   * else the Gatehouse user with the email of their Slack profile.
   */
  private async gatehouseUser(slackUserId: string): Promise<User | null> {
    const known = await this.store.slackIdentities.get(slackUserId);
    if (known) {
      const user = await this.store.users.get(known.userId);
      if (user?.email && user.email.toLowerCase() === known.email) return user;
    }
    if (!this.slack) return null;
    const profile = await this.slack.userInfo(slackUserId);
    if (!profile?.email || profile.deleted || profile.isBot) return null;
    const user = await this.store.users.byEmail(profile.email);
    if (!user) return null;
    await this.store.slackIdentities.remember(slackUserId, user.id, profile.email);
    return user;
  }

  /** The audit entry the API's decision routes write. */
  private async audit(user: User, verb: ClickAction, ticket: Ticket, requestId: string): Promise<void> {
    try {
      await this.store.audit.append({
        at: new Date().toISOString(),
        actor: user.id,
        action: `ticket.${verb}`,
        target: ticket.id,
        status: 200,
        requestId,
        details: { comment: VIA_SLACK, resultId: ticket.id, resultStatus: ticket.status, via: 'slack' },
      });
    } catch (err) {
      this.logger.error(
        `audit entry for ticket.${verb} of ${ticket.id} by ${user.id} via Slack (request ${requestId}) could not be written: ${String(err)}`,
      );
    }
  }

  /**
   * The clicked message shows the decision at once, rendered as the worker renders the step's outcome
   * (it updates every approver's message when the step is over, this one included).
   */
  private async showOutcome(click: Click, ticket: Ticket, step: number, user: User): Promise<void> {
    if (!this.slack || !click.channel || !click.messageTs) return;
    const snapshot = ticketEventSnapshot(ticket);
    const state = ticket.approval.steps[step];
    const by = user.name ?? user.id;
    let line: string;
    if (state && state.state === 'waiting' && ticket.status === 'pending') {
      const missing = Math.max(state.minApprovals - state.approvedBy.length, 1);
      line = `You approved. The step still needs ${missing} more approval${missing === 1 ? '' : 's'}.`;
    } else {
      line = outcomeLine(snapshot, step, {
        decision: click.action === 'approve' ? 'approved' : 'rejected',
        by,
        comment: VIA_SLACK,
      });
    }
    try {
      await this.slack.update({
        channel: click.channel,
        ts: click.messageTs,
        ...approvalOutcomeMessage(snapshot, step, line, this.config.notifier.publicUrl),
      });
    } catch (err) {
      this.logger.warn(
        `could not update the Slack message of ${ticket.id} after ${user.id}'s decision: ${String(err)}`,
      );
    }
  }

  /** A message only the clicker sees, where they clicked. */
  private async tell(click: Click, text: string): Promise<void> {
    if (!this.slack || !click.channel) {
      this.logger.warn(
        `Slack ${click.action} by Slack user ${click.slackUserId} refused and not answered (no Slack token or channel): ${text}`,
      );
      return;
    }
    await this.slack.postEphemeral({ channel: click.channel, user: click.slackUserId, text });
  }
}
