import { describe, expect, it } from 'vitest';
import type { Entitlement } from './api/types';
import { buildRequest, currentFlags, emptyRequest, flagPlace, groupFlags } from './requestForm';

const ent = (id: string, fields: Entitlement['fields'] = []): Entitlement => ({
  id,
  kind: 'group',
  name: id,
  fields,
  membership: { hasAccess: false, ticketId: null, end: null },
});
const known = {
  team: ent('team'),
  deploy: ent('deploy', [
    { key: 'jira', label: 'Jira ticket', type: 'string', required: true },
    { key: 'count', label: 'Count', type: 'number' },
  ]),
  old: { ...ent('old'), membership: { hasAccess: true, ticketId: 'TCK-1', end: null } },
};

describe('the request body', () => {
  it('is not ready until an application, some access and an end are chosen', () => {
    const built = buildRequest(
      { ...emptyRequest(), appId: 'github', adds: [{ entitlementId: 'team', fields: {} }] },
      known,
    );
    expect(built.body).toBeNull();
    expect(built.missing.map((m) => m.field)).toEqual(['duration.end']);
  });

  it('turns a Modify into remove + add, with typed field values and the reason', () => {
    const built = buildRequest(
      {
        ...emptyRequest(),
        appId: 'github',
        removes: ['old'],
        adds: [{ entitlementId: 'deploy', fields: { jira: 'SEC-1', count: '3' } }],
        durationType: 'indefinite',
        reason: '  migration ',
      },
      known,
    );
    expect(built.body).toEqual({
      appId: 'github',
      changes: [
        { op: 'remove', entitlementId: 'old' },
        { op: 'add', entitlementId: 'deploy', fields: { jira: 'SEC-1', count: 3 } },
      ],
      duration: { type: 'indefinite' },
      reason: 'migration',
    });
    expect(built.changeEntitlements).toEqual(['old', 'deploy']);
  });

  it('takes no duration for a pure removal', () => {
    const built = buildRequest({ ...emptyRequest(), appId: 'github', removes: ['old'] }, known);
    expect(built.body).toEqual({ appId: 'github', changes: [{ op: 'remove', entitlementId: 'old' }] });
  });
});

describe('a duration counted from approval', () => {
  const base = { ...emptyRequest(), appId: 'github', adds: [{ entitlementId: 'team', fields: {} }] };

  it('asks for hours, and sends them as seconds', () => {
    const empty = buildRequest({ ...base, durationType: 'relative' }, known);
    expect(empty.body).toBeNull();
    expect(empty.missing).toEqual([expect.objectContaining({ code: 'HOURS_MISSING', field: 'duration.seconds' })]);
    for (const hours of ['0', '-2', 'soon'])
      expect(buildRequest({ ...base, durationType: 'relative', hours }, known).body).toBeNull();
    expect(buildRequest({ ...base, durationType: 'relative', hours: '8' }, known).body!.duration).toEqual({
      type: 'relative',
      seconds: 28800,
    });
    expect(buildRequest({ ...base, durationType: 'relative', hours: '1.5' }, known).body!.duration).toEqual({
      type: 'relative',
      seconds: 5400,
    });
  });

  it('its flags (over the maximum) go next to the hours', () => {
    expect(flagPlace({ code: 'MAX_DURATION_EXCEEDED', message: '', field: 'duration.seconds' }, [])).toBe(
      'duration.seconds',
    );
  });
});

describe('break glass', () => {
  const base = {
    ...emptyRequest(),
    appId: 'github',
    adds: [{ entitlementId: 'team', fields: {} }],
    breakGlass: true,
  };

  it('needs a reason, and sends breakGlass: true', () => {
    const noReason = buildRequest(base, known);
    expect(noReason.body).toBeNull();
    expect(noReason.missing).toEqual([expect.objectContaining({ code: 'BREAK_GLASS_REASON', field: 'reason' })]);
    const body = buildRequest({ ...base, reason: 'prod is down' }, known).body!;
    expect(body).toMatchObject({ breakGlass: true, reason: 'prod is down' });
  });

  it('may leave the end to the policy (no duration); a normal request may not', () => {
    expect(buildRequest({ ...base, reason: 'prod is down' }, known).body!.duration).toBeUndefined();
    expect(buildRequest({ ...base, breakGlass: false, reason: 'x' }, known).body).toBeNull();
  });

  it('is absent from a normal request body', () => {
    const body = buildRequest({ ...base, breakGlass: false, durationType: 'indefinite' }, known).body!;
    expect('breakGlass' in body).toBe(false);
  });
});

describe('flags go next to the field that caused them', () => {
  it('routes duration, reason, field and entitlement flags', () => {
    const changes = ['old', 'deploy'];
    expect(flagPlace({ code: 'MAX_DURATION_EXCEEDED', message: '', field: 'duration.end' }, changes)).toBe(
      'duration.end',
    );
    expect(flagPlace({ code: 'REASON_REQUIRED', message: '', field: 'reason' }, changes)).toBe('reason');
    expect(flagPlace({ code: 'FIELD_REQUIRED', message: '', field: 'changes[1].fields.jira' }, changes)).toBe(
      'field:deploy:jira',
    );
    expect(flagPlace({ code: 'NOT_A_MEMBER', message: '', field: 'changes[0].entitlementId' }, changes)).toBe(
      'entitlement:old',
    );
    expect(flagPlace({ code: 'X', message: '' }, changes)).toBe('general');
    expect(
      groupFlags(
        [
          { code: 'A', message: '', field: 'reason' },
          { code: 'B', message: '', field: 'reason' },
        ],
        changes,
      ).get('reason'),
    ).toHaveLength(2);
  });
});

describe('a flag disappears as soon as its field is edited', () => {
  it('hides the reason flag once a reason is typed, and keeps the duration flag until the duration changes', () => {
    const before = {
      appId: 'github',
      changes: [{ op: 'add' as const, entitlementId: 'team' }],
      duration: { type: 'limited' as const, end: '2026-12-10T00:00:00.000Z' },
    };
    const validated = {
      body: before,
      flags: [
        { code: 'REASON_REQUIRED', message: '', field: 'reason' },
        { code: 'MAX_DURATION_EXCEEDED', message: '', field: 'duration.end' },
      ],
    };
    expect(currentFlags(validated, { ...before, reason: 'on call' }, ['team']).map((f) => f.code)).toEqual([
      'MAX_DURATION_EXCEEDED',
    ]);
    expect(
      currentFlags(validated, { ...before, duration: { type: 'limited', end: '2026-12-02T00:00:00.000Z' } }, [
        'team',
      ]).map((f) => f.code),
    ).toEqual(['REASON_REQUIRED']);
  });
});
