import { derive, type DerivingTicket } from './reindex-derived';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

let seq = 100;
/** A ticket of `bob` in app `gh` as the read model stores it; `access` and `log` say what happened. */
function ticket(over: Partial<DerivingTicket> & { ops?: ['add' | 'remove', string, string?][] }): DerivingTicket {
  seq += 1;
  const { ops = [['add', 'team']], ...rest } = over;
  return {
    _id: `TCK-${seq}`,
    seq,
    type: 'request',
    status: 'approved',
    beneficiary: { id: 'bob', name: 'Bob' },
    app: { id: 'gh', name: 'GitHub' },
    changes: ops.map(([op, id, licenseId]) => ({
      op,
      entitlement: { id, name: id, kind: 'group', ...(licenseId ? { licenseId } : {}) },
      fields: {},
    })),
    access: { state: 'active', start: at(0), end: null, grantedAt: at(0), revokedAt: null, error: null },
    log: [],
    parentTicketId: null,
    childTicketIds: [],
    createdAt: at(0),
    resolvedAt: at(0),
    ...rest,
  };
}

const access = (patch: Partial<DerivingTicket['access']>): DerivingTicket['access'] => ({
  state: 'active',
  start: at(0),
  end: null,
  grantedAt: at(0),
  revokedAt: null,
  error: null,
  ...patch,
});

test('a remove ends every holder at its moment; a holder’s later expiry changes nothing', () => {
  const held = ticket({ access: access({ state: 'expired', end: at(60), revokedAt: at(60) }) });
  const remove = ticket({ ops: [['remove', 'team']], access: access({ state: 'removed', grantedAt: at(10) }) });
  const [grant] = derive([held, remove], 100).grants;
  expect(grant).toMatchObject({ state: 'removed', holders: [], preexisting: false, ticketId: held._id });
});

test('an approved extension moves its holder’s end; the effective end is the latest holder’s', () => {
  const owner = ticket({
    access: access({ start: at(0), end: at(120) }),
    log: [{ at: at(30), actor: 'system', event: 'extended', comment: null, details: { from: at(60), to: at(120) } }],
  });
  const other = ticket({ access: access({ start: at(5), end: at(90), grantedAt: at(5) }) });
  const [grant] = derive([owner, other], 100).grants;
  expect(grant).toMatchObject({
    state: 'active',
    start: at(0),
    end: at(120),
    ticketId: owner._id,
    holders: [
      { ticketId: owner._id, start: at(0), end: at(120) },
      { ticketId: other._id, start: at(5), end: at(90) },
    ],
  });
});

test('access held before Gatehouse stays marked after its only holder expired', () => {
  const t = ticket({
    access: access({ state: 'expired', end: at(60), revokedAt: at(60) }),
    log: [{ at: at(0), actor: 'system', event: 'already_held', comment: null, details: { entitlementIds: ['team'] } }],
  });
  expect(derive([t], 100).grants).toEqual([
    expect.objectContaining({ state: 'expired', preexisting: true, holders: [], start: at(0), end: at(60) }),
  ]);
});

test('tickets that never applied hold nothing; a licensed one waiting for its start keeps its seat', () => {
  const failed = ticket({ access: access({ state: 'failed', grantedAt: null, start: null }) });
  const scheduled = ticket({
    ops: [['add', 'crm', 'seat']],
    access: access({ state: 'scheduled', grantedAt: null, start: at(30), end: at(90) }),
    resolvedAt: at(1),
  });
  const pending = ticket({ status: 'pending', access: access({ state: 'pending', grantedAt: null, start: null }) });
  const d = derive([failed, scheduled, pending], 100);
  expect(d.grants).toEqual([]);
  expect(d.seats).toEqual([{ appId: 'gh', licenseId: 'seat', userId: 'bob', ticketId: scheduled._id, at: at(1) }]);
  expect(d.claims).toEqual([{ _id: 'bob:gh:team', ticketId: pending._id, createdAt: at(0) }]);
  expect(d.ticketNumbers.map((n) => n._id)).toEqual([failed.seq - 100, scheduled.seq - 100, pending.seq - 100]);
});
