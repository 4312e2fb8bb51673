/**
 * What the read model derives from the tickets, computed from the tickets alone (the rebuild's second
 * phase): grants with their holders, license seats, open claims, taken ticket numbers and late re-raise
 * links. Pure, so the rules are read and tested in one place.
 *
 * A grant is rebuilt by replaying, in time order, what each ticket's state says happened to it, through
 * the same summary (`summarized`) the grant activities save:
 *   - a ticket whose `applyAccess` succeeded (`access.grantedAt`) held each of its `add`s from then, for
 *     `access.start` until its end at the time (an approved extension's `extended` entry moves it later),
 *     and its log's `already_held` says whether the grant was marked preexisting after that hold;
 *   - its `remove`s ended every holder at the same moment;
 *   - it stopped holding when its access expired or was revoked (`access.revokedAt`), remembered in
 *     `released` as the release recorded it.
 * Not recoverable: in-flight marks (`granting`), holdings of a ticket parked in `failed` (the changes it
 * granted before the one that failed), and whether a revoke was an admin's: an admin's revoke clears
 * `preexisting` while other holders remain, and the ticket's log names the revoker but not their roles,
 * so such a grant is rebuilt with the mark its last hold reported. Concurrent changes of one grant are
 * ordered by the time their activity took, which may differ from the order their leases gave them.
 */
import { claimKey, summarized, withRelease, type GrantRecord, type TicketDoc } from '@gatehouse/store';
import type { LogEntry, TicketChange } from '@gatehouse/domain';

/** The fields of a stored ticket the derivation reads. */
export type DerivingTicket = Pick<
  TicketDoc,
  | '_id'
  | 'seq'
  | 'type'
  | 'status'
  | 'beneficiary'
  | 'app'
  | 'changes'
  | 'access'
  | 'log'
  | 'parentTicketId'
  | 'childTicketIds'
  | 'createdAt'
  | 'resolvedAt'
>;

export const DERIVING_TICKET_FIELDS = [
  '_id',
  'seq',
  'type',
  'status',
  'beneficiary',
  'app',
  'changes',
  'access',
  'log',
  'parentTicketId',
  'childTicketIds',
  'createdAt',
  'resolvedAt',
] as const satisfies readonly (keyof DerivingTicket)[];

type GrantEvent = { at: number; seq: number; rank: number; ticketId: string } & (
  | { kind: 'hold'; start: string; end: string | null; alreadyHeld: boolean }
  | { kind: 'remove' }
  | { kind: 'moveEnd'; end: string }
  | { kind: 'release'; endedAs: 'expired' | 'revoked' }
);

export interface RebuiltSeat {
  appId: string;
  licenseId: string;
  userId: string;
  ticketId: string;
  at: string;
}

export interface Derived {
  grants: GrantRecord[];
  seats: RebuiltSeat[];
  claims: { _id: string; ticketId: string; createdAt: string }[];
  ticketNumbers: { _id: number; at: string }[];
  childLinks: { parentId: string; childId: string }[];
}

const changesOf = (t: DerivingTicket) => t.changes as TicketChange[];
const logOf = (t: DerivingTicket) => t.log as LogEntry[];
const key = (appId: string, userId: string, entitlementId: string) => `${appId}\u0000${userId}\u0000${entitlementId}`;

/** What one ticket did to each grant it touched, keyed by grant. */
function grantEventsOf(t: DerivingTicket): [string, GrantEvent][] {
  const { access } = t;
  // Extension tickets move their owner's holder (the owner's `extended` entries); they hold nothing themselves.
  if (t.type === 'extend' || !access.grantedAt) return [];
  const base = { seq: t.seq, ticketId: t._id };
  const log = logOf(t);
  const alreadyHeld = new Set(
    log.filter((e) => e.event === 'already_held').flatMap((e) => (e.details.entitlementIds as string[]) ?? []),
  );
  const moves = log.filter((e) => e.event === 'extended' && typeof e.details.to === 'string');
  const grantedAt = Date.parse(access.grantedAt);
  const events: [string, GrantEvent][] = [];
  for (const change of changesOf(t)) {
    const k = key(t.app.id, t.beneficiary.id, change.entitlement.id);
    if (change.op === 'remove') {
      events.push([k, { ...base, at: grantedAt, rank: 1, kind: 'remove' }]);
      continue;
    }
    const firstEnd = moves.length ? (moves[0].details.from as string) : access.end;
    events.push([
      k,
      {
        ...base,
        at: grantedAt,
        rank: 0,
        kind: 'hold',
        start: access.start ?? access.grantedAt,
        end: firstEnd ?? null,
        alreadyHeld: alreadyHeld.has(change.entitlement.id),
      },
    ]);
    for (const m of moves)
      events.push([k, { ...base, at: Date.parse(m.at), rank: 2, kind: 'moveEnd', end: m.details.to as string }]);
    if ((access.state === 'expired' || access.state === 'revoked') && access.revokedAt) {
      events.push([k, { ...base, at: Date.parse(access.revokedAt), rank: 3, kind: 'release', endedAs: access.state }]);
    }
  }
  return events;
}

