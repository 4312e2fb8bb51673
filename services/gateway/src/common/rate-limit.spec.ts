import { RateLimiter } from './rate-limit';

function limiter(perMinute: number, maxCallers: number) {
  let now = 1_000_000;
  const l = new RateLimiter({ perMinute, maxCallers, now: () => now });
  return { l, advance: (ms: number) => (now += ms) };
}

test('a caller gets its budget per minute, then a fresh one when its window ends', () => {
  const { l, advance } = limiter(2, 10);
  expect([l.take('sub:alice'), l.take('sub:alice'), l.take('sub:alice')].map((v) => v.allowed)).toEqual([
    true,
    true,
    false,
  ]);
  expect(l.take('sub:bob').allowed).toBe(true);
  advance(30_000);
  expect(l.take('sub:alice')).toEqual({ allowed: false, remaining: 0, resetSeconds: 30 });
  advance(30_000);
  expect(l.take('sub:alice')).toEqual({ allowed: true, remaining: 1, resetSeconds: 60 });
});

test('a flood of new callers never holds more than maxCallers windows, and forgets the oldest first', () => {
  const { l, advance } = limiter(3, 1_000);
  for (let i = 0; i < 100_000; i++) {
    l.take(`ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 1000 === 0) advance(1);
  }
  expect(l.size).toBe(1_000);
  // The newest callers are still counted; the oldest were forgotten.
  expect(l.take('ip:10.1.134.159').remaining).toBe(1);
  expect(l.take('ip:10.0.0.0').remaining).toBe(2);
});

test('expired windows make room before any live window is forgotten', () => {
  const { l, advance } = limiter(1, 3);
  l.take('ip:a');
  l.take('ip:b');
  advance(61_000);
  l.take('ip:c');
  expect(l.take('ip:c').allowed).toBe(false);
  l.take('ip:d');
  l.take('ip:e');
  expect(l.size).toBe(3);
  expect(l.take('ip:c').allowed).toBe(false); // still remembered: a and b went first
});
