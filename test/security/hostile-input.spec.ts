/**
 * Hostile input: operator injection in every field and parameter, oversized and deeply nested bodies,
 * bad ids and cursors, prototype pollution; plus the security headers every response carries.
 */
import { createApp, inHours, startTestStack, users, type TestStack } from '../support/stack';

let stack: TestStack;
let appId: string;
beforeAll(async () => {
  stack = await startTestStack();
  appId = await createApp(stack);
});
afterAll(async () => stack?.stop());

const alice = () => stack.as(users.alice);
const valid = () => ({
  appId,
  changes: [{ op: 'add', entitlementId: 'engineering-team', fields: {} }],
  duration: { type: 'limited', end: inHours(1) },
  reason: 'x',
  onBehalfOf: 'alice',
});
const operators = [{ $ne: null }, { $gt: '' }, { $where: 'sleep(1000)' }, { $regex: '.*' }];

function setPath(obj: any, path: (string | number)[], value: unknown) {
  const copy = JSON.parse(JSON.stringify(obj));
  let cur = copy;
  for (const key of path.slice(0, -1)) cur = cur[key];
  cur[path[path.length - 1]] = value;
  return copy;
}

const bodyPaths: (string | number)[][] = [
  ['appId'],
  ['changes'],
  ['changes', 0],
  ['changes', 0, 'op'],
  ['changes', 0, 'entitlementId'],
  ['changes', 0, 'fields'],
  ['duration'],
  ['duration', 'type'],
  ['duration', 'end'],
  ['reason'],
  ['onBehalfOf'],
];
let injected = 0;

describe('operator injection', () => {
  test.each(bodyPaths.map((p) => [p.join('.'), p] as const))(
    'an operator object in %s is 400 and creates nothing',
    async (_name, path) => {
      for (const op of operators) {
        const res = await alice().post('/tickets', setPath(valid(), path, op));
        injected++;
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      }
      expect((await alice().get(`/tickets?appId=${appId}`)).body.items).toEqual([]);
    },
  );

  test('operator keys inside entitlement fields and connector config are refused', async () => {
    for (const key of ['$where', 'a.b', '$gt', '__proto__', 'constructor']) {
      const res = await alice().post('/tickets/validate', setPath(valid(), ['changes', 0, 'fields'], { [key]: 'x' }));
      injected++;
      expect(res.status).toBe(400);
      const app = await stack.as(users.root).put(`/apps/${appId}-x`, {
        name: 'x',
        connector: { type: 'demo', config: { [key]: 'x' } },
        entitlements: [],
        policy: { approval: { steps: [] } },
      });
      injected++;
      expect(app.status).toBe(400);
    }
  });

  test.each([
    ['appId[$ne]=x', 400],
    ['appId=%7B%22%24ne%22%3Anull%7D', 400],
    ['requesterId[$gt]=', 400],
    ['tab[$ne]=open', 400],
    ['limit=0', 400],
    ['limit=201', 400],
    ['limit=ten', 400],
    ['cursor=abc', 400],
    ['cursor=1%20OR%201', 400],
    ['type=request&type=extend', 400],
    ['unknown=1', 400],
  ])('GET /tickets?%s is %i', async (query, status) => {
    injected++;
    expect((await alice().get(`/tickets?${query}`)).status).toBe(status);
  });

  test.each([
    ['/tickets/%7B%22%24ne%22%3A1%7D', 404],
    ['/tickets/TCK-abc', 404],
    ['/tickets/TCK-1%27%20OR%201', 404],
    ['/apps/%24where', 404],
    ['/apps/..%2F..%2Fetc', 404],
  ])('GET %s is %i', async (path, status) => {
    injected++;
    const res = await alice().get(path);
    expect(res.status).toBe(status);
    expect(res.body.code).toMatch(/NOT_FOUND$/);
  });

  afterAll(() => console.log(`hostile input: ${injected} injection attempts, all refused`));
});

describe('sizes and shapes', () => {
  test('over-long strings are 400 naming the field', async () => {
    const res = await alice().post('/tickets', { ...valid(), reason: 'x'.repeat(2001) });
    expect([res.status, res.body.message]).toEqual([400, expect.stringContaining('reason')]);
    const name = await stack.as(users.root).put('/apps/long', {
      name: 'x'.repeat(201),
      connector: { type: 'demo', config: {} },
      entitlements: [],
      policy: { approval: { steps: [] } },
    });
    expect(name.status).toBe(400);
  });

  test('deeply nested objects and oversized arrays are 400; a body over the limit is 413', async () => {
    let deep: any = 'x';
    for (let i = 0; i < 500; i++) deep = { a: deep };
    expect((await alice().post('/tickets', setPath(valid(), ['changes', 0, 'fields'], deep))).status).toBe(400);
    expect((await alice().post('/tickets', { ...valid(), duration: deep })).status).toBe(400);
    const many = Array.from({ length: 51 }, (_, i) => ({ op: 'add', entitlementId: `e${i}` }));
    expect((await alice().post('/tickets', { ...valid(), changes: many })).status).toBe(400);
    const huge = await alice().post('/tickets', { ...valid(), reason: 'x'.repeat(100_000) });
    expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  test('prototype pollution through the body has no effect', async () => {
    const res = await alice().request(
      'POST',
      '/tickets/validate',
      `{"appId":"${appId}","changes":[{"op":"add","entitlementId":"engineering-team"}],"duration":{"type":"indefinite"},"reason":"x","__proto__":{"roles":["admin"]}}`,
    );
    expect(res.status).toBe(400);
    expect(({} as any).roles).toBeUndefined();
    const me = await alice().get('/me');
    expect(me.body.roles).toEqual([]);
  });

  test('non-JSON content types and malformed JSON are refused without a 5xx', async () => {
    expect(
      (await alice().request('POST', '/tickets', 'appId=x', { 'content-type': 'application/x-www-form-urlencoded' }))
        .status,
    ).toBe(400);
    expect(
      (await alice().request('POST', '/tickets', '{"appId": "x",}', { 'content-type': 'application/json' })).status,
    ).toBe(400);
    expect((await alice().request('POST', '/tickets', '[]', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await alice().request('POST', '/tickets', 'null', { 'content-type': 'application/json' })).status).toBe(
      400,
    );
  });
});

describe('headers', () => {
  test('security headers are set on API responses, and nothing advertises the framework', async () => {
    const res = await alice().get('/me');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
