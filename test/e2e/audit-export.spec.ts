/**
 * The audit log's search and export over HTTP: `from`/`to` narrow `GET /audit`, and `GET /audit/export`
 * streams every matching entry as CSV or JSON Lines, the same entries in the same order as paging through
 * `GET /audit` with the same filters. Admin-only, and itself audited.
 */
import { parse } from 'csv-parse/sync';
import type { AuditEntry } from '@gatehouse/store';
import { startTestStack, users, type TestStack } from '../support/stack';
import { uniqueId } from '../support/harness';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
});
afterAll(async () => {
  await stack?.stop();
});

const root = () => stack.as(users.root);

/** The raw export: its headers and text (a one-line JSON Lines body would otherwise be parsed as JSON). */
async function download(
  query: string,
  who: Parameters<TestStack['token']>[0] = users.root,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${stack.url}/audit/export?${query}`, {
    headers: { authorization: `Bearer ${await stack.token(who)}` },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Every entry `GET /audit` answers for `query`, following its cursor. */
async function listAll(query: string, limit = 100): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: AuditEntry[]; nextCursor: string | null } } = await root().get(
      `/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    all.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

/** Entries by one made-up actor, one a minute back from `start`, written as the gateway writes them. */
async function seed(actor: string, count: number, start: number): Promise<void> {
  for (let i = 0; i < count; i++)
    await stack.store.audit.append({
      at: new Date(start - i * 60_000).toISOString(),
      actor,
      action: i % 2 ? 'ticket.approve' : 'ticket.reject',
      target: `TCK-${i + 1}`,
      status: 200,
      requestId: `req-${i}`,
      details: { comment: i === 3 ? '=HYPERLINK("http://evil.example","click")' : `comment, "${i}"` },
    });
}

const csvRows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];
const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEntry);

test('CSV and JSON Lines exports hold exactly the entries GET /audit pages through, newest first, over several store pages', async () => {
  const actor = uniqueId('auditor-');
  await seed(actor, 1_203, Date.now()); // more than two of the export's 500-entry reads
  const listed = await listAll(`actor=${actor}`, 500);
  expect(listed).toHaveLength(1_203);

  const csv = await download(`format=csv&actor=${actor}`);
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="gatehouse-audit-[0-9TZ-]+\.csv"$/);
  const rows = csvRows(csv.text);
  expect(rows.map((r) => r.id)).toEqual(listed.map((e) => e.id));
  expect(rows[0]).toEqual({
    id: listed[0].id,
    at: listed[0].at,
    actor,
    action: 'ticket.reject',
    target: 'TCK-1',
    status: '200',
    requestId: 'req-0',
    details: JSON.stringify({ comment: 'comment, "0"' }),
  });

  const jsonl = await download(`format=jsonl&actor=${actor}`);
  expect(jsonl.status).toBe(200);
  expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
  expect(jsonl.headers.get('content-disposition')).toMatch(/^attachment; filename="gatehouse-audit-[0-9TZ-]+\.jsonl"$/);
  expect(jsonLines(jsonl.text)).toEqual(listed);
});

