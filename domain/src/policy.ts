/**
 * Policy evaluation: every reason a request breaks its app's policy, all at once, so a form can show
 * them before submit. The gateway calls it to flag and refuse; the workflow calls the duration part to
 * check an approver's modified duration authoritatively.
 */
import type { AccessPolicy, App, Entitlement, EntitlementField } from './app';
import { START_GRACE_MS } from './duration';
import { effectivePolicy } from './effective-policy';
import type { ChangeRequest, Duration, FieldValue } from './ticket';

export type FlagCode =
  | 'MAX_DURATION_EXCEEDED'
  | 'INDEFINITE_NOT_ALLOWED'
  | 'REASON_REQUIRED'
  | 'FIELD_REQUIRED'
  | 'FIELD_INVALID'
  | 'END_BEFORE_START'
  | 'START_IN_PAST'
  | 'ALREADY_HAS_ACCESS'
  | 'NOT_A_MEMBER'
  /** A step's approver rules resolve to nobody for this beneficiary (see approver-rules.ts). */
  | 'NO_ELIGIBLE_APPROVER'
  /** The access policies (Cedar) do not let the beneficiary request an entitlement (docs/policy.md). */
  | 'NOT_ELIGIBLE'
  /** An extension beyond the policy's `extensions` limits (docs/policy.md, "Lifetime"). */
  | 'EXTENSION_LIMIT';

export interface PolicyFlag {
  code: FlagCode;
  message: string;
  field?: string;
  /** ALREADY_HAS_ACCESS: the ticket whose access the beneficiary holds (the one to extend). */
  ticketId?: string;
  /** ALREADY_HAS_ACCESS of limited access: extend it (`POST /tickets/:ticketId/extend`) rather than ask again. */
  suggest?: 'extend';
}

export interface DurationCheckOptions {
  /** Where the maximum is measured from, when not from the start (extensions: the later of start and now). */
  measureFrom?: string;
  /** Skip START_IN_PAST: an approver modifying a running access keeps its original start. */
  allowPastStart?: boolean;
}

export function formatSeconds(total: number): string {
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.floor(total % 60);
  const parts = [days && `${days}d`, hours && `${hours}h`, minutes && `${minutes}m`, seconds && `${seconds}s`];
  return parts.filter(Boolean).join(' ') || '0s';
}

/** Relative access lasts `seconds` from its grant: only its length can break the policy. */
function checkRelative(policy: Pick<AccessPolicy, 'maxDurationSeconds'>, seconds: number): PolicyFlag[] {
  if (policy.maxDurationSeconds === undefined || seconds <= policy.maxDurationSeconds) return [];
  return [
    {
      code: 'MAX_DURATION_EXCEEDED',
      message: `Access may last at most ${formatSeconds(policy.maxDurationSeconds)}; this asks for ${formatSeconds(seconds)}.`,
      field: 'duration.seconds',
    },
  ];
}

export function checkDuration(
  policy: Pick<AccessPolicy, 'maxDurationSeconds' | 'allowIndefinite'>,
  duration: Duration,
  now: Date,
  options: DurationCheckOptions = {},
): PolicyFlag[] {
  if (duration.type === 'indefinite') {
    return policy.allowIndefinite === false
      ? [
          {
            code: 'INDEFINITE_NOT_ALLOWED',
            message: 'This application does not grant indefinite access; choose an end date.',
            field: 'duration.type',
          },
        ]
      : [];
  }
  if (duration.type === 'relative') return checkRelative(policy, duration.seconds);
  const flags: PolicyFlag[] = [];
  const start = Date.parse(duration.start);
  const end = Date.parse(duration.end);
  if (!options.allowPastStart && start < now.getTime() - START_GRACE_MS) {
    flags.push({ code: 'START_IN_PAST', message: 'The start lies in the past.', field: 'duration.start' });
  }
  if (end <= start) {
    flags.push({ code: 'END_BEFORE_START', message: 'The end must come after the start.', field: 'duration.end' });
  } else if (policy.maxDurationSeconds !== undefined) {
    const from = options.measureFrom ? Math.max(start, Date.parse(options.measureFrom)) : start;
    const length = (end - from) / 1000;
    if (length > policy.maxDurationSeconds) {
      flags.push({
        code: 'MAX_DURATION_EXCEEDED',
        message: `Access may last at most ${formatSeconds(policy.maxDurationSeconds)}; this asks for ${formatSeconds(length)}.`,
        field: 'duration.end',
      });
    }
  }
  return flags;
}

