/**
 * The outbound guard: which addresses are not public, how the allowlist reads, and that a production
 * request to a refused address never reaches it, whether the URL names the address or a host resolving to it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkOutboundUrl,
  createOutboundHttp,
  installOutboundGuard,
  loadOutboundPolicy,
  nonPublicReason,
  OutboundSettingsError,
} from './outbound';

describe('address classification', () => {
  test.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.1.2.3', /private/],
    ['172.20.0.1', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local.*metadata/],
    ['100.100.100.200', /carrier-grade NAT/],
    ['0.0.0.0', /this network/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fd00:ec2::254', /unique-local/],
    ['fe80::1', /link-local/],
    ['::ffff:127.0.0.1', /loopback.*inside an IPv6 address/],
    ['::ffff:7f00:1', /loopback.*inside an IPv6 address/],
    ['::ffff:169.254.169.254', /link-local.*inside an IPv6 address/],
    ['64:ff9b::a9fe:a9fe', /link-local.*inside an IPv6 address/],
  ])('%s is not public', (address, reason) => {
    expect(nonPublicReason(address)).toMatch(reason);
  });

  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '140.82.112.3',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '100.128.0.1',
    '172.32.0.1',
  ])('%s is public', (address) => {
    expect(nonPublicReason(address)).toBeNull();
  });
});

describe('settings', () => {
  test('production enforces, anything else allows everything', () => {
    expect(loadOutboundPolicy({ NODE_ENV: 'production' }).enforce).toBe(true);
    expect(loadOutboundPolicy({ NODE_ENV: 'development' }).enforce).toBe(false);
    expect(loadOutboundPolicy({}).enforce).toBe(false);
  });

  test('OUTBOUND_ALLOWLIST takes host names, addresses and CIDRs; anything else is refused naming the variable', () => {
    const policy = loadOutboundPolicy({
      OUTBOUND_ALLOWLIST: 'scim.corp.internal, 10.20.0.0/16, 127.0.0.1, [fd00::1], fd12::/64',
    });
    expect([...policy.allowedHosts]).toEqual(['scim.corp.internal']);
    expect(policy.allowedAddresses.check('10.20.3.4', 'ipv4')).toBe(true);
    expect(policy.allowedAddresses.check('10.21.0.1', 'ipv4')).toBe(false);
    expect(policy.allowedAddresses.check('fd12::5', 'ipv6')).toBe(true);
    for (const bad of ['http://x.example', '10.0.0.0/33', 'not a host', '10.0.0.0/']) {
      expect(() => loadOutboundPolicy({ OUTBOUND_ALLOWLIST: bad })).toThrow(OutboundSettingsError);
      expect(() => loadOutboundPolicy({ OUTBOUND_ALLOWLIST: bad })).toThrow(/^OUTBOUND_ALLOWLIST: /);
    }
  });
});

describe('requests', () => {
  let server: http.Server;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      if (req.url === '/redirect-to-v6-loopback') {
        res.writeHead(302, { location: `http://[::1]:${port}/landed` }).end();
        return;
      }
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () =>
        res
          .writeHead(201, { 'content-type': 'application/json', 'x-seen': req.headers['x-test'] ?? '' })
          .end(JSON.stringify({ body })),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise((r) => server.close(r)));
  beforeEach(() => received.splice(0));

  const production = (allowlist?: string) =>
    createOutboundHttp(loadOutboundPolicy({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: allowlist }));
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (err: Error & { cause?: Error & { code?: string } }) => err,
    );

  test('in production a loopback address is refused before anything is sent', async () => {
    const err = await failure(production().fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body: '{}' }));
    expect(err?.cause?.code).toBe('EOUTBOUNDBLOCKED');
    expect(err?.cause?.message).toMatch(/127\.0\.0\.1 is loopback/);
    expect(received).toEqual([]);
  });

  test('in production a host name resolving to loopback is refused at connect time', async () => {
    const err = await failure(production().fetch(`http://localhost:${port}/hook`));
    expect(err?.cause?.code).toBe('EOUTBOUNDBLOCKED');
    expect(err?.cause?.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
    expect(received).toEqual([]);
  });

  test('the metadata address is refused', async () => {
    const err = await failure(production().fetch('http://169.254.169.254/latest/meta-data/'));
    expect(err?.cause?.message).toMatch(/169\.254\.169\.254 is link-local/);
  });

  test('an allowlisted loopback address is reached, with the request and answer intact', async () => {
    const res = await production('127.0.0.1').fetch(`http://127.0.0.1:${port}/hook?x=1`, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: 'payload',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(await res.json()).toEqual({ body: 'payload' });
    expect(received).toEqual(['POST /hook?x=1']);
  });

  test('a redirect is checked too: an allowed host cannot send the request on to a refused one', async () => {
    const manual = await production('127.0.0.1').fetch(`http://127.0.0.1:${port}/redirect-to-v6-loopback`, {
      redirect: 'manual',
    });
    expect(manual.status).toBe(302);
    const err = await failure(production('127.0.0.1').fetch(`http://127.0.0.1:${port}/redirect-to-v6-loopback`));
    expect(err?.cause?.message).toMatch(/::1 is loopback/);
    expect(received).toEqual(['GET /redirect-to-v6-loopback', 'GET /redirect-to-v6-loopback']);
  });

  test('a timeout is a TimeoutError, as with the global fetch', async () => {
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      const err = await failure(
        production('127.0.0.1').fetch(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`, {
          signal: AbortSignal.timeout(200),
        }),
      );
      expect(err?.name).toBe('TimeoutError');
    } finally {
      hanging.closeAllConnections();
      await new Promise((r) => hanging.close(r));
    }
  });

  test('outside production loopback is allowed (npm run dev, tests)', async () => {
    const res = await createOutboundHttp(loadOutboundPolicy({ NODE_ENV: 'development' })).fetch(
      `http://localhost:${port}/dev`,
    );
    expect(res.status).toBe(201);
  });

  test('installed, the guard covers libraries that use the default agents', async () => {
    const restore = installOutboundGuard(production());
    try {
      const err = await new Promise<Error & { code?: string }>((resolve) => {
        http
          .get(`http://localhost:${port}/via-default-agent`, () => resolve(new Error('reached')))
          .on('error', resolve);
      });
      expect(err.code).toBe('EOUTBOUNDBLOCKED');
    } finally {
      restore();
    }
    expect(received).toEqual([]);
  });
});

describe('checking a URL when it is configured', () => {
  const production = loadOutboundPolicy({ NODE_ENV: 'production' });

  test('metadata, loopback and private URLs are refused in production, with the reason', async () => {
    expect(await checkOutboundUrl(production, 'http://169.254.169.254/latest/meta-data/')).toMatch(/link-local/);
    expect(await checkOutboundUrl(production, 'http://localhost:8080/hook')).toMatch(/loopback/);
    expect(await checkOutboundUrl(production, 'https://[::ffff:10.0.0.1]/scim')).toMatch(/private/);
  });

  test('public addresses, allowlisted ones, and anything outside production are accepted', async () => {
    expect(await checkOutboundUrl(production, 'https://140.82.112.3/')).toBeNull();
    expect(
      await checkOutboundUrl(
        loadOutboundPolicy({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: 'localhost' }),
        'http://localhost/',
      ),
    ).toBeNull();
    expect(await checkOutboundUrl(loadOutboundPolicy({}), 'http://169.254.169.254/')).toBeNull();
  });
});
