import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverWebhook, MAX_EXCERPT_BYTES, USER_AGENT, type DeliveryRequest } from './deliver';
import {
  computeSignature,
  DELIVERY_HEADER,
  EVENT_HEADER,
  newWebhookSecret,
  SIGNATURE_HEADER,
  signPayload,
  verifySignature,
} from './signing';
import { checkWebhookUrl, type WebhookLookup } from './ssrf';

const SECRET = 'whsec_test_secret';
const NOW = 1_800_000_000;
const KNOWN_HMAC = '1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224';
const BODY = JSON.stringify({ event: 'ticket.created', ticket: { number: 'HD-2026-000042', subject: 'Ünïcødé ✓' } });

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 whose behaviour per path is given by `routes`. */
let server: Server;
let base: string;
let port: number;
const received: Received[] = [];
const routes: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(204).end(),
  '/500': (res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('database on fire'),
  '/429': (res) => res.writeHead(429, { 'retry-after': '30' }).end('slow down'),
  '/404': (res) => res.writeHead(404).end('no such hook'),
  '/410': (res) => res.writeHead(410).end('gone'),
  '/302': (res) => res.writeHead(302, { location: '/ok' }).end(),
  '/hang': () => undefined, // never answers
  '/big': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('é'.repeat(50 * 1024)), // 100 KB
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const path = (req.url ?? '').split('?')[0] ?? '';
      (routes[path] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function request(url: string, over: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    url,
    secret: SECRET,
    deliveryId: 'dlv_123',
    event: 'ticket.created',
    body: BODY,
    timeoutMs: 2000,
    allowPrivate: true,
    nowSec: NOW,
    ...over,
  };
}

function lastReceived(): Received {
  const r = received.at(-1);
  if (!r) throw new Error('nothing received');
  return r;
}

describe('deliverWebhook against a local receiver', () => {
  it('delivers the exact body with headers and a signature the receiver can verify', async () => {
    const before = received.length;
    const out = await deliverWebhook(request(`${base}/ok?x=1`));
    expect(out).toEqual({
      outcome: 'success',
      statusCode: 204,
      latencyMs: expect.any(Number),
      responseExcerpt: '',
      error: null,
    });
    expect(received.length).toBe(before + 1);
    const got = lastReceived();
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/ok?x=1');
    expect(got.body).toBe(BODY);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
    expect(got.headers['user-agent']).toBe(USER_AGENT);
    expect(got.headers['mehrdesk-delivery']).toBe('dlv_123');
    expect(got.headers['mehrdesk-event']).toBe('ticket.created');
    expect(got.headers.host).toBe(`127.0.0.1:${port}`);
    const sig = got.headers['mehrdesk-signature'];
    expect(sig).toBe(signPayload(SECRET, BODY, NOW));
    expect(verifySignature(SECRET, sig as string, got.body, { nowSec: NOW + 10 })).toEqual({ ok: true });
  });

  it('connects to the pinned address while keeping the Host header of the URL', async () => {
    const lookups: string[] = [];
    const lookup: WebhookLookup = async (host) => {
      lookups.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const out = await deliverWebhook(request(`http://hooks.customer.test:${port}/ok`, { lookup }));
    expect(out.outcome).toBe('success');
    expect(out.statusCode).toBe(204);
    expect(lookups).toEqual(['hooks.customer.test']);
    expect(lastReceived().headers.host).toBe(`hooks.customer.test:${port}`);
  });

  it('500 is retryable and keeps the response excerpt', async () => {
    const out = await deliverWebhook(request(`${base}/500`));
    expect(out).toEqual({
      outcome: 'retryable',
      statusCode: 500,
      latencyMs: expect.any(Number),
      responseExcerpt: 'database on fire',
      error: 'receiver responded with HTTP 500',
    });
  });

  it('429 is retryable', async () => {
    const out = await deliverWebhook(request(`${base}/429`));
    expect(out.outcome).toBe('retryable');
    expect(out.statusCode).toBe(429);
    expect(out.responseExcerpt).toBe('slow down');
    expect(out.error).toBe('receiver responded with HTTP 429');
  });

  it('404 is permanent', async () => {
    const out = await deliverWebhook(request(`${base}/404`));
    expect(out.outcome).toBe('permanent');
    expect(out.statusCode).toBe(404);
    expect(out.responseExcerpt).toBe('no such hook');
    expect(out.error).toBe('receiver responded with HTTP 404');
  });

  it('410 is permanent', async () => {
    const out = await deliverWebhook(request(`${base}/410`));
    expect(out.outcome).toBe('permanent');
    expect(out.statusCode).toBe(410);
    expect(out.error).toBe('receiver responded with HTTP 410 (endpoint gone)');
  });

  it('302 is permanent and the redirect is not followed', async () => {
    const before = received.length;
    const out = await deliverWebhook(request(`${base}/302`));
    expect(out.outcome).toBe('permanent');
    expect(out.statusCode).toBe(302);
    expect(out.error).toBe('receiver responded with HTTP 302; redirects are not followed');
    // Give a (wrongly) followed redirect time to arrive, then check only one request came.
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(before + 1);
    expect(lastReceived().url).toBe('/302');
  });

  it('a receiver that never answers times out as retryable within the budget', async () => {
    const timeoutMs = 300;
    const t0 = performance.now();
    const out = await deliverWebhook(request(`${base}/hang`, { timeoutMs }));
    const took = performance.now() - t0;
    expect(out).toEqual({
      outcome: 'retryable',
      statusCode: null,
      latencyMs: expect.any(Number),
      responseExcerpt: null,
      error: 'timed out after 300 ms',
    });
    expect(took).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(took).toBeLessThan(timeoutMs + 1000);
    expect(out.latencyMs).toBeGreaterThanOrEqual(timeoutMs - 5);
  });

  it('a body that stalls after the status line keeps the status and the excerpt read so far', async () => {
    routes['/stall'] = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('accepted, but');
    };
    const out = await deliverWebhook(request(`${base}/stall`, { timeoutMs: 300 }));
    expect(out.outcome).toBe('success');
    expect(out.statusCode).toBe(200);
    expect(out.responseExcerpt).toBe('accepted, but');
    expect(out.error).toBeNull();
  });

  it('reads at most 4 KiB of a 100 KB response', async () => {
    const out = await deliverWebhook(request(`${base}/big`));
    expect(out.outcome).toBe('success');
    expect(out.statusCode).toBe(200);
    const excerpt = out.responseExcerpt ?? '';
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(MAX_EXCERPT_BYTES);
    // 'é' is 2 bytes: exactly 2048 whole characters fit, no replacement characters.
    expect(excerpt).toBe('é'.repeat(MAX_EXCERPT_BYTES / 2));
  });

  it('cuts a multi-byte character at the limit cleanly', async () => {
    routes['/odd'] = (res) => res.writeHead(200).end(`a${'€'.repeat(3000)}`); // 1 + 3 bytes each
    const out = await deliverWebhook(request(`${base}/odd`));
    // 1 + 3*1365 = 4096 bytes exactly.
    expect(out.responseExcerpt).toBe(`a${'€'.repeat(1365)}`);
    routes['/odd'] = (res) => res.writeHead(200).end(`ab${'€'.repeat(3000)}`);
    const out2 = await deliverWebhook(request(`${base}/odd`));
    // 2 + 3*1364 = 4094; the next '€' would end at 4097, so it is dropped whole.
    expect(out2.responseExcerpt).toBe(`ab${'€'.repeat(1364)}`);
  });

  it('connection refused is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const out = await deliverWebhook(request(`http://127.0.0.1:${closedPort}/`));
    expect(out.outcome).toBe('retryable');
    expect(out.statusCode).toBeNull();
    expect(out.responseExcerpt).toBeNull();
    expect(out.error).toMatch(/ECONNREFUSED/);
  });

  it('a DNS failure is retryable', async () => {
    const lookup: WebhookLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    };
    const out = await deliverWebhook(request('https://nowhere.test/hook', { lookup }));
    expect(out).toEqual({
      outcome: 'retryable',
      statusCode: null,
      latencyMs: expect.any(Number),
      responseExcerpt: null,
      error: 'could not resolve nowhere.test: ENOTFOUND',
    });
  });

  it('refuses a private destination without connecting when allowPrivate is false', async () => {
    const before = received.length;
    const out = await deliverWebhook(request(`${base}/ok`, { allowPrivate: false }));
    expect(out).toEqual({
      outcome: 'refused',
      statusCode: null,
      latencyMs: expect.any(Number),
      responseExcerpt: null,
      error: 'address 127.0.0.1 (loopback) is not allowed',
    });
    expect(received.length).toBe(before);
  });
});

