/**
 * The guard on requests to URLs an admin configures (webhook endpoints, connector base URLs, the Slack API
 * URL). In production (`NODE_ENV=production`) they may not reach loopback, private, link-local (cloud
 * metadata at 169.254.169.254), CGNAT, unique-local or other non-public addresses, unless the destination
 * is listed in `OUTBOUND_ALLOWLIST` (hosts, addresses or CIDRs, comma-separated). Elsewhere (`npm run dev`,
 * tests) everything is allowed, loopback included.
 *
 * The check runs on the address a connection is actually opened to: the agents resolve names through
 * `guardedLookup` and open the socket to the address that was checked, so a name cannot resolve to a
 * public address when checked and to a private one when connected (DNS rebinding). Checking the URL when
 * it is configured (`checkOutboundUrl`) only gives the admin an early answer.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

export class OutboundSettingsError extends Error {}

export interface OutboundPolicy {
  /** Refuse non-public destinations (production); false: allow everything. */
  enforce: boolean;
  /** Addresses and ranges allowed although not public. */
  allowedAddresses: net.BlockList;
  /** Host names allowed whatever they resolve to (lower case). */
  allowedHosts: ReadonlySet<string>;
}

/** A refused destination; `code` lets callers tell it from a network failure. */
export class OutboundBlockedError extends Error {
  readonly code = 'EOUTBOUNDBLOCKED';
}

/** Every range that is not the public internet, with the reason a refusal names. */
const NON_PUBLIC: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'ipv4', 'private (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'ipv4', 'link-local, where cloud metadata services live (169.254.0.0/16)'],
  ['172.16.0.0', 12, 'ipv4', 'private (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'ipv4', 'documentation (192.0.2.0/24)'],
  ['192.168.0.0', 16, 'ipv4', 'private (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'ipv4', 'documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'ipv4', 'documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'ipv4', 'reserved (240.0.0.0/4)'],
  ['::', 128, 'ipv6', 'unspecified (::)'],
  ['::1', 128, 'ipv6', 'loopback (::1)'],
  ['64:ff9b:1::', 48, 'ipv6', 'local NAT64 (64:ff9b:1::/48)'],
  ['100::', 64, 'ipv6', 'discard (100::/64)'],
  ['2001:db8::', 32, 'ipv6', 'documentation (2001:db8::/32)'],
  ['fc00::', 7, 'ipv6', 'unique-local (fc00::/7)'],
  ['fe80::', 10, 'ipv6', 'link-local (fe80::/10)'],
  ['fec0::', 10, 'ipv6', 'site-local (fec0::/10)'],
  ['ff00::', 8, 'ipv6', 'multicast (ff00::/8)'],
];

const nonPublic = NON_PUBLIC.map(([network, prefix, type, reason]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, type);
  return { list, type, reason };
});

/** The IPv4 address an IPv6 address carries (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), if any. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why an IP address is not on the public internet, or null when it is. Not an IP address: an error. */
export function nonPublicReason(address: string): string | null {
  const family = net.isIP(address);
  if (!family) throw new Error(`not an IP address: ${address}`);
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) {
      const inner = nonPublicReason(v4);
      return inner ? `${inner}, inside an IPv6 address` : null;
    }
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return nonPublic.find((r) => r.type === type && r.list.check(address, type))?.reason ?? null;
}

/** `OUTBOUND_ALLOWLIST`: host names, IP addresses and CIDRs, comma-separated. */
export function loadOutboundPolicy(env: NodeJS.ProcessEnv = process.env): OutboundPolicy {
  const allowedAddresses = new net.BlockList();
  const allowedHosts = new Set<string>();
  for (const raw of (env.OUTBOUND_ALLOWLIST ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(raw);
    const address = (cidr ? cidr[1] : raw).replace(/^\[(.*)\]$/, '$1');
    const family = net.isIP(address);
    if (family) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const prefix = cidr ? Number(cidr[2]) : family === 4 ? 32 : 128;
      if (prefix > (family === 4 ? 32 : 128))
        throw new OutboundSettingsError(`OUTBOUND_ALLOWLIST: "${raw}" has a prefix longer than the address`);
      allowedAddresses.addSubnet(address, prefix, type);
    } else if (
      !cidr &&
      /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i.test(raw)
    ) {
      allowedHosts.add(raw.toLowerCase().replace(/\.$/, ''));
    } else {
      throw new OutboundSettingsError(`OUTBOUND_ALLOWLIST: "${raw}" is neither a host name, an IP address nor a CIDR`);
    }
  }
  return { enforce: env.NODE_ENV === 'production', allowedAddresses, allowedHosts };
}

