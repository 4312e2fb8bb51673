/**
 * Webhook endpoints and their deliveries (docs/api.md, "Webhooks").
 *
 * - `webhooks`: one document per endpoint, with its signing secret. The secret is stored as is (signing
 *   needs it) and leaves this repository only through `withSecret`, `create` and `rotateSecret`.
 * - `webhook_deliveries`: one document per endpoint and event (`_id` = `<endpointId>:<eventId>`), created by
 *   a unique insert, so a re-published event never makes a second delivery.
 * - `webhook_attempts`: one document per HTTP attempt. A delivery document only gets `$set`s of its latest
 *   attempt's fields, never a read-modify-write: FerretDB loses concurrent updates to one document.
 */
import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { TicketEvent, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '@gatehouse/domain';
import { isDuplicateKeyError } from './connection';

const opts = { versionKey: false, minimize: false } as const;
const now = () => new Date().toISOString();

export interface WebhookEndpointDoc {
  _id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  secret: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export const WebhookEndpointSchema = new Schema<WebhookEndpointDoc>(
  {
    _id: String,
    url: String,
    events: [String],
    description: String,
    enabled: Boolean,
    secret: String,
    createdAt: String,
    createdBy: String,
    updatedAt: String,
  },
  { ...opts, collection: 'webhooks' },
);

export interface WebhookDeliveryDoc extends Omit<WebhookDelivery, 'id'> {
  _id: string;
  /** `<createdAt>|<_id>`: the listing's order and cursor. */
  sortKey: string;
}

export const WebhookDeliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    _id: String,
    endpointId: String,
    eventId: String,
    eventType: String,
    ticketId: String,
    status: String,
    attempts: Number,
    lastAttemptAt: String,
    lastStatusCode: Number,
    lastError: String,
    deliveredAt: String,
    replays: Number,
    createdAt: String,
    sortKey: String,
  },
  { ...opts, collection: 'webhook_deliveries' },
);
WebhookDeliverySchema.index({ endpointId: 1, sortKey: -1 });

/** One HTTP attempt of a delivery. */
export interface WebhookAttempt {
  /** 0 for the delivery's first run, n for its n-th replay. */
  replay: number;
  /** Temporal's attempt number within that run, from 1. */
  attempt: number;
  at: string;
  /** The endpoint's HTTP status; null when no response came (timeout, refused connection). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

interface WebhookAttemptDoc extends WebhookAttempt {
  _id: string;
  deliveryId: string;
  endpointId: string;
}

const WebhookAttemptSchema = new Schema<WebhookAttemptDoc>(
  {
    _id: String,
    deliveryId: String,
    endpointId: String,
    replay: Number,
    attempt: Number,
    at: String,
    statusCode: Number,
    error: String,
    durationMs: Number,
  },
  { ...opts, collection: 'webhook_attempts' },
);
WebhookAttemptSchema.index({ deliveryId: 1 });
WebhookAttemptSchema.index({ endpointId: 1 });

/** `whsec_` and 32 random bytes: the HMAC key of an endpoint's signatures. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function endpointFromDoc(doc: WebhookEndpointDoc): WebhookEndpoint {
  return {
    id: doc._id,
    url: doc.url,
    events: [...doc.events],
    description: doc.description ?? null,
    enabled: doc.enabled,
    createdAt: doc.createdAt,
    createdBy: doc.createdBy,
  };
}

export interface NewWebhookEndpoint {
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  createdBy: string;
}

export class WebhookRepository {
  readonly model: Model<WebhookEndpointDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<WebhookEndpointDoc>('WebhookEndpoint', WebhookEndpointSchema);
  }

  /** Creates an endpoint with a fresh id and secret; the secret is returned this once. */
  async create(input: NewWebhookEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const at = now();
    const doc: WebhookEndpointDoc = {
      _id: `wh_${randomBytes(8).toString('hex')}`,
      ...input,
      secret: newSecret(),
      createdAt: at,
      updatedAt: at,
    };
    await this.model.collection.insertOne(doc as never);
    return { endpoint: endpointFromDoc(doc), secret: doc.secret };
  }

  async get(id: string): Promise<WebhookEndpoint | null> {
    const doc = await this.model.findById(id).lean<WebhookEndpointDoc>().exec();
    return doc ? endpointFromDoc(doc) : null;
  }

  /** The endpoint with its secret, for signing a delivery. */
  async withSecret(id: string): Promise<(WebhookEndpoint & { secret: string }) | null> {
    const doc = await this.model.findById(id).lean<WebhookEndpointDoc>().exec();
    return doc ? { ...endpointFromDoc(doc), secret: doc.secret } : null;
  }

  async list(): Promise<WebhookEndpoint[]> {
    const docs = await this.model.find().sort({ createdAt: 1, _id: 1 }).lean<WebhookEndpointDoc[]>().exec();
    return docs.map(endpointFromDoc);
  }

  /** Enabled endpoints subscribed to at least one of these event types (or to `*`). */
  async subscribedTo(eventTypes: string[]): Promise<WebhookEndpoint[]> {
    const docs = await this.model
      .find({ enabled: true, events: { $in: [...eventTypes, '*'] } })
      .lean<WebhookEndpointDoc[]>()
      .exec();
    return docs.map(endpointFromDoc);
  }

  async update(
    id: string,
    patch: Partial<Pick<WebhookEndpoint, 'url' | 'events' | 'description' | 'enabled'>>,
  ): Promise<WebhookEndpoint | null> {
    const doc = await this.model
      .findOneAndUpdate({ _id: id }, { $set: { ...patch, updatedAt: now() } }, { new: true })
      .lean<WebhookEndpointDoc>()
      .exec();
    return doc ? endpointFromDoc(doc) : null;
  }

