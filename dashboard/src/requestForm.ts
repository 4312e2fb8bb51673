// The Request Access form's state turned into a POST /tickets body, and the policy flags routed back
// to the field that caused them. Pure, so the rules are tested without a browser.
import type { CreateTicketBody, Entitlement, FieldValue, PolicyFlag } from './api/types';
import { fromLocalInput } from './time';

export interface RequestFormState {
  appId: string;
  /** Entitlements to add, in the order they were picked, with their extra field values. */
  adds: { entitlementId: string; fields: Record<string, FieldValue | ''> }[];
  /** Current memberships marked "Modify": removed when the ticket is applied. */
  removes: string[];
  /** `relative`: `hours` long, counted from the approval (the grant), not from the request. */
  durationType: 'indefinite' | 'limited' | 'relative';
  /** datetime-local values (browser's zone); empty start means "from now". */
  start: string;
  end: string;
  /** As typed: hours (decimals allowed) of a relative duration. */
  hours: string;
  reason: string;
  onBehalfOf: string;
  /** Emergency access, granted at once and reviewed afterwards: needs a reason; the end may be left to the policy. */
  breakGlass: boolean;
}

export interface BuiltRequest {
  /** Null while the form cannot be sent yet (see `missing`). */
  body: CreateTicketBody | null;
  /** What is still missing, keyed like the API's flag fields. */
  missing: PolicyFlag[];
  /** changes[i] → entitlement id, to place the server's `changes[i]…` flags. */
  changeEntitlements: string[];
}

export const emptyRequest = (): RequestFormState => ({
  appId: '',
  adds: [],
  removes: [],
  durationType: 'limited',
  start: '',
  end: '',
  hours: '',
  reason: '',
  onBehalfOf: '',
  breakGlass: false,
});

export function buildRequest(
  state: RequestFormState,
  entitlements: Record<string, Entitlement | undefined>,
): BuiltRequest {
  const missing: PolicyFlag[] = [];
  if (!state.appId) missing.push({ code: 'APP_MISSING', message: 'Choose an application.', field: 'appId' });
  const changes: CreateTicketBody['changes'] = [];
  const changeEntitlements: string[] = [];
  for (const id of state.removes) {
    changes.push({ op: 'remove', entitlementId: id });
    changeEntitlements.push(id);
  }
  for (const add of state.adds) {
    const defs = entitlements[add.entitlementId]?.fields ?? [];
    const fields: Record<string, FieldValue> = {};
    for (const def of defs) {
      const v = add.fields[def.key];
      if (v === '' || v === undefined) continue;
      fields[def.key] = def.type === 'number' && typeof v === 'string' ? Number(v) : v;
    }
    changes.push({ op: 'add', entitlementId: add.entitlementId, ...(defs.length ? { fields } : {}) });
    changeEntitlements.push(add.entitlementId);
  }
  if (state.appId && changes.length === 0)
    missing.push({ code: 'ACCESS_MISSING', message: 'Choose the access you need.', field: 'changes' });

  const needsDuration = state.adds.length > 0;
  let duration: CreateTicketBody['duration'];
  if (needsDuration) {
    if (state.durationType === 'indefinite') duration = { type: 'indefinite' };
    else if (state.durationType === 'relative') {
      const seconds = Math.round(Number(state.hours) * 3600);
      if (!state.hours.trim() || !Number.isFinite(seconds) || seconds <= 0)
        missing.push({
          code: 'HOURS_MISSING',
          message: 'Say for how many hours from approval you need the access.',
          field: 'duration.seconds',
        });
      else duration = { type: 'relative', seconds };
    } else if (state.breakGlass && !state.start && !state.end) {
      // Break glass without an end: the policy's break-glass maximum from now.
    } else {
      const end = fromLocalInput(state.end);
      const start = fromLocalInput(state.start);
      if (state.start && !start)
        missing.push({
          code: 'START_INVALID',
          message: 'The start is not a valid date and time.',
          field: 'duration.start',
        });
      if (!end)
        missing.push({ code: 'END_MISSING', message: 'Choose when the access should end.', field: 'duration.end' });
      else duration = { type: 'limited', ...(start ? { start } : {}), end };
    }
  }

  if (state.breakGlass && !state.reason.trim())
    missing.push({
      code: 'BREAK_GLASS_REASON',
      message: 'Breaking glass needs a reason: say what the emergency is.',
      field: 'reason',
    });

  const ready = missing.length === 0;
  const body: CreateTicketBody | null = ready
    ? {
        appId: state.appId,
        changes,
        ...(duration ? { duration } : {}),
        ...(state.reason.trim() ? { reason: state.reason.trim() } : {}),
        ...(state.onBehalfOf.trim() ? { onBehalfOf: state.onBehalfOf.trim() } : {}),
        ...(state.breakGlass ? { breakGlass: true } : {}),
      }
    : null;
  return { body, missing, changeEntitlements };
}

/** Where a flag is shown: a form place like "duration.end", "reason", "entitlement:<id>", "field:<id>:<key>", or "general". */
export function flagPlace(flag: PolicyFlag, changeEntitlements: string[]): string {
  const f = flag.field ?? '';
  const change = /^changes\[(\d+)\](?:\.(entitlementId|fields)(?:\.(.+))?)?$/.exec(f);
  if (change) {
    const ent = changeEntitlements[Number(change[1])];
    if (!ent) return 'general';
    if (change[2] === 'fields' && change[3]) return `field:${ent}:${change[3]}`;
    return `entitlement:${ent}`;
  }
  if (
    f === 'duration.type' ||
    f === 'duration.start' ||
    f === 'duration.end' ||
    f === 'duration.seconds' ||
    f === 'breakGlass' ||
    f === 'reason' ||
    f === 'onBehalfOf' ||
    f === 'appId'
  )
    return f;
  if (f.startsWith('duration')) return 'duration.end';
  return 'general';
}

export function groupFlags(flags: PolicyFlag[], changeEntitlements: string[]): Map<string, PolicyFlag[]> {
  const byPlace = new Map<string, PolicyFlag[]>();
  for (const flag of flags) {
    const place = flagPlace(flag, changeEntitlements);
    byPlace.set(place, [...(byPlace.get(place) ?? []), flag]);
  }
  return byPlace;
}

/** What a flag place depends on in a body: a flag is stale once that part changed since it was validated. */
export function valueAt(body: CreateTicketBody | null, place: string): string {
  if (!body) return '';
  if (place === 'reason') return body.reason ?? '';
  if (place.startsWith('duration.')) return JSON.stringify(body.duration ?? null);
  if (place === 'onBehalfOf') return body.onBehalfOf ?? '';
  if (place === 'breakGlass') return String(body.breakGlass ?? false);
  const field = /^field:([^:]+):(.+)$/.exec(place);
  if (field)
    return JSON.stringify(
      body.changes.find((c) => c.op === 'add' && c.entitlementId === field[1])?.fields?.[field[2]] ?? null,
    );
  return JSON.stringify(body);
}

/**
 * The flags of the last validation that still describe the form: a flag whose field was edited since
 * is hidden until the next validation answers, so fixing a field clears its warning at once.
 */
export function currentFlags(
  validated: { body: CreateTicketBody | null; flags: PolicyFlag[] },
  body: CreateTicketBody | null,
  changeEntitlements: string[],
): PolicyFlag[] {
  return validated.flags.filter((f) => {
    const place = flagPlace(f, changeEntitlements);
    return valueAt(validated.body, place) === valueAt(body, place);
  });
}
