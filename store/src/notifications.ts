/**
 * What was sent to people (docs/notifications.md): which notifications went out on which channel (a
 * retried send skips them), the Slack messages of each approval step (updated when the step is over),
 * and which Slack user is which Gatehouse user.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from './connection';

const now = () => new Date().toISOString();

// ── Sent notifications ──────────────────────────────────────────────────────────────────────────

/** `sending` until the channel confirmed it; `skipped` when there was no one to send to (no email, no Slack user). */
export type SentNotificationState = 'sending' | 'sent' | 'skipped';

export interface SentNotificationDoc {
  /** `<notificationId>:<channel>` */
  _id: string;
  notificationId: string;
  channel: string;
  state: SentNotificationState;
  attempts: number;
  claimedAt: string;
  finishedAt: string | null;
  /** Why it was skipped. */
  detail: string | null;
}

export const SentNotificationSchema = new Schema<SentNotificationDoc>(
  {
    _id: String,
    notificationId: String,
    channel: String,
    state: String,
    attempts: Number,
    claimedAt: String,
    finishedAt: String,
    detail: String,
  },
  { versionKey: false, minimize: false, collection: 'sent_notifications' },
);

/**
 * One document per notification and channel, taken by a unique insert. A send that failed after its
 * claim left it `sending`, so the retry sends again; one that finished is never sent twice. Only the
 * send holding the claim updates the document (Temporal runs one attempt of an activity at a time), so
 * FerretDB's lost concurrent updates do not apply.
 */
export class SentNotificationRepository {
  readonly model: Model<SentNotificationDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<SentNotificationDoc>('SentNotification', SentNotificationSchema);
  }

  private key(notificationId: string, channel: string) {
    return `${notificationId}:${channel}`;
  }

  /** Takes the notification for sending on `channel`; false when an earlier attempt already finished it. */
  async claim(notificationId: string, channel: string): Promise<boolean> {
    const _id = this.key(notificationId, channel);
    try {
      await this.model.create({
        _id,
        notificationId,
        channel,
        state: 'sending',
        attempts: 1,
        claimedAt: now(),
        finishedAt: null,
        detail: null,
      });
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const doc = await this.model.findById(_id).lean<SentNotificationDoc>().exec();
    if (doc && doc.state !== 'sending') return false;
    await this.model.updateOne({ _id }, { $set: { attempts: (doc?.attempts ?? 0) + 1, claimedAt: now() } });
    return true;
  }

  async finish(
    notificationId: string,
    channel: string,
    state: Exclude<SentNotificationState, 'sending'>,
    detail: string | null = null,
  ): Promise<void> {
    await this.model.updateOne(
      { _id: this.key(notificationId, channel) },
      { $set: { state, detail, finishedAt: now() } },
    );
  }

  async get(notificationId: string, channel: string): Promise<SentNotificationDoc | null> {
    return this.model.findById(this.key(notificationId, channel)).lean<SentNotificationDoc>().exec();
  }
}

// ── Slack messages of approval steps ────────────────────────────────────────────────────────────

export interface SlackMessageRef {
  /** The conversation (`D…` for a direct message): `chat.update` needs it, not the user id. */
  channel: string;
  ts: string;
  /** The notification that posted it: a retried post records it once. */
  notificationId: string;
}

export interface SlackMessageDoc {
  /** `<ticketId>:<step>:<userId>` */
  _id: string;
  ticketId: string;
  step: number;
  userId: string;
  slackUserId: string;
  /** The request, then any reminders: all of them show the outcome once the step is over. */
  messages: SlackMessageRef[];
  updatedAt: string;
}

export const SlackMessageSchema = new Schema<SlackMessageDoc>(
  {
    _id: String,
    ticketId: String,
    step: Number,
    userId: String,
    slackUserId: String,
    messages: Schema.Types.Mixed,
    updatedAt: String,
  },
  { versionKey: false, minimize: false, collection: 'slack_messages' },
);
SlackMessageSchema.index({ ticketId: 1, step: 1 });

/** How a step ended, as its approvers' messages show it: written once, by the first send that closes the step. */
export interface SlackStepOutcomeDoc {
  /** `<ticketId>:<step>` */
  _id: string;
  text: string;
  blocks: Record<string, unknown>[];
  at: string;
}

export const SlackStepOutcomeSchema = new Schema<SlackStepOutcomeDoc>(
  { _id: String, text: String, blocks: Schema.Types.Mixed, at: String },
  { versionKey: false, minimize: false, collection: 'slack_step_outcomes' },
);

