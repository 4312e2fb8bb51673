import type { App } from './app';
import { checkDuration, evaluateRequest, formatSeconds } from './policy';

const now = new Date('2026-12-01T09:00:00Z');
const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000).toISOString();

const app: App = {
  id: 'github',
  name: 'GitHub',
  connector: { type: 'demo', config: {} },
  licenses: [],
  entitlements: [
    { id: 'team', kind: 'group', name: 'team' },
    {
      id: 'deploy',
      kind: 'permission',
      name: 'Deploy',
      fields: [
        { key: 'jira', label: 'Jira ticket', type: 'string', required: true, pattern: '^[A-Z]+-[0-9]+$' },
        { key: 'count', label: 'Count', type: 'number' },
        { key: 'urgent', label: 'Urgent', type: 'boolean' },
        { key: 'env', label: 'Environment', type: 'enum', options: ['eu', 'us'] },
      ],
    },
  ],
  policy: { maxDurationSeconds: 3600, allowIndefinite: false, requireReason: true, approval: { steps: [] } },
};

const codes = (flags: { code: string }[]) => flags.map((f) => f.code).sort();

describe('duration policy', () => {
  test('a duration within the maximum passes', () => {
    expect(checkDuration(app.policy, { type: 'limited', start: at(0), end: at(3600) }, now)).toEqual([]);
  });

  test('a relative duration is its seconds long: over the maximum is flagged on duration.seconds', () => {
    expect(checkDuration(app.policy, { type: 'relative', seconds: 3600 }, now)).toEqual([]);
    const [flag] = checkDuration(app.policy, { type: 'relative', seconds: 3601 }, now);
    expect(flag).toMatchObject({ code: 'MAX_DURATION_EXCEEDED', field: 'duration.seconds' });
    expect(flag.message).toContain('1h 1s');
    expect(checkDuration({}, { type: 'relative', seconds: 10 * 365 * 86400 }, now)).toEqual([]);
  });

  test('one second over the maximum is flagged on duration.end, with both lengths in words', () => {
    const [flag] = checkDuration(app.policy, { type: 'limited', start: at(0), end: at(3601) }, now);
    expect(flag).toMatchObject({ code: 'MAX_DURATION_EXCEEDED', field: 'duration.end' });
    expect(flag.message).toContain('1h');
    expect(flag.message).toContain('1h 1s');
  });

  test('the length is end - start, not end - now', () => {
    expect(checkDuration(app.policy, { type: 'limited', start: at(7200), end: at(7200 + 3600) }, now)).toEqual([]);
  });

  test('extensions measure from the later of start and now', () => {
    const running = { type: 'limited' as const, start: at(-86400), end: at(3000) };
    expect(checkDuration(app.policy, running, now, { measureFrom: now.toISOString(), allowPastStart: true })).toEqual(
      [],
    );
    expect(codes(checkDuration(app.policy, running, now, { allowPastStart: true }))).toEqual(['MAX_DURATION_EXCEEDED']);
  });

  test('indefinite access is flagged only where the policy forbids it', () => {
    expect(codes(checkDuration(app.policy, { type: 'indefinite' }, now))).toEqual(['INDEFINITE_NOT_ALLOWED']);
    expect(checkDuration({ allowIndefinite: undefined }, { type: 'indefinite' }, now)).toEqual([]);
  });

  test('a start more than five minutes in the past is flagged; four minutes is tolerated', () => {
    expect(codes(checkDuration({}, { type: 'limited', start: at(-301), end: at(60) }, now))).toEqual(['START_IN_PAST']);
    expect(checkDuration({}, { type: 'limited', start: at(-240), end: at(60) }, now)).toEqual([]);
  });

  test('an end at or before the start is flagged, without a meaningless maximum flag', () => {
    expect(codes(checkDuration(app.policy, { type: 'limited', start: at(60), end: at(60) }, now))).toEqual([
      'END_BEFORE_START',
    ]);
  });

  test('no maximum means any length', () => {
    expect(checkDuration({}, { type: 'limited', start: at(0), end: at(10 * 365 * 86400) }, now)).toEqual([]);
  });
});

describe('request evaluation', () => {
  const holds = (ids: string[]) => (id: string) => ids.includes(id);

  test('every flag of a request comes back at once', () => {
    const flags = evaluateRequest(
      {
        changes: [
          {
            op: 'add',
            entitlementId: 'deploy',
            fields: { jira: 'nope', count: 'x', urgent: 'yes', env: 'mars', extra: 1 } as never,
          },
        ],
        duration: { type: 'limited', start: at(-3600), end: at(7200) },
        reason: '  ',
      },
      { app, now, holds: holds([]) },
    );
    expect(codes(flags)).toEqual([
      'FIELD_INVALID',
      'FIELD_INVALID',
      'FIELD_INVALID',
      'FIELD_INVALID',
      'FIELD_INVALID',
      'MAX_DURATION_EXCEEDED',
      'REASON_REQUIRED',
      'START_IN_PAST',
    ]);
    expect(flags.find((f) => f.code === 'REASON_REQUIRED')?.field).toBe('reason');
  });

  test('a required field that is missing or empty is FIELD_REQUIRED; valid values pass', () => {
    const base = { duration: { type: 'limited' as const, start: at(0), end: at(60) }, reason: 'r' };
    expect(
      codes(
        evaluateRequest(
          { ...base, changes: [{ op: 'add', entitlementId: 'deploy', fields: { jira: '' } }] },
          { app, now, holds: holds([]) },
        ),
      ),
    ).toEqual(['FIELD_REQUIRED']);
    expect(
      evaluateRequest(
        {
          ...base,
          changes: [
            { op: 'add', entitlementId: 'deploy', fields: { jira: 'SEC-12', count: 3, urgent: true, env: 'eu' } },
          ],
        },
        { app, now, holds: holds([]) },
      ),
    ).toEqual([]);
  });

  test('adding what the beneficiary holds is ALREADY_HAS_ACCESS; removing what they lack is NOT_A_MEMBER', () => {
    const flags = evaluateRequest(
      {
        changes: [
          { op: 'add', entitlementId: 'team' },
          { op: 'remove', entitlementId: 'deploy' },
        ],
        duration: { type: 'limited', start: at(0), end: at(60) },
        reason: 'r',
      },
      { app, now, holds: holds(['team']) },
    );
    expect(flags.map((f) => [f.code, f.field])).toEqual([
      ['ALREADY_HAS_ACCESS', 'changes[0].entitlementId'],
      ['NOT_A_MEMBER', 'changes[1].entitlementId'],
    ]);
  });

  test('a move from held access to new access is clean', () => {
    expect(
      evaluateRequest(
        {
          changes: [
            { op: 'remove', entitlementId: 'team' },
            { op: 'add', entitlementId: 'deploy', fields: { jira: 'A-1' } },
          ],
          duration: { type: 'limited', start: at(0), end: at(60) },
          reason: 'r',
        },
        { app, now, holds: holds(['team']) },
      ),
    ).toEqual([]);
  });

  test('formatSeconds reads like a person wrote it', () => {
    expect(formatSeconds(2592000)).toBe('30d');
    expect(formatSeconds(7505)).toBe('2h 5m 5s');
    expect(formatSeconds(0)).toBe('0s');
  });
});