  /** Replaces the secret; the next attempt of every delivery signs with the new one. Null for an unknown id. */
  async rotateSecret(id: string): Promise<string | null> {
    const secret = newSecret();
    const res = await this.model.updateOne({ _id: id }, { $set: { secret, updatedAt: now() } });
    return res.matchedCount ? secret : null;
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.model.deleteOne({ _id: id });
    return res.deletedCount > 0;
  }
}

function deliveryFromDoc(doc: WebhookDeliveryDoc): WebhookDelivery {
  return {
    id: doc._id,
    endpointId: doc.endpointId,
    eventId: doc.eventId,
    eventType: doc.eventType,
    ticketId: doc.ticketId,
    status: doc.status,
    attempts: doc.attempts ?? 0,
    lastAttemptAt: doc.lastAttemptAt ?? null,
    lastStatusCode: doc.lastStatusCode ?? null,
    lastError: doc.lastError ?? null,
    deliveredAt: doc.deliveredAt ?? null,
    replays: doc.replays ?? 0,
    createdAt: doc.createdAt,
  };
}

export function webhookDeliveryId(endpointId: string, eventId: string): string {
  return `${endpointId}:${eventId}`;
}

export class WebhookDeliveryRepository {
  readonly model: Model<WebhookDeliveryDoc>;
  readonly attemptModel: Model<WebhookAttemptDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<WebhookDeliveryDoc>('WebhookDelivery', WebhookDeliverySchema);
    this.attemptModel = connection.model<WebhookAttemptDoc>('WebhookAttempt', WebhookAttemptSchema);
  }

  /** The pending delivery of this event to this endpoint, inserted unless it exists; `created` says which. */
  async createIfAbsent(
    endpointId: string,
    event: TicketEvent,
  ): Promise<{ delivery: WebhookDelivery; created: boolean }> {
    const _id = webhookDeliveryId(endpointId, event.id);
    const createdAt = now();
    const doc: WebhookDeliveryDoc = {
      _id,
      endpointId,
      eventId: event.id,
      eventType: event.type,
      ticketId: event.ticketId,
      status: 'pending',
      attempts: 0,
      lastAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      deliveredAt: null,
      replays: 0,
      createdAt,
      sortKey: `${createdAt}|${_id}`,
    };
    try {
      await this.model.collection.insertOne(doc as never);
      return { delivery: deliveryFromDoc(doc), created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.get(_id);
      if (!existing) throw err;
      return { delivery: existing, created: false };
    }
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    const doc = await this.model.findById(id).lean<WebhookDeliveryDoc>().exec();
    return doc ? deliveryFromDoc(doc) : null;
  }

  /** An endpoint's deliveries, newest first; `cursor` is the `nextCursor` of the previous page. */
  async list(
    endpointId: string,
    q: { status?: WebhookDeliveryStatus; limit: number; cursor?: string },
  ): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
    const filter: Record<string, unknown> = { endpointId };
    if (q.status) filter.status = q.status;
    if (q.cursor) filter.sortKey = { $lt: Buffer.from(q.cursor, 'base64url').toString('utf8') };
    const docs = await this.model
      .find(filter)
      .sort({ sortKey: -1 })
      .limit(q.limit + 1)
      .lean<WebhookDeliveryDoc[]>()
      .exec();
    const page = docs.slice(0, q.limit);
    return {
      items: page.map(deliveryFromDoc),
      nextCursor: docs.length > q.limit ? Buffer.from(page[page.length - 1].sortKey).toString('base64url') : null,
    };
  }

  /** Records one attempt (idempotent per run and attempt) and copies its outcome onto the delivery. */
  async recordAttempt(delivery: Pick<WebhookDelivery, 'id' | 'endpointId'>, attempt: WebhookAttempt): Promise<void> {
    try {
      await this.attemptModel.collection.insertOne({
        _id: `${delivery.id}#${attempt.replay}.${attempt.attempt}`,
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        ...attempt,
      } as never);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const attempts = await this.attemptModel.countDocuments({ deliveryId: delivery.id }).exec();
    await this.model.updateOne(
      { _id: delivery.id },
      { $set: { attempts, lastAttemptAt: attempt.at, lastStatusCode: attempt.statusCode, lastError: attempt.error } },
    );
  }

  /** A delivery's attempts in the order they happened. */
  async attempts(deliveryId: string): Promise<WebhookAttempt[]> {
    const docs = await this.attemptModel
      .find({ deliveryId })
      .sort({ replay: 1, attempt: 1 })
      .lean<WebhookAttemptDoc[]>()
      .exec();
    return docs.map(({ replay, attempt, at, statusCode, error, durationMs }) => ({
      replay,
      attempt,
      at,
      statusCode: statusCode ?? null,
      error: error ?? null,
      durationMs,
    }));
  }

  async markDelivered(id: string): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { status: 'delivered', deliveredAt: now(), lastError: null } });
  }

  /** Gives a delivery up, unless another run of it (a replay) delivered it meanwhile. */
  async markFailed(id: string, error: string | null): Promise<void> {
    await this.model.updateOne(
      { _id: id, status: { $ne: 'delivered' } },
      { $set: { status: 'failed', ...(error !== null ? { lastError: error } : {}) } },
    );
  }

  /** Before the n-th replay starts: pending again, and counted. */
  async markReplaying(id: string, replay: number): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { status: 'pending' }, $max: { replays: replay } });
  }

  async deleteForEndpoint(endpointId: string): Promise<void> {
    await this.model.deleteMany({ endpointId });
    await this.attemptModel.deleteMany({ endpointId });
  }
}
