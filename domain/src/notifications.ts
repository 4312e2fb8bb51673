/**
 * Telling people and systems what happens to tickets.
 *
 * Every entry of a ticket's log is a **ticket event**. The ticket workflow publishes its events, in
 * order, through the `publishTicketEvents` activity, or with the read-model write they came with through
 * `writeTicket` (at least once: a retried publish repeats events with the same `id`). Publishing stores each event in the permanent `ticket_events` collection and
 * starts, per event, the deliveries that follow from it: one `webhookDeliveryWorkflow` per subscribed
 * webhook endpoint, and one `notifyWorkflow` for the people it concerns (Slack, email). Deliveries run
 * in workflows of their own, so a slow or dead endpoint never delays the ticket.
 */
import { ADMIN_ROLE } from './identity';
import type { PersistTicketStateInput } from './activities';
import type {
  AccessStatus,
  ApprovalState,
  ApprovalStepState,
  Duration,
  LogEntry,
  LogEventType,
  PersonRef,
  TicketAction,
  TicketChange,
  TicketStatus,
  TicketType,
  AccessState,
} from './ticket';

/** What a ticket looked like right after the change an event records. Names and ids only, no secrets. */
export interface TicketEventSnapshot {
  id: string;
  type: TicketType;
  action: TicketAction;
  status: TicketStatus;
  app: { id: string; name: string };
  requester: PersonRef;
  beneficiary: PersonRef;
  changes: { op: 'add' | 'remove'; entitlementId: string; entitlementName: string }[];
  duration: Duration | null;
  reason: string | null;
  approval: {
    currentStep: number;
    /** Approver rules of the current step (`user:<id>`, `group:<name>`, `role:<name>`); empty once decided. */
    awaiting: string[];
    steps: Pick<ApprovalStepState, 'name' | 'state' | 'approvers' | 'approvedBy'>[];
  };
  access: { state: AccessState; start: string | null; end: string | null };
  parentTicketId: string | null;
}

export interface TicketEvent {
  /** Stable across retries and redeliveries: `<ticketId>:<sequence>`. Consumers drop duplicates by it. */
  id: string;
  /** 1-based position of the event in the ticket's log: events of one ticket are ordered by it. */
  sequence: number;
  type: LogEventType;
  ticketId: string;
  at: string;
  actor: string;
  comment: string | null;
  details: Record<string, unknown>;
  ticket: TicketEventSnapshot;
}

/**
 * What a snapshot is made of: a ticket as the API shows it, or a workflow's input and state spread
 * together. The snapshot's fields, with the full changes, approval and access it trims.
 */
export interface TicketSnapshotSource extends Omit<TicketEventSnapshot, 'changes' | 'approval' | 'access'> {
  changes: TicketChange[];
  approval: ApprovalState;
  access: AccessStatus;
}

/** The snapshot events carry (copies: the source may change after). */
export function ticketEventSnapshot(t: TicketSnapshotSource): TicketEventSnapshot {
  return {
    id: t.id,
    type: t.type,
    action: t.action,
    status: t.status,
    app: t.app,
    requester: t.requester,
    beneficiary: t.beneficiary,
    changes: t.changes.map((c) => ({ op: c.op, entitlementId: c.entitlement.id, entitlementName: c.entitlement.name })),
    duration: t.duration,
    reason: t.reason,
    approval: {
      currentStep: t.approval.currentStep,
      awaiting: [...t.approval.awaiting],
      steps: t.approval.steps.map((s) => ({
        name: s.name,
        state: s.state,
        approvers: [...s.approvers],
        approvedBy: [...s.approvedBy],
      })),
    },
    access: { state: t.access.state, start: t.access.start, end: t.access.end },
    parentTicketId: t.parentTicketId,
  };
}

export function ticketEventId(ticketId: string, sequence: number): string {
  return `${ticketId}:${sequence}`;
}

/** The event of the `index`-th (0-based) log entry. */
export function toTicketEvent(
  ticketId: string,
  index: number,
  entry: LogEntry,
  ticket: TicketEventSnapshot,
): TicketEvent {
  const sequence = index + 1;
  return {
    id: ticketEventId(ticketId, sequence),
    sequence,
    type: entry.event,
    ticketId,
    at: entry.at,
    actor: entry.actor,
    comment: entry.comment,
    details: entry.details,
    ticket,
  };
}

