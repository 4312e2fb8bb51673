// The export's lines: CSV a spreadsheet reads back cell for cell without running anything, JSON Lines as stored.
import { parse } from 'csv-parse/sync';
import type { AuditEntry } from '@gatehouse/store';
import { exportLines } from './audit';

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: '001764000000000-abc',
  at: '2026-11-28T17:00:00.000Z',
  actor: 'root',
  action: 'webhook.create',
  target: 'wh_0123456789abcdef',
  status: 201,
  requestId: 'req-1',
  details: {},
  ...over,
});

describe('audit export lines', () => {
  test.each(['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\r=1'])(
    'a cell starting %j is prefixed with a quote, so a spreadsheet shows it as text',
    (hostile) => {
      const csv = exportLines('csv', [entry({ target: hostile })], false);
      const [row] = parse(csv) as string[][];
      expect(row[4]).toBe(`'${hostile}`);
    },
  );

  test('commas, quotes and line breaks stay inside their cell; details are one JSON cell; a header names the columns', () => {
    const details = { comment: 'one, "two"\nthree', resultId: 'TCK-1' };
    const csv = exportLines('csv', [entry({ details }), entry({ id: '001764000000000-abd', actor: 'alice' })], true);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      {
        id: '001764000000000-abc',
        at: '2026-11-28T17:00:00.000Z',
        actor: 'root',
        action: 'webhook.create',
        target: 'wh_0123456789abcdef',
        status: '201',
        requestId: 'req-1',
        details: JSON.stringify(details),
      },
      expect.objectContaining({ id: '001764000000000-abd', actor: 'alice', details: '{}' }),
    ]);
    expect(JSON.parse(rows[0].details)).toEqual(details);
  });

  test.each(['a\nb', 'a\rb', 'a\r\nb'])('a cell with the line break %j stays one cell', (target) => {
    const rows = parse(exportLines('csv', [entry({ target })], false)) as string[][];
    expect(rows).toHaveLength(1);
    expect(rows[0][4]).toBe(target);
  });

  test('later pages of a CSV export carry no second header', () => {
    expect(exportLines('csv', [entry({})], false)).not.toContain('requestId');
    expect(exportLines('csv', [], true).trim()).toBe('id,at,actor,action,target,status,requestId,details');
  });

  test('JSON Lines: one entry per line, exactly as GET /audit answers it', () => {
    const entries = [entry({ details: { comment: 'line\nbreak' } }), entry({ id: '001764000000000-abd' })];
    const lines = exportLines('jsonl', entries, true).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map((l) => JSON.parse(l))).toEqual(entries);
  });
});