test('filters: actor, action, target and a from/to range narrow the list and the export alike', async () => {
  const actor = uniqueId('auditor-');
  const start = Date.parse('2026-01-10T12:00:00.000Z');
  await seed(actor, 10, start); // 12:00, 11:59, … 11:51
  const range = `from=${encodeURIComponent('2026-01-10T11:55:00.000Z')}&to=${encodeURIComponent('2026-01-10T11:58:00.000Z')}`;

  // `from` is inclusive, `to` exclusive: 11:55, 11:56, 11:57.
  const inRange = await listAll(`actor=${actor}&${range}`);
  expect(inRange.map((e) => e.at)).toEqual([
    '2026-01-10T11:57:00.000Z',
    '2026-01-10T11:56:00.000Z',
    '2026-01-10T11:55:00.000Z',
  ]);
  expect(jsonLines((await download(`format=jsonl&actor=${actor}&${range}`)).text)).toEqual(inRange);

  const approvals = await listAll(`actor=${actor}&action=ticket.approve&${range}`);
  expect(approvals.map((e) => e.target)).toEqual(['TCK-4', 'TCK-6']);
  const csv = csvRows((await download(`format=csv&actor=${actor}&action=ticket.approve&${range}`)).text);
  expect(csv.map((r) => r.id)).toEqual(approvals.map((e) => e.id));
  // A comment written to run as a formula arrives as text, inside the details JSON cell.
  expect(JSON.parse(csv[0].details)).toEqual({ comment: '=HYPERLINK("http://evil.example","click")' });

  expect((await listAll(`actor=${actor}&target=TCK-2`)).map((e) => e.requestId)).toEqual(['req-1']);

  // Paging with a range: the cursor and `to` together.
  const firstPage = await root().get(
    `/audit?actor=${actor}&to=${encodeURIComponent('2026-01-10T11:59:00.000Z')}&limit=3`,
  );
  expect(firstPage.body.items.map((e: AuditEntry) => e.at)).toEqual([
    '2026-01-10T11:58:00.000Z',
    '2026-01-10T11:57:00.000Z',
    '2026-01-10T11:56:00.000Z',
  ]);
  const second = await root().get(
    `/audit?actor=${actor}&to=${encodeURIComponent('2026-01-10T11:59:00.000Z')}&limit=3&cursor=${firstPage.body.nextCursor}`,
  );
  expect(second.body.items.map((e: AuditEntry) => e.at)).toEqual([
    '2026-01-10T11:55:00.000Z',
    '2026-01-10T11:54:00.000Z',
    '2026-01-10T11:53:00.000Z',
  ]);

  // Nothing matching: an empty JSON Lines file, a CSV with its header only.
  expect((await download(`format=jsonl&actor=${actor}&action=user.put`)).text).toBe('');
  expect((await download(`format=csv&actor=${actor}&action=user.put`)).text).toBe(
    'id,at,actor,action,target,status,requestId,details\r\n',
  );
});

test('an export is audited (audit.export, by whom, in which format, with which filters)', async () => {
  const actor = uniqueId('auditor-');
  await download(`format=csv&actor=${actor}&action=ticket.approve`);
  const [entry] = (await root().get('/audit?actor=root&action=audit.export&limit=1')).body.items;
  expect(entry).toMatchObject({
    actor: 'root',
    action: 'audit.export',
    status: 200,
    details: { format: 'csv', actor, action: 'ticket.approve' },
  });
});

test('only admins export (403); a bad format or filter is 400 VALIDATION_FAILED', async () => {
  const denied = await download('format=csv', users.alice);
  expect(denied.status).toBe(403);
  expect(JSON.parse(denied.text).code).toBe('FORBIDDEN');
  expect((await stack.as('').get('/audit/export?format=csv')).status).toBe(401);
  for (const query of [
    'format=xlsx',
    '',
    'format=csv&from=yesterday',
    'format=csv&to=2026-13-01',
    'format=csv&limit=5',
  ]) {
    const res = await download(query);
    expect({ query, status: res.status, code: JSON.parse(res.text).code }).toEqual({
      query,
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  }
  expect((await root().get('/audit?from=not-a-date')).status).toBe(400);
});

test('the OpenAPI document describes the export and the time range', async () => {
  const doc = (await stack.as('').get('/docs-json')).body;
  const exportOp = doc.paths['/audit/export'].get;
  expect(exportOp.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
    'action',
    'actor',
    'format',
    'from',
    'target',
    'to',
  ]);
  expect(Object.keys(exportOp.responses['200'].content).sort()).toEqual([
    'application/x-ndjson; charset=utf-8',
    'text/csv; charset=utf-8',
  ]);
  expect(doc.paths['/audit'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
    expect.arrayContaining(['from', 'to', 'cursor', 'limit']),
  );
});