/** One grant's events, in time order, through the grant activities' rules; null when none left a grant. */
function replay(appId: string, userId: string, entitlementId: string, events: GrantEvent[]): GrantRecord | null {
  let record: GrantRecord | null = null;
  const holding = (r: GrantRecord | null, ticketId: string) => !!r?.holders.some((h) => h.ticketId === ticketId);
  for (const e of [...events].sort((a, b) => a.at - b.at || a.seq - b.seq || a.rank - b.rank)) {
    if (e.kind === 'hold') {
      const r: GrantRecord = record ?? {
        userId,
        appId,
        entitlementId,
        state: 'granting',
        start: e.start,
        end: null,
        ticketId: '',
        holders: [],
        preexisting: false,
        granting: [],
        released: [],
      };
      const holders = holding(r, e.ticketId)
        ? r.holders
        : [...r.holders, { ticketId: e.ticketId, start: e.start, end: e.end }];
      // `already_held` reports the mark as the hold saved it: set by the first holder, kept by later ones.
      record = summarized({ ...r, holders, preexisting: e.alreadyHeld });
    } else if (e.kind === 'moveEnd') {
      if (!record || !holding(record, e.ticketId)) continue;
      record = summarized({
        ...record,
        holders: record.holders.map((h) => (h.ticketId === e.ticketId ? { ...h, end: e.end } : h)),
      });
    } else if (e.kind === 'release') {
      if (!record || !holding(record, e.ticketId)) continue;
      const holders = record.holders.filter((h) => h.ticketId !== e.ticketId);
      // How the holding ended, as the release recorded it (grant-holders.ts): revoked when it was the last.
      const outcome: 'revoked' | 'kept' = holders.length === 0 && !record.preexisting ? 'revoked' : 'kept';
      record = summarized(
        { ...record, holders, released: withRelease(record.released, e.ticketId, outcome) },
        holders.length === 0 ? e.endedAs : undefined,
      );
    } else {
      if (!record || (record.holders.length === 0 && !record.preexisting)) continue;
      record = summarized({ ...record, holders: [], preexisting: false }, 'removed');
    }
  }
  return record && record.state !== 'granting' ? record : null;
}

/** Rebuilds grants from every ticket that touched them. */
export function deriveGrants(tickets: DerivingTicket[]): GrantRecord[] {
  const byGrant = new Map<string, GrantEvent[]>();
  for (const t of tickets) {
    for (const [k, e] of grantEventsOf(t)) {
      const list = byGrant.get(k) ?? [];
      list.push(e);
      byGrant.set(k, list);
    }
  }
  const grants: GrantRecord[] = [];
  for (const [k, events] of byGrant) {
    const [appId, userId, entitlementId] = k.split('\u0000');
    const record = replay(appId, userId, entitlementId, events);
    if (record) grants.push(record);
  }
  return grants;
}

/**
 * License seats: a user holds a seat of a license while an active grant of one of its entitlements needs
 * it, or while an approved ticket that reserved it waits to be applied (scheduled, applying, failed). The
 * reserving ticket is the earliest approved of those; slots are handed out again in that order.
 */
export function deriveSeats(tickets: DerivingTicket[], grants: GrantRecord[]): RebuiltSeat[] {
  const active = new Set(
    grants.filter((g) => g.state === 'active').map((g) => key(g.appId, g.userId, g.entitlementId)),
  );
  const seats = new Map<string, RebuiltSeat>();
  const waiting = ['scheduled', 'applying', 'failed'];
  const ordered = tickets
    .filter((t) => t.status === 'approved' && t.resolvedAt && t.type !== 'extend')
    .sort((a, b) => Date.parse(a.resolvedAt!) - Date.parse(b.resolvedAt!) || a.seq - b.seq);
  for (const t of ordered) {
    for (const c of changesOf(t)) {
      const licenseId = c.entitlement.licenseId;
      if (c.op !== 'add' || !licenseId) continue;
      const needed = waiting.includes(t.access.state) || active.has(key(t.app.id, t.beneficiary.id, c.entitlement.id));
      const seatKey = key(t.app.id, licenseId, t.beneficiary.id);
      if (needed && !seats.has(seatKey)) {
        seats.set(seatKey, {
          appId: t.app.id,
          licenseId,
          userId: t.beneficiary.id,
          ticketId: t._id,
          at: t.resolvedAt!,
        });
      }
    }
  }
  return [...seats.values()];
}

/** Everything the second phase writes, from the tickets now stored (ticket `TCK-<start + n>` took number `n`). */
export function derive(tickets: DerivingTicket[], ticketNumberStart: number): Derived {
  const grants = deriveGrants(tickets);
  const byId = new Map(tickets.map((t) => [t._id, t]));
  return {
    grants,
    seats: deriveSeats(tickets, grants),
    // A pending ticket keeps the (beneficiary, app, entitlement) keys it claimed until it is decided.
    claims: tickets
      .filter((t) => t.status === 'pending')
      .flatMap((t) =>
        changesOf(t).map((c) => ({
          _id: claimKey(t.beneficiary.id, t.app.id, c.entitlement.id),
          ticketId: t._id,
          createdAt: t.createdAt,
        })),
      ),
    ticketNumbers: tickets
      .filter((t) => t.seq > ticketNumberStart)
      .map((t) => ({ _id: t.seq - ticketNumberStart, at: t.createdAt })),
    // A re-raise started after its parent's workflow completed is linked by the gateway, not the parent's state.
    childLinks: tickets
      .filter((t) => t.parentTicketId && byId.has(t.parentTicketId))
      .filter((t) => !byId.get(t.parentTicketId!)!.childTicketIds.includes(t._id))
      .sort((a, b) => a.seq - b.seq)
      .map((t) => ({ parentId: t.parentTicketId!, childId: t._id })),
  };
}