/** Allows everything: what `npm run dev` and tests run with. */
export const OPEN_OUTBOUND_POLICY: OutboundPolicy = {
  enforce: false,
  allowedAddresses: new net.BlockList(),
  allowedHosts: new Set(),
};

function hostAllowed(policy: OutboundPolicy, host: string): boolean {
  return policy.allowedHosts.has(host.toLowerCase().replace(/\.$/, ''));
}

/** Why a connection from `host` to `address` is refused, or null when it may go ahead. */
export function outboundRefusal(policy: OutboundPolicy, host: string, address: string): string | null {
  if (!policy.enforce || hostAllowed(policy, host)) return null;
  const family = net.isIP(address);
  if (family && policy.allowedAddresses.check(address, family === 4 ? 'ipv4' : 'ipv6')) return null;
  const reason = nonPublicReason(address);
  if (!reason) return null;
  const named = host && host !== address ? `${host} resolves to ${address}, which is` : `${address} is`;
  return `outbound request refused: ${named} ${reason}; list it in OUTBOUND_ALLOWLIST to allow it`;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for sockets: resolves as `dns.lookup` does and drops every address the policy refuses, so
 * the socket can only connect to an address that was checked. No address left: the lookup fails.
 */
export function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: dns.LookupOptions | number | LookupCallback, callback?: LookupCallback): void => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts: dns.LookupOptions =
      typeof options === 'object' ? options : typeof options === 'number' ? { family: options } : {};
    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return cb(err, opts.all ? [] : '');
      const allowed = addresses.filter((a) => outboundRefusal(policy, hostname, a.address) === null);
      if (!allowed.length) {
        const refusal = outboundRefusal(policy, hostname, addresses[0]?.address ?? '0.0.0.0')!;
        return cb(new OutboundBlockedError(refusal), opts.all ? [] : '');
      }
      if (opts.all) cb(null, allowed);
      else cb(null, allowed[0].address, allowed[0].family);
    });
  };
}

/**
 * An IP literal in a URL is connected to without any lookup: it is checked before the socket opens. A
 * refused one gets a socket that fails at once, so the request reports the error as any network error.
 */
function refusedLiteral(policy: OutboundPolicy, host: string | null | undefined): net.Socket | null {
  const address = (host ?? '').replace(/^\[(.*)\]$/, '$1');
  const refusal = net.isIP(address) ? outboundRefusal(policy, address, address) : null;
  if (!refusal) return null;
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(new OutboundBlockedError(refusal)));
  return socket;
}

type ConnectionOptions = http.ClientRequestArgs & { host?: string | null; servername?: string };
type ConnectionCallback = (err: Error | null, socket: net.Socket) => void;
/** `createConnection` exists on every agent, though the type declarations leave it out. */
type CreatesConnections = { createConnection(options: ConnectionOptions, callback?: ConnectionCallback): net.Socket };