/** Every event type a webhook may subscribe to (`*` subscribes to all). */
export const TICKET_EVENT_TYPES: readonly LogEventType[] = [
  'created',
  'approved',
  'auto_approved',
  'rejected',
  'duration_modified',
  'cancelled',
  'applying',
  'granted',
  'already_held',
  'provisioning_failed',
  'retried',
  'extended',
  'expired',
  'revoked',
  'relinquished',
  'removed',
  'reminder_sent',
  'escalated',
  'approver_removed',
  'expiring_soon',
  'break_glass',
  'break_glass_confirmed',
  'break_glass_revoked',
  'break_glass_escalated',
];

// ── Webhooks ─────────────────────────────────────────────────────────────────────────────────────

/** A webhook endpoint as the API returns it: never its secret after creation. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  /** Event types delivered; `['*']` means all. */
  events: string[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
  createdBy: string;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  /** `<endpointId>:<eventId>`: one delivery per endpoint and event, whatever retries happen. */
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  ticketId: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  /** How many times an admin replayed it. */
  replays: number;
  createdAt: string;
}

/** Headers of a delivery. The signature is `v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret>`. */
export const WEBHOOK_HEADERS = {
  id: 'gatehouse-event-id',
  type: 'gatehouse-event-type',
  timestamp: 'gatehouse-timestamp',
  signature: 'gatehouse-signature',
  delivery: 'gatehouse-delivery-id',
} as const;

// ── People ───────────────────────────────────────────────────────────────────────────────────────

export type NotificationKind =
  /** The current step needs this approver (a new step, or escalated to them). */
  | 'approval_requested'
  /** The step still waits for this approver. */
  | 'approval_reminder'
  /** A step this approver was asked to decide is over (decided, cancelled): update what they were sent. */
  | 'approval_closed'
  /** To the requester and beneficiary: approved or rejected. */
  | 'ticket_decided'
  /** To the requester and beneficiary: the access is live. */
  | 'access_granted'
  /** To the requester and beneficiary: the access ends soon (extend it). */
  | 'access_expiring'
  /** To every approver of the ticket's steps and every admin: access was taken by break-glass; review it. */
  | 'break_glass'
  /** To the fallback reviewers: a break-glass ticket was not reviewed in time. */
  | 'break_glass_overdue';

/** One message to one person about one event, on every channel configured for it. */
export interface Notification {
  /** `<eventId>:<kind>:<userId>`: stable, so a retried send can tell it already went out. */
  id: string;
  kind: NotificationKind;
  userId: string;
  event: TicketEvent;
  /** `approval_requested` / `approval_reminder` / `approval_closed`: the step concerned. */
  step?: number;
}

/** Link to a ticket in the dashboard, for messages. */
export function ticketLink(publicUrl: string, ticketId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/#/tickets/${encodeURIComponent(ticketId)}`;
}

// ── Activities and workflows ─────────────────────────────────────────────────────────────────────

export const NOTIFY_WORKFLOW_TYPE = 'notifyWorkflow';
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';

export interface PublishTicketEventsInput {
  events: TicketEvent[];
}

/** A version of the ticket and the events queued with it: persisted as `persistTicketState` does, then published. */
export interface WriteTicketInput extends PersistTicketStateInput {
  events: TicketEvent[];
}

export interface WebhookDeliveryInput {
  deliveryId: string;
  /** Attempts before the delivery is given up as failed (default 12: about an hour of backoff, 2 s doubling up to 30 min apart). */
  maxAttempts?: number;
}

export interface DeliverWebhookResult {
  statusCode: number;
}

export interface NotificationActivities {
  /** Stores the events (idempotently) and starts their deliveries. */
  publishTicketEvents(input: PublishTicketEventsInput): Promise<void>;
  /**
   * Writes the read model, then publishes the events: one activity for a state change and its events.
   * Here, not with `persistTicketState`, because publishing needs the notifier settings and queues.
   */
  writeTicket(input: WriteTicketInput): Promise<void>;
  /**
   * `writeTicket` as a local activity (patch `local-writes`; `events` may be empty). A run's history keeps a
   * local activity's result but not its input, so this one answers with the write it made: the reindex
   * reads it back from there, as it reads a `writeTicket`'s input.
   */
  writeTicketLocal(input: WriteTicketInput): Promise<PersistTicketStateInput>;
  /** Who must hear about this event, and what. */
  planNotifications(event: TicketEvent): Promise<Notification[]>;
  /** Sends one notification on every configured channel (Slack, email); idempotent per notification id. */
  sendNotification(notification: Notification): Promise<void>;
  /** One signed POST of the delivery's event to its endpoint; throws on anything but a 2xx. */
  deliverWebhook(input: { deliveryId: string; attempt: number }): Promise<DeliverWebhookResult>;
  /** Records the outcome of a delivery once its retries ended. */
  finishWebhookDelivery(input: { deliveryId: string; delivered: boolean; error: string | null }): Promise<void>;
}

