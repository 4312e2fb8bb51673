/**
 * The per-minute budget belongs to a verified caller: every token of one person draws on the same budget,
 * and a token that does not verify buys nothing. Requests without a valid token are counted per client
 * address, so a flood of made-up tokens is refused with 429 like any other flood.
 */
import { mintToken } from '@gatehouse/tools';
import { startTestStack, TEST_SECRET, users, type TestStack } from '../support/stack';

const PER_MINUTE = 3;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) } });
});
afterAll(async () => stack?.stop());

test('two tokens of one person share one budget', async () => {
  const first = await mintToken(TEST_SECRET, { ...users.alice, name: 'Alice (laptop)' });
  const second = await mintToken(TEST_SECRET, { ...users.alice, name: 'Alice (phone)' });
  const statuses = [];
  for (const token of [first, second, first, second])
    statuses.push((await stack.as(`Bearer ${token}`).get('/me')).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
});

test('made-up tokens are counted against the client address: 401 until its budget is spent, then 429; verified callers keep their own budget', async () => {
  const statuses = [];
  for (let i = 0; i < PER_MINUTE + 3; i++) {
    const bogus = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4${i}In0.${'A'.repeat(43)}`;
    statuses.push((await stack.as(`Bearer ${bogus}`).get('/me')).status);
  }
  expect(statuses).toEqual([...Array(PER_MINUTE).fill(401), 429, 429, 429]);
  // The same address without a token is the same caller.
  const anonymous = await stack.as('').get('/tickets');
  expect([anonymous.status, anonymous.body.code]).toEqual([429, 'RATE_LIMITED']);
  expect(Number(anonymous.headers.get('retry-after'))).toBeGreaterThan(0);
  // A verified caller from that address is counted by who they are.
  expect((await stack.as(users.bob).get('/me')).status).toBe(200);
  expect((await stack.as('').get('/health')).status).toBe(200);
});