function checkFieldValue(def: EntitlementField, value: FieldValue): string | null {
  switch (def.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be text';
      if (def.pattern && !new RegExp(def.pattern).test(value)) return `must match ${def.pattern}`;
      return null;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'enum':
      return typeof value === 'string' && (def.options ?? []).includes(value)
        ? null
        : `must be one of ${(def.options ?? []).join(', ')}`;
  }
}

export function checkFields(
  entitlement: Entitlement,
  fields: Record<string, FieldValue> | undefined,
  index: number,
): PolicyFlag[] {
  const flags: PolicyFlag[] = [];
  const given = fields ?? {};
  const defs = entitlement.fields ?? [];
  for (const def of defs) {
    const field = `changes[${index}].fields.${def.key}`;
    const value = given[def.key];
    if (value === undefined || value === '') {
      if (def.required)
        flags.push({ code: 'FIELD_REQUIRED', message: `${def.label} is required for ${entitlement.name}.`, field });
      continue;
    }
    const problem = checkFieldValue(def, value);
    if (problem) flags.push({ code: 'FIELD_INVALID', message: `${def.label} ${problem}.`, field });
  }
  for (const key of Object.keys(given)) {
    if (!defs.some((d) => d.key === key)) {
      flags.push({
        code: 'FIELD_INVALID',
        message: `${entitlement.name} has no field "${key}".`,
        field: `changes[${index}].fields`,
      });
    }
  }
  return flags;
}

export interface RequestToEvaluate {
  changes: ChangeRequest[];
  /** Resolved duration; null for a pure remove ticket. */
  duration: Duration | null;
  reason?: string | null;
}

export interface EvaluationContext {
  app: App;
  now: Date;
  /** Whether the beneficiary currently holds an entitlement of this app. */
  holds: (entitlementId: string) => boolean;
  /** The ticket that gave the beneficiary an entitlement they hold, and when that access ends (null: never). */
  heldBy?: (entitlementId: string) => { ticketId: string; end: string | null } | undefined;
  duration?: DurationCheckOptions;
}

/** Where ALREADY_HAS_ACCESS points: the owning ticket, and `extend` when that access has an end to move. */
function holding(ctx: EvaluationContext, entitlementId: string): Pick<PolicyFlag, 'ticketId' | 'suggest'> {
  const held = ctx.heldBy?.(entitlementId);
  if (!held) return {};
  return held.end === null ? { ticketId: held.ticketId } : { ticketId: held.ticketId, suggest: 'extend' };
}

/**
 * Every policy flag of a request, against the policy of its entitlements (effective-policy.ts).
 * Entitlements must exist (the caller answers 404 before this).
 */
export function evaluateRequest(request: RequestToEvaluate, ctx: EvaluationContext): PolicyFlag[] {
  const { app } = ctx;
  const policy = effectivePolicy(
    app,
    request.changes.map((c) => c.entitlementId),
  ).policy;
  const flags: PolicyFlag[] = [];
  if (policy.requireReason && !request.reason?.trim()) {
    flags.push({ code: 'REASON_REQUIRED', message: 'A reason is required for this application.', field: 'reason' });
  }
  request.changes.forEach((change, index) => {
    const entitlement = app.entitlements.find((e) => e.id === change.entitlementId);
    if (!entitlement) return;
    const held = ctx.holds(entitlement.id);
    if (change.op === 'add') {
      flags.push(...checkFields(entitlement, change.fields, index));
      if (held) {
        flags.push({
          code: 'ALREADY_HAS_ACCESS',
          message: `The beneficiary already has ${entitlement.name}.`,
          field: `changes[${index}].entitlementId`,
          ...holding(ctx, entitlement.id),
        });
      }
    } else if (!held) {
      flags.push({
        code: 'NOT_A_MEMBER',
        message: `The beneficiary does not have ${entitlement.name}, so it cannot be removed.`,
        field: `changes[${index}].entitlementId`,
      });
    }
  });
  if (request.duration) flags.push(...checkDuration(policy, request.duration, ctx.now, ctx.duration));
  return flags;
}