// ── Who hears about what ─────────────────────────────────────────────────────────────────────────

/**
 * Who a notification goes to, before approver rules are resolved to people. `step`: the approval step
 * concerned (absent for break-glass reviewers, who review the whole ticket).
 */
export type NotificationAudience =
  { approvers: string[]; step?: number; excludeApproved: boolean } | { requester: true };

export interface PlannedNotification {
  kind: NotificationKind;
  audience: NotificationAudience;
}

/**
 * The notifications an event calls for (pure): approvers when a step opens, is reminded or escalates,
 * and when it closes (so their messages show the outcome); the requester and beneficiary when the ticket
 * is decided, the access is granted, and before it expires.
 */
export function plannedNotifications(event: TicketEvent): PlannedNotification[] {
  const t = event.ticket;
  const stepOf = (i: unknown) => (typeof i === 'number' ? i : t.approval.currentStep);
  const approversOf = (step: number) => t.approval.steps[step]?.approvers ?? [];
  const opened = (step: number): PlannedNotification => ({
    kind: 'approval_requested',
    audience: { approvers: approversOf(step), step, excludeApproved: true },
  });
  const closed = (step: number): PlannedNotification[] =>
    t.approval.steps[step]
      ? [{ kind: 'approval_closed', audience: { approvers: approversOf(step), step, excludeApproved: false } }]
      : [];
  const requester: NotificationAudience = { requester: true };
  switch (event.type) {
    case 'created':
      return t.status === 'pending' && t.approval.steps.length ? [opened(t.approval.currentStep)] : [];
    case 'approved': {
      if (event.actor === 'system' && !t.approval.steps.length) return [];
      const step = stepOf(event.details.step);
      if (t.status === 'pending')
        return t.approval.currentStep !== step ? [...closed(step), opened(t.approval.currentStep)] : [];
      return [...closed(step), { kind: 'ticket_decided', audience: requester }];
    }
    case 'rejected':
      return [...closed(stepOf(event.details.step)), { kind: 'ticket_decided', audience: requester }];
    case 'cancelled':
      return closed(t.approval.currentStep);
    case 'reminder_sent':
      return [
        {
          kind: 'approval_reminder',
          audience: {
            approvers: approversOf(stepOf(event.details.step)),
            step: stepOf(event.details.step),
            excludeApproved: true,
          },
        },
      ];
    case 'escalated': {
      const to = Array.isArray(event.details.to) ? event.details.to.map(String) : [];
      return [
        {
          kind: 'approval_requested',
          audience: { approvers: to, step: stepOf(event.details.step), excludeApproved: true },
        },
      ];
    }
    case 'granted':
      return [{ kind: 'access_granted', audience: requester }];
    case 'expiring_soon':
      return [{ kind: 'access_expiring', audience: requester }];
    case 'break_glass': {
      // Every approver of every step (none of them approved it) and every admin, at once.
      const reviewers = [...new Set([...t.approval.steps.flatMap((s) => s.approvers), `role:${ADMIN_ROLE}`])];
      return [{ kind: 'break_glass', audience: { approvers: reviewers, excludeApproved: false } }];
    }
    case 'break_glass_escalated': {
      const to = Array.isArray(event.details.to) ? event.details.to.map(String) : [];
      return [{ kind: 'break_glass_overdue', audience: { approvers: to, excludeApproved: false } }];
    }
    default:
      return [];
  }
}

/** Event types that may notify people: only these start a `notifyWorkflow`. */
export const NOTIFYING_EVENT_TYPES: readonly LogEventType[] = [
  'created',
  'approved',
  'rejected',
  'cancelled',
  'reminder_sent',
  'escalated',
  'granted',
  'expiring_soon',
  'break_glass',
  'break_glass_escalated',
];