describe('checkWebhookUrl', () => {
  const noLookup: WebhookLookup = async (host) => {
    throw new Error(`unexpected lookup of ${host}`);
  };

  it.each([
    ['http://127.0.0.1/', 'address 127.0.0.1 (loopback) is not allowed'],
    ['http://[::1]/', 'address ::1 (loopback) is not allowed'],
    ['http://10.0.0.5/', 'address 10.0.0.5 (private) is not allowed'],
    ['http://192.168.1.1/', 'address 192.168.1.1 (private) is not allowed'],
    ['http://169.254.169.254/latest/meta-data', 'address 169.254.169.254 (linkLocal) is not allowed'],
    ['http://[::ffff:127.0.0.1]/', 'address ::ffff:127.0.0.1 (IPv4-mapped loopback) is not allowed'],
    ['http://0.0.0.0/', 'address 0.0.0.0 (unspecified) is not allowed'],
    ['http://100.64.0.1/', 'address 100.64.0.1 (carrierGradeNat) is not allowed'],
    ['http://[fd00::1]/', 'address fd00::1 (uniqueLocal) is not allowed'],
    ['http://[fe80::1]/', 'address fe80::1 (linkLocal) is not allowed'],
    ['http://224.0.0.1/', 'address 224.0.0.1 (multicast) is not allowed'],
    ['http://255.255.255.255/', 'address 255.255.255.255 (broadcast) is not allowed'],
    ['http://0x7f.1/', 'address 127.0.0.1 (loopback) is not allowed'], // URL normalises odd IPv4 forms
  ])('refuses %s', async (url, reason) => {
    expect(await checkWebhookUrl(url, { allowPrivate: false, lookup: noLookup })).toEqual({
      ok: false,
      reason,
      retryable: false,
    });
  });

  it('refuses localhost (real resolver) naming the loopback address', async () => {
    const res = await checkWebhookUrl('http://localhost/', { allowPrivate: false });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.retryable).toBe(false);
    expect(res.reason).toMatch(/^localhost resolves to (127\.0\.0\.1|::1) \(loopback\), which is not allowed$/);
  });

  it('refuses a host when any one of its addresses is private', async () => {
    const lookup: WebhookLookup = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ];
    expect(await checkWebhookUrl('https://mixed.example.com/hook', { allowPrivate: false, lookup })).toEqual({
      ok: false,
      reason: 'mixed.example.com resolves to 10.1.2.3 (private), which is not allowed',
      retryable: false,
    });
  });

  it('refuses a host resolving to the metadata address or an IPv4-mapped private address', async () => {
    const meta: WebhookLookup = async () => [{ address: '169.254.169.254', family: 4 }];
    expect(await checkWebhookUrl('http://rebind.example.com/', { allowPrivate: false, lookup: meta })).toMatchObject({
      ok: false,
      reason: 'rebind.example.com resolves to 169.254.169.254 (linkLocal), which is not allowed',
    });
    const mapped: WebhookLookup = async () => [{ address: '::ffff:192.168.0.10', family: 6 }];
    expect(await checkWebhookUrl('http://m.example.com/', { allowPrivate: false, lookup: mapped })).toMatchObject({
      ok: false,
      reason: 'm.example.com resolves to ::ffff:192.168.0.10 (IPv4-mapped private), which is not allowed',
    });
  });

  it.each([
    ['ftp://example.com', 'scheme "ftp" is not allowed; use http or https'],
    ['javascript:alert(1)', 'scheme "javascript" is not allowed; use http or https'],
    ['file:///etc/passwd', 'scheme "file" is not allowed; use http or https'],
    ['http://user:pass@example.com', 'URLs with credentials (user:password@) are not allowed'],
    ['http://user@example.com', 'URLs with credentials (user:password@) are not allowed'],
    ['http://example.com:0/', 'port 0 is not allowed'],
    ['not a url', 'not a valid absolute URL'],
    ['http://example.com:70000/', 'not a valid absolute URL'],
  ])('refuses %s', async (url, reason) => {
    expect(await checkWebhookUrl(url, { allowPrivate: true, lookup: noLookup })).toEqual({
      ok: false,
      reason,
      retryable: false,
    });
  });

  it('accepts a public address and pins it (without connecting)', async () => {
    const lookup: WebhookLookup = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ];
    const res = await checkWebhookUrl('https://hooks.example.com:8443/in?a=1', { allowPrivate: false, lookup });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.address).toBe('93.184.216.34');
    expect(res.family).toBe(4);
    expect(res.url.href).toBe('https://hooks.example.com:8443/in?a=1');
  });

  it('pins an IPv4-mapped public address as plain IPv4', async () => {
    const lookup: WebhookLookup = async () => [{ address: '::ffff:93.184.216.34', family: 6 }];
    expect(await checkWebhookUrl('http://a.example.com/', { allowPrivate: false, lookup })).toMatchObject({
      ok: true,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('allows private destinations when allowPrivate is true', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:8080/', { allowPrivate: true })).toMatchObject({
      ok: true,
      address: '127.0.0.1',
      family: 4,
    });
    expect(await checkWebhookUrl('http://[::1]/', { allowPrivate: true })).toMatchObject({
      ok: true,
      address: '::1',
      family: 6,
    });
  });

  it('reports an unresolvable host as retryable', async () => {
    const empty: WebhookLookup = async () => [];
    expect(await checkWebhookUrl('http://empty.example.com/', { allowPrivate: false, lookup: empty })).toEqual({
      ok: false,
      reason: 'could not resolve empty.example.com: no addresses',
      retryable: true,
    });
  });
});