/** `http.Agent` whose sockets only open to destinations the policy allows. */
class GuardedHttpAgent extends http.Agent {
  constructor(private readonly policy: OutboundPolicy) {
    super({ keepAlive: true, lookup: guardedLookup(policy) } as http.AgentOptions);
  }
  override createConnection(options: ConnectionOptions, callback?: ConnectionCallback): net.Socket {
    return (
      refusedLiteral(this.policy, options.host) ??
      (http.Agent.prototype as unknown as CreatesConnections).createConnection.call(this, options, callback)
    );
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(private readonly policy: OutboundPolicy) {
    super({ keepAlive: true, lookup: guardedLookup(policy) } as https.AgentOptions);
  }
  override createConnection(options: ConnectionOptions, callback?: ConnectionCallback): net.Socket {
    return (
      refusedLiteral(this.policy, options.host) ??
      (https.Agent.prototype as unknown as CreatesConnections).createConnection.call(this, options, callback)
    );
  }
}

/** What outbound clients are given: a `fetch`, and agents for libraries that take one instead (jsforce's node-fetch). */
export interface OutboundHttp {
  readonly policy: OutboundPolicy;
  fetch: typeof fetch;
  agentFor(url: string | URL): http.Agent;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Clients for `policy`. Not enforcing, `fetch` is the global one. Enforcing, it is a `fetch` over
 * `node:http`/`node:https` with the guarded agents: Node's built-in fetch takes no `lookup`, and its
 * dispatcher is not reachable from every realm (Jest's, for one).
 */
export function createOutboundHttp(policy: OutboundPolicy): OutboundHttp {
  const agents = { http: new GuardedHttpAgent(policy), https: new GuardedHttpsAgent(policy) };
  const agentFor = (url: string | URL) => (new URL(url).protocol === 'https:' ? agents.https : agents.http);
  if (!policy.enforce) return { policy, fetch: (...args) => fetch(...args), agentFor };
  return { policy, agentFor, fetch: (input, init) => guardedFetch(agentFor, input, init) };
}

async function bodyBytes(body: RequestInit['body'] | ArrayBuffer, headers: Headers): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // URLSearchParams, Blob, FormData, streams: let a Response serialize it, with the content type it implies.
  const serialized = new Response(body);
  const type = serialized.headers.get('content-type');
  if (type && !headers.has('content-type')) headers.set('content-type', type);
  return Buffer.from(await serialized.arrayBuffer());
}

function once(
  agentFor: (url: URL) => http.Agent,
  url: URL,
  method: string,
  headers: Headers,
  body: Buffer | undefined,
  signal: AbortSignal | null | undefined,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing: Record<string, string> = Object.fromEntries(headers);
    if (body) outgoing['content-length'] = String(body.length);
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method,
      headers: outgoing,
      agent: agentFor(url),
      signal: signal ?? undefined,
    });
    request.on('error', (err) => {
      if (signal?.aborted) return reject(signal.reason);
      // As the global fetch fails, with the cause attached; a refusal also says why, for callers that show only the message.
      reject(
        new TypeError(err instanceof OutboundBlockedError ? `fetch failed: ${err.message}` : 'fetch failed', {
          cause: err,
        }),
      );
    });
    request.on('response', (res) => {
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      const encoding = (res.headers['content-encoding'] ?? '').toLowerCase();
      const decoded: Readable =
        encoding === 'gzip'
          ? res.pipe(zlib.createGunzip())
          : encoding === 'deflate'
            ? res.pipe(zlib.createInflate())
            : encoding === 'br'
              ? res.pipe(zlib.createBrotliDecompress())
              : res;
      const status = res.statusCode ?? 0;
      const empty = status === 204 || status === 304 || method === 'HEAD';
      if (empty) res.resume();
      const response = new Response(empty ? null : (Readable.toWeb(decoded) as ReadableStream), {
        status,
        statusText: res.statusMessage,
        headers: responseHeaders,
      });
      Object.defineProperty(response, 'url', { value: url.href });
      resolve(response);
    });
    request.end(body);
  });
}

async function guardedFetch(
  agentFor: (url: URL) => http.Agent,
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const request = input instanceof Request ? input : null;
  let url = new URL(request ? request.url : input.toString());
  let method = (init.method ?? request?.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers ?? request?.headers);
  let body = await bodyBytes(init.body ?? (request?.body ? await request.arrayBuffer() : undefined), headers);
  const signal = init.signal ?? request?.signal;
  const redirect = init.redirect ?? request?.redirect ?? 'follow';
  for (let hops = 0; ; hops++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
    const response = await once(agentFor, url, method, headers, body, signal);
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || redirect === 'manual' || !location) return response;
    await response.body?.cancel();
    if (redirect === 'error' || hops >= 20)
      throw new TypeError('fetch failed: redirect', { cause: new Error(`redirected to ${location}`) });
    const next = new URL(location, url);
    if (next.origin !== url.origin) headers.delete('authorization');
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      headers.delete('content-type');
    }
    url = next;
  }
}

/**
 * Makes the process's default agents the guarded ones, for libraries that take no agent of ours
 * (jsforce's node-fetch). Returns a function that puts the previous ones back.
 */
export function installOutboundGuard(outbound: OutboundHttp): () => void {
  const previous = { http: http.globalAgent, https: https.globalAgent };
  if (!outbound.policy.enforce) return () => undefined;
  http.globalAgent = outbound.agentFor('http://global.invalid/');
  https.globalAgent = outbound.agentFor('https://global.invalid/') as https.Agent;
  return () => {
    http.globalAgent = previous.http;
    https.globalAgent = previous.https;
  };
}

/**
 * The early check for a URL an admin is configuring: null when it may be saved, else why not. Literal
 * addresses and names resolving only to refused addresses are refused; a name that does not resolve
 * now is accepted (the check when sending is the one that counts).
 */
export async function checkOutboundUrl(policy: OutboundPolicy, raw: string): Promise<string | null> {
  if (!policy.enforce) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null; // the caller's own validation says what is wrong with it
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host)) return outboundRefusal(policy, host, host);
  if (hostAllowed(policy, host)) return null;
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true });
  } catch {
    return null;
  }
  const refusals = addresses.map((a) => outboundRefusal(policy, host, a.address));
  return refusals.length && refusals.every(Boolean) ? refusals[0] : null;
}
