import { resolveDuration, toUtcIso } from './duration';
import { deriveAction } from './ticket';

test('a ticket’s action follows from its changes', () => {
  expect(deriveAction([{ op: 'add' }, { op: 'add' }])).toBe('add');
  expect(deriveAction([{ op: 'remove' }])).toBe('remove');
  expect(deriveAction([{ op: 'remove' }, { op: 'add' }])).toBe('modify');
});

test('a limited duration without start starts now; timestamps normalise to UTC', () => {
  const now = new Date('2026-12-01T09:00:00Z');
  expect(resolveDuration({ type: 'limited', end: '2026-12-02T09:00:00Z' }, now)).toEqual({
    type: 'limited',
    start: '2026-12-01T09:00:00.000Z',
    end: '2026-12-02T09:00:00Z',
  });
  expect(toUtcIso('2026-12-01T10:00:00+01:00')).toBe('2026-12-01T09:00:00.000Z');
});