describe('signatures', () => {
  const header = signPayload(SECRET, BODY, NOW);

  it('has the documented format', () => {
    expect(header).toBe(`t=${NOW},v1=${computeSignature(SECRET, BODY, NOW)}`);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(SIGNATURE_HEADER).toBe('Mehrdesk-Signature');
    expect(DELIVERY_HEADER).toBe('Mehrdesk-Delivery');
    expect(EVENT_HEADER).toBe('Mehrdesk-Event');
  });

  it('matches an independently computed HMAC-SHA256', () => {
    // HMAC-SHA256(key="key", "1.{}") computed with openssl.
    expect(computeSignature('key', '{}', 1)).toBe(KNOWN_HMAC);
  });

  it('verifies a genuine signature within tolerance (either direction)', () => {
    expect(verifySignature(SECRET, header, BODY, { nowSec: NOW })).toEqual({ ok: true });
    expect(verifySignature(SECRET, header, BODY, { nowSec: NOW + 300 })).toEqual({ ok: true });
    expect(verifySignature(SECRET, header, BODY, { nowSec: NOW - 300 })).toEqual({ ok: true });
  });

  it('rejects a tampered body', () => {
    expect(verifySignature(SECRET, header, `${BODY} `, { nowSec: NOW })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, header, BODY.replace('42', '43'), { nowSec: NOW })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a wrong secret', () => {
    expect(verifySignature('whsec_other', header, BODY, { nowSec: NOW })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a tampered timestamp (the signature covers it)', () => {
    const forged = header.replace(`t=${NOW}`, `t=${NOW + 1000}`);
    expect(verifySignature(SECRET, forged, BODY, { nowSec: NOW + 1000 })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects an expired (replayed) or future timestamp', () => {
    expect(verifySignature(SECRET, header, BODY, { nowSec: NOW + 301 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature(SECRET, header, BODY, { nowSec: NOW - 301 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature(SECRET, header, BODY, { nowSec: NOW + 60, toleranceSec: 30 })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it.each([
    [''],
    ['garbage'],
    [`v1=${computeSignature(SECRET, BODY, NOW)}`], // no timestamp
    [`t=${NOW}`], // no signature
    [`t=abc,v1=${computeSignature(SECRET, BODY, NOW)}`],
    [`t=${NOW},t=${NOW},v1=${computeSignature(SECRET, BODY, NOW)}`],
    [`t=-5,v1=${computeSignature(SECRET, BODY, NOW)}`],
  ])('rejects malformed header %j', (h) => {
    expect(verifySignature(SECRET, h, BODY, { nowSec: NOW })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('rejects a missing header or a non-hex v1 as malformed / mismatch', () => {
    expect(verifySignature(SECRET, undefined, BODY, { nowSec: NOW })).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(SECRET, `t=${NOW},v1=zz`, BODY, { nowSec: NOW })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('supports secret rotation: several v1 entries and several receiver secrets', () => {
    const oldSecret = 'whsec_old';
    const newSecret = 'whsec_new';
    const both = `${signPayload(oldSecret, BODY, NOW)},v1=${computeSignature(newSecret, BODY, NOW)}`;
    expect(verifySignature(oldSecret, both, BODY, { nowSec: NOW })).toEqual({ ok: true });
    expect(verifySignature(newSecret, both, BODY, { nowSec: NOW })).toEqual({ ok: true });
    expect(verifySignature('whsec_neither', both, BODY, { nowSec: NOW })).toEqual({ ok: false, reason: 'mismatch' });
    // Receiver side: accept either secret while the sender switches over.
    const signedWithNew = signPayload(newSecret, BODY, NOW);
    expect(verifySignature([oldSecret, newSecret], signedWithNew, BODY, { nowSec: NOW })).toEqual({ ok: true });
    expect(verifySignature([oldSecret], signedWithNew, BODY, { nowSec: NOW })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('generates distinct whsec_ secrets of 32 random bytes', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});