/**
 * The approval messages one approver got for one step of one ticket. The document is written by the
 * sends to that approver for that step (the request, later a reminder): never at the same time.
 *
 * A request posted while its step was being closed could miss the update, so closing a step first
 * records its outcome (an insert), then updates the messages it finds; a request records its message,
 * then looks for an outcome. Whatever the interleaving, one of the two updates the new message.
 */
export class SlackMessageRepository {
  readonly model: Model<SlackMessageDoc>;
  readonly outcomes: Model<SlackStepOutcomeDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<SlackMessageDoc>('SlackMessage', SlackMessageSchema);
    this.outcomes = connection.model<SlackStepOutcomeDoc>('SlackStepOutcome', SlackStepOutcomeSchema);
  }

  /** Records how a step ended; the first record stands. */
  async closeStep(
    ticketId: string,
    step: number,
    message: { text: string; blocks: Record<string, unknown>[] },
  ): Promise<void> {
    try {
      await this.outcomes.create({ _id: `${ticketId}:${step}`, text: message.text, blocks: message.blocks, at: now() });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  async stepOutcome(ticketId: string, step: number): Promise<SlackStepOutcomeDoc | null> {
    return this.outcomes.findById(`${ticketId}:${step}`).lean<SlackStepOutcomeDoc>().exec();
  }

  private key(ticketId: string, step: number, userId: string) {
    return `${ticketId}:${step}:${userId}`;
  }

  async add(
    ref: { ticketId: string; step: number; userId: string; slackUserId: string } & SlackMessageRef,
  ): Promise<void> {
    const _id = this.key(ref.ticketId, ref.step, ref.userId);
    const message: SlackMessageRef = { channel: ref.channel, ts: ref.ts, notificationId: ref.notificationId };
    const existing = await this.model.findById(_id).lean<SlackMessageDoc>().exec();
    if (!existing) {
      try {
        await this.model.create({
          _id,
          ticketId: ref.ticketId,
          step: ref.step,
          userId: ref.userId,
          slackUserId: ref.slackUserId,
          messages: [message],
          updatedAt: now(),
        });
        return;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        return this.add(ref);
      }
    }
    const messages = existing.messages.filter((m) => m.notificationId !== ref.notificationId);
    await this.model.updateOne(
      { _id },
      { $set: { messages: [...messages, message], slackUserId: ref.slackUserId, updatedAt: now() } },
    );
  }

  async get(ticketId: string, step: number, userId: string): Promise<SlackMessageDoc | null> {
    return this.model
      .findById(this.key(ticketId, step, userId))
      .lean<SlackMessageDoc>()
      .exec();
  }

  /** Every approver's messages for one step. */
  async forStep(ticketId: string, step: number): Promise<SlackMessageDoc[]> {
    return this.model.find({ ticketId, step }).sort({ _id: 1 }).lean<SlackMessageDoc[]>().exec();
  }
}

// ── Slack users ─────────────────────────────────────────────────────────────────────────────────

export interface SlackIdentityDoc {
  /** The Slack user id (`U…`/`W…`). */
  _id: string;
  userId: string;
  /** The email both sides had when the pair was learned: a later change of either invalidates it. */
  email: string;
  learnedAt: string;
}

export const SlackIdentitySchema = new Schema<SlackIdentityDoc>(
  { _id: String, userId: String, email: String, learnedAt: String },
  { versionKey: false, collection: 'slack_identities' },
);

/**
 * Slack user ↔ Gatehouse user, learned from the email they share (a direct message looked the Slack
 * user up by the Gatehouse user's email; a click looked the Gatehouse user up by the Slack profile's).
 * Looked up by Slack user id, the `_id`: a click is answered without asking Slack.
 */
export class SlackIdentityRepository {
  readonly model: Model<SlackIdentityDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<SlackIdentityDoc>('SlackIdentity', SlackIdentitySchema);
  }

  async remember(slackUserId: string, userId: string, email: string): Promise<void> {
    await this.model
      .updateOne(
        { _id: slackUserId },
        { $set: { userId, email: email.toLowerCase(), learnedAt: now() } },
        { upsert: true },
      )
      .catch((err: unknown) => {
        if (!isDuplicateKeyError(err)) throw err;
      });
  }

  async get(slackUserId: string): Promise<SlackIdentityDoc | null> {
    return this.model.findById(slackUserId).lean<SlackIdentityDoc>().exec();
  }
}
