import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverWebhook, MAX_EXCERPT_BYTES, USER_AGENT, type DeliveryRequest } from './deliver';
import { computeSignature, DELIVERY_HEADER, EVENT_HEADER, newWebhookSecret, SIGNATURE_HEADER, signPayload, verifySignature } from '@mehrdesk/usecases/webhooks/signing';
import { checkWebhookUrl, type ResolvedAddress, type WebhookLookup } from '@mehrdesk/usecases/webhooks/ssrf';

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

/**
 * IPv6 forms that embed an IPv4 address must be judged by that address whatever their
 * spelling, both as URL literals and as DNS answers (which are pinned for the connection).
 */
describe('checkWebhookUrl: IPv6 forms embedding IPv4', () => {
  const SEED = 20_260_808; // fixed: a failure reproduces; `seed` and `path` are printed on failure
  type Bytes = number[];
  const octets = (n: number): Bytes => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const dotted = (v4: Bytes) => v4.join('.');
  const ipv4In = (base: string, bits: number) => {
    const start = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    return fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((n) => octets(start + n));
  };
  const nonPublicIPv4 = fc.oneof(
    ipv4In('127.0.0.0', 8),
    ipv4In('10.0.0.0', 8),
    ipv4In('172.16.0.0', 12),
    ipv4In('192.168.0.0', 16),
    ipv4In('169.254.0.0', 16),
    ipv4In('100.64.0.0', 10),
    ipv4In('0.0.0.0', 8).filter((o) => dotted(o) !== '0.0.0.0' && dotted(o) !== '0.0.0.1'), // ::, ::1 are IPv6's own
  );
  const publicIPv4 = fc.integer({ min: 11 * 2 ** 24, max: 100 * 2 ** 24 - 1 }).map(octets); // 11/8 to 99/8: all public unicast
  const filler = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 });

  interface Form {
    name: string;
    embed: (v4: Bytes, rnd: Bytes) => Bytes;
    /** The refusal names the generated address (false where several embedded addresses are judged). */
    namesIt: boolean;
  }
  const zeros = (n: number): Bytes => Array<number>(n).fill(0);
  const forms: Form[] = [
    { name: 'IPv4-mapped', embed: (v4) => [...zeros(10), 0xff, 0xff, ...v4], namesIt: true },
    { name: 'IPv4-compatible', embed: (v4) => [...zeros(12), ...v4], namesIt: true },
    { name: 'IPv4-translated', embed: (v4) => [...zeros(8), 0xff, 0xff, 0, 0, ...v4], namesIt: true },
    { name: 'NAT64', embed: (v4) => [0, 0x64, 0xff, 0x9b, ...zeros(8), ...v4], namesIt: true },
    { name: 'NAT64 local-use', embed: (v4, r) => [0, 0x64, 0xff, 0x9b, 0, 1, ...r.slice(6, 12), ...v4], namesIt: false }, // /96
    { name: 'NAT64 local-use', embed: (v4, r) => [0, 0x64, 0xff, 0x9b, 0, 1, v4[0]!, v4[1]!, 0, v4[2]!, v4[3]!, ...r.slice(11)], namesIt: false }, // /48
    { name: '6to4', embed: (v4, r) => [0x20, 0x02, ...v4, ...r.slice(6)], namesIt: true },
    { name: 'Teredo', embed: (v4, r) => [0x20, 0x01, 0, 0, ...v4, ...r.slice(8)], namesIt: false }, // server
    { name: 'Teredo', embed: (v4, r) => [0x20, 0x01, 0, 0, ...r.slice(4, 12), ...v4.map((o) => o ^ 0xff)], namesIt: false }, // client
  ];

  /** How an address is written: padding, case, dotted tail, which zero run is "::", zone id. */
  const spelling = fc.record({
    pad: fc.boolean(),
    letters: fc.constantFrom('lower', 'upper', 'mixed'),
    dottedTail: fc.boolean(),
    compress: fc.nat(),
    zone: fc.constantFrom('', '%eth0', '%1', '%en0'),
  });
  type Spelling = typeof spelling extends fc.Arbitrary<infer T> ? T : never;

  function spell(bytes: Bytes, s: Spelling): string {
    const groups = Array.from({ length: s.dottedTail ? 6 : 8 }, (_, i) => bytes[2 * i]! * 256 + bytes[2 * i + 1]!);
    const hex = groups.map((g) => g.toString(16).padStart(s.pad ? 4 : 1, '0'));
    const runs: [number, number][] = [];
    for (let i = 0; i < groups.length; i++) for (let j = i; j < groups.length && groups[j] === 0; j++) runs.push([i, j - i + 1]);
    const run = runs[s.compress % (runs.length + 1)]; // one choice is "no compression"
    let text = run ? `${hex.slice(0, run[0]).join(':')}::${hex.slice(run[0] + run[1]).join(':')}` : hex.join(':');
    if (s.dottedTail) text += `${text.endsWith('::') ? '' : ':'}${dotted(bytes.slice(12))}`;
    if (s.letters === 'upper') text = text.toUpperCase();
    if (s.letters === 'mixed') text = [...text].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    return text + s.zone;
  }

  const embedded = (v4: fc.Arbitrary<Bytes>) =>
    fc.record({ form: fc.constantFrom(...forms), v4, rnd: filler, spelling }).map(({ form, v4, rnd, spelling: s }) => {
      const text = spell(form.embed(v4, rnd), s);
      expect(isIP(text.replace(/%.*/, ''))).toBe(6); // the generator writes real IPv6 addresses
      return { form, v4, text, zone: s.zone };
    });

  const noLookup: WebhookLookup = async (host) => {
    throw new Error(`unexpected lookup of ${host}`);
  };
  const expectJudgedRefusal = (res: Awaited<ReturnType<typeof checkWebhookUrl>>, form: Form, v4: Bytes) => {
    expect(res).toMatchObject({ ok: false, retryable: false });
    if (res.ok) return;
    expect(res.reason).toContain(form.name);
    expect(res.reason).toMatch(form.namesIt ? new RegExp(`${dotted(v4).replaceAll('.', '\\.')}\\b`) : / embeds /);
  };

  it('refuses them as URL literals whenever the embedded address is not public', async () => {
    await fc.assert(
      fc.asyncProperty(embedded(nonPublicIPv4), async ({ form, v4, text, zone }) => {
        const res = await checkWebhookUrl(`http://[${text.replace('%', '%25')}]:8080/hook`, { allowPrivate: false, lookup: noLookup });
        if (zone !== '')
          expect(res).toEqual({ ok: false, reason: 'not a valid absolute URL', retryable: false }); // no zone ids in URLs
        else expectJudgedRefusal(res, form, v4);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('refuses them as DNS answers whenever the embedded address is not public, even next to a public one', async () => {
    await fc.assert(
      fc.asyncProperty(embedded(nonPublicIPv4), fc.boolean(), async ({ form, v4, text }, publicFirst) => {
        const answers: ResolvedAddress[] = [{ address: text, family: 6 }];
        if (publicFirst) answers.unshift({ address: '93.184.216.34', family: 4 });
        const res = await checkWebhookUrl('https://hooks.example.com/in', { allowPrivate: false, lookup: async () => answers });
        expectJudgedRefusal(res, form, v4);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('never connects to them when delivering (the pinned path)', async () => {
    await fc.assert(
      fc.asyncProperty(embedded(fc.constant([127, 0, 0, 1])), async ({ text }) => {
        const before = received.length;
        const lookup: WebhookLookup = async () => [{ address: text, family: 6 }];
        const out = await deliverWebhook(request(`http://receiver.example:${port}/ok`, { allowPrivate: false, lookup }));
        expect(out.outcome).toBe('refused');
        expect(received.length).toBe(before);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('judges public embedded addresses by their form', async () => {
    await fc.assert(
      fc.asyncProperty(embedded(publicIPv4), async ({ form, v4, text, zone }) => {
        const res = await checkWebhookUrl('https://hooks.example.com/in', { allowPrivate: false, lookup: async () => [{ address: text, family: 6 }] });
        if (form.name === 'IPv4-mapped') {
          expect(res).toMatchObject({ ok: true, address: dotted(v4), family: 4 }); // connected to as plain IPv4
        } else if (form.name === 'NAT64') {
          const [a, b, c, d] = v4 as [number, number, number, number];
          const tail = `${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
          expect(res).toMatchObject({ ok: true, address: `64:ff9b::${tail}${zone}`, family: 6 }); // DNS64 on IPv6-only networks
        } else if (form.namesIt) {
          expect(res).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`\\(${form.name}\\), which is not allowed$`)), retryable: false });
        } else {
          expect(res).toMatchObject({ ok: false, reason: expect.stringContaining(form.name), retryable: false });
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it.each([
    ['http://[::127.0.0.1]/', 'address ::7f00:1 (IPv4-compatible, embeds loopback 127.0.0.1) is not allowed'],
    ['http://[::7f00:1]/', 'address ::7f00:1 (IPv4-compatible, embeds loopback 127.0.0.1) is not allowed'],
    ['http://[::a9fe:a9fe]/', 'address ::a9fe:a9fe (IPv4-compatible, embeds linkLocal 169.254.169.254) is not allowed'],
    ['http://[::8.8.8.8]/', 'address ::808:808 (IPv4-compatible) is not allowed'],
    ['http://[::ffff:0:10.0.0.1]/', 'address ::ffff:0:a00:1 (IPv4-translated, embeds private 10.0.0.1) is not allowed'],
    ['http://[64:ff9b::192.168.1.1]/', 'address 64:ff9b::c0a8:101 (NAT64, embeds private 192.168.1.1) is not allowed'],
    ['http://[2002:a9fe:a9fe::1]/', 'address 2002:a9fe:a9fe::1 (6to4, embeds linkLocal 169.254.169.254) is not allowed'],
    ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'address 2001:0:4136:e378:8000:63bf:80ff:fffe (Teredo, embeds loopback 127.0.0.1) is not allowed'],
  ])('refuses %s naming the embedded address', async (url, reason) => {
    expect(await checkWebhookUrl(url, { allowPrivate: false, lookup: noLookup })).toEqual({ ok: false, reason, retryable: false });
  });

  it('keeps a zone id when pinning an allowed private destination', async () => {
    const lookup: WebhookLookup = async () => [{ address: 'FE80::1%eth0', family: 6 }];
    expect(await checkWebhookUrl('http://link.example/', { allowPrivate: true, lookup })).toMatchObject({ ok: true, address: 'fe80::1%eth0', family: 6 });
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
