import { describe, expect, it } from 'vitest';
import { fieldProblems } from '../../../api/admin-apps';
import { defined, draftOf, hoursFromSeconds, moved, newDraft, problemsAt, secondsFromHours } from './draft';

describe('the API validation message, field by field', () => {
  // Two messages as the gateway joins them: class-validator's ("path must …") and its own ("path: …").
  const message =
    'policy.approval.steps[0].approvers must be user:<id>, group:<name>, role:<name>, manager or manager:2; ' +
    'policy.approval.steps[1].escalateTo: escalateAfterSeconds needs fallback approvers; name: must be longer';
  const problems = fieldProblems(message);

  it('maps each problem to the field path it names', () => {
    expect(problems.get('policy.approval.steps[0].approvers')).toBe(
      'must be user:<id>, group:<name>, role:<name>, manager or manager:2',
    );
    expect(problems.get('policy.approval.steps[1].escalateTo')).toBe('escalateAfterSeconds needs fallback approvers');
    expect(problems.get('name')).toBe('must be longer');
  });

  it('answers a field its own problems, and a section those under it with their sub-path', () => {
    expect(problemsAt(problems, 'policy.approval.steps[1].escalateTo')).toEqual([
      'escalateAfterSeconds needs fallback approvers',
    ]);
    expect(problemsAt(problems, 'policy.approval.steps[1]')).toEqual([
      'escalateTo: escalateAfterSeconds needs fallback approvers',
    ]);
    // steps[1] is not under steps[10], nor name under names.
    expect(problemsAt(fieldProblems('policy.approval.steps[10].name: empty'), 'policy.approval.steps[1]')).toEqual([]);
    expect(problemsAt(problems, 'names')).toEqual([]);
  });
});

describe('the draft', () => {
  it('a new app creates only (revision 0), with one step to fill in', () => {
    const d = newDraft();
    expect(d.body.revision).toBe(0);
    expect(d.body.policy.approval.steps).toEqual([{ name: 'Step 1', approvers: [], minApprovals: 1 }]);
  });

  it('an app from GET becomes a PUT body without its id, with the revision it was read at', () => {
    const d = draftOf({
      id: 'github',
      revision: 7,
      name: 'GitHub',
      connector: { type: 'github', config: { org: 'acme', tokenEnv: 'GITHUB_TOKEN' } },
      entitlements: [],
      licenses: [],
      policy: { approval: { steps: [] } },
    });
    expect(d.id).toBe('github');
    expect(d.body).not.toHaveProperty('id');
    expect(d.body.revision).toBe(7);
  });

  it('hours in the form are seconds in the body; an empty box leaves the setting out', () => {
    expect(secondsFromHours('1.5')).toBe(5400);
    expect(secondsFromHours(' ')).toBeUndefined();
    expect(secondsFromHours('soon')).toBeNaN();
    expect(hoursFromSeconds(30 * 86400)).toBe('720');
    expect(hoursFromSeconds(undefined)).toBe('');
    expect(defined({ maxDurationSeconds: undefined, requireReason: true })).toEqual({ requireReason: true });
  });

  it('moves a step up or down, and not past either end', () => {
    expect(moved(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'c', 'b']);
    expect(moved(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });
});
