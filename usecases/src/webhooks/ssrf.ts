import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to every address it has (injectable for tests). */
export type WebhookLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export interface CheckWebhookUrlOptions {
  /** Allow loopback/private/link-local/... destinations (development and tests only). */
  allowPrivate: boolean;
  lookup?: WebhookLookup;
}

export type CheckWebhookUrlResult =
  | { ok: true; url: URL; address: string; family: 4 | 6 }
  /**
   * `retryable` is true when the URL may become deliverable without being changed (the host
   * name did not resolve right now); false when the URL or its destination is not allowed.
   */
  | { ok: false; reason: string; retryable: boolean };

export const defaultLookup: WebhookLookup = async (hostname) => {
  const found = await dns.lookup(hostname, { all: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

type Classified = { address: string; family: 4 | 6; display: string; range: string | null };

/**
 * An IPv6 form that carries an IPv4 address: the traffic ends up at (or is tunnelled via) that
 * IPv4 host, so the IPv4 address decides. `publicAs` says how a destination whose embedded
 * addresses are all public is reached: as the plain IPv4 address, as the IPv6 address itself
 * (NAT64's well-known prefix, which DNS64 resolvers hand out on IPv6-only networks), or not at
 * all (deprecated or site-specific forms, refused whatever they embed).
 */
interface Embedding {
  form: string;
  ipv4: ipaddr.IPv4[];
  publicAs: 'ipv4' | 'ipv6' | null;
}

function embeddedIPv4(v6: ipaddr.IPv6): Embedding | null {
  const b = v6.toByteArray();
  const v4 = (...at: number[]) => new ipaddr.IPv4(at.map((i) => b[i] ?? 0));
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const is = (...prefix: number[]) => prefix.every((x, i) => b[i] === x);
  const last = v4(12, 13, 14, 15);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return { form: 'IPv4-mapped', ipv4: [last], publicAs: 'ipv4' };
  // ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated); :: and ::1 are judged as IPv6 unspecified/loopback.
  if (zeros(0, 12) && !(zeros(12, 15) && (b[15] ?? 0) <= 1)) return { form: 'IPv4-compatible', ipv4: [last], publicAs: null };
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return { form: 'IPv4-translated', ipv4: [last], publicAs: null }; // RFC 6145
  if (is(0, 0x64, 0xff, 0x9b) && zeros(4, 12)) return { form: 'NAT64', ipv4: [last], publicAs: 'ipv6' }; // RFC 6052
  if (is(0, 0x64, 0xff, 0x9b, 0, 1)) {
    // RFC 8215 local-use prefix: the operator's prefix length (/96, /64, /56 or /48) decides
    // where the IPv4 address sits (RFC 6052 §2.2, skipping bits 64-71), so every candidate is judged.
    return { form: 'NAT64 local-use', ipv4: [last, v4(9, 10, 11, 12), v4(7, 9, 10, 11), v4(6, 7, 9, 10)], publicAs: null };
  }
  if (is(0x20, 0x02)) return { form: '6to4', ipv4: [v4(2, 3, 4, 5)], publicAs: null }; // RFC 3056
  if (is(0x20, 0x01, 0, 0)) {
    // Teredo (RFC 4380): the server's address, and the client's with every bit inverted.
    const client = new ipaddr.IPv4([12, 13, 14, 15].map((i) => (b[i] ?? 0) ^ 0xff));
    return { form: 'Teredo', ipv4: [v4(4, 5, 6, 7), client], publicAs: null };
  }
  return null;
}

/**
 * Canonical text of an IP address as the WHATWG URL parser writes it (the parser that read
 * the webhook URL), so an address from DNS is judged exactly like the same address typed
 * into a URL, whatever its spelling (hex groups, dotted tail, zero compression, case).
 */
function canonicalIp(text: string): { family: 4 | 6; text: string } | null {
  try {
    if (/^[0-9a-f:.]+$/i.test(text) && text.includes(':')) {
      const host = new URL(`http://[${text}]/`).hostname;
      return { family: 6, text: host.slice(1, -1) };
    }
    if (/^[0-9a-fx.]+$/i.test(text)) {
      const host = new URL(`http://${text}/`).hostname;
      if (isIP(host) === 4) return { family: 4, text: host };
    }
  } catch {
    // not an address the URL parser accepts
  }
  return null;
}

/**
 * Classify one address. `range` is null for public unicast; otherwise why it is refused (the
 * ipaddr.js range name; for IPv6 forms embedding IPv4, the form and the embedded address).
 * A zone id (`%eth0`) does not change the judgement and is kept for connecting.
 */
function classify(address: string): Classified | { invalid: string } {
  const zoneAt = address.indexOf('%');
  const zone = zoneAt < 0 ? '' : address.slice(zoneAt);
  if (zone !== '' && !/^%[0-9a-z_.-]+$/i.test(zone)) return { invalid: address };
  const canonical = canonicalIp(zoneAt < 0 ? address : address.slice(0, zoneAt));
  if (!canonical || (zone !== '' && canonical.family === 4)) return { invalid: address };

  if (canonical.family === 4) {
    const range = ipaddr.IPv4.parse(canonical.text).range();
    return { address: canonical.text, family: 4, display: canonical.text, range: range === 'unicast' ? null : range };
  }
  const v6 = ipaddr.IPv6.parse(canonical.text);
  const pinned = `${canonical.text}${zone}`;
  const embedding = embeddedIPv4(v6);
  if (!embedding) {
    const range = v6.range();
    return { address: pinned, family: 6, display: canonical.text, range: range === 'unicast' ? null : range };
  }
  const [first] = embedding.ipv4;
  if (embedding.publicAs === 'ipv4' && first) {
    // Connected to as the IPv4 address it embeds (the kernel would do the same).
    const range = first.range();
    const display = `::ffff:${first.toString()}`;
    return { address: first.toString(), family: 4, display, range: range === 'unicast' ? null : `${embedding.form} ${range}` };
  }
  const bad = embedding.ipv4.find((v4) => v4.range() !== 'unicast');
  const range = bad ? `${embedding.form}, embeds ${bad.range()} ${bad.toString()}` : embedding.publicAs ? null : embedding.form;
  return { address: pinned, family: 6, display: canonical.text, range };
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/**
 * Decide whether a webhook may be delivered to `raw`, and to which address.
 *
 * Only http(s) URLs without credentials and with a valid port pass. The host is resolved
 * (IP literals are taken as is) and, unless `allowPrivate`, every resolved address must be
 * public unicast: one private answer is enough to refuse, since a resolver may hand out any
 * of them. The returned `address` is the one to connect to; connecting to it (instead of
 * resolving again) closes the DNS-rebinding window between this check and the connection.
 */
export async function checkWebhookUrl(raw: string, opts: CheckWebhookUrlOptions): Promise<CheckWebhookUrlResult> {
  const refuse = (reason: string): CheckWebhookUrlResult => ({ ok: false, reason, retryable: false });

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return refuse(`scheme "${url.protocol.replace(/:$/, '')}" is not allowed; use http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('URLs with credentials (user:password@) are not allowed');
  }
  if (url.port !== '') {
    const port = Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return refuse(`port ${url.port} is not allowed`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') return refuse('URL has no host');

  let resolved: { address: string }[];
  const literal = isIP(host) !== 0;
  if (literal) {
    resolved = [{ address: host }];
  } else {
    try {
      resolved = await (opts.lookup ?? defaultLookup)(host);
    } catch (err) {
      return { ok: false, reason: `could not resolve ${host}: ${errorCode(err)}`, retryable: true };
    }
    if (resolved.length === 0) {
      return { ok: false, reason: `could not resolve ${host}: no addresses`, retryable: true };
    }
  }

  const classified: Classified[] = [];
  for (const { address } of resolved) {
    const c = classify(address);
    if ('invalid' in c) return refuse(`${host} resolved to an invalid address "${c.invalid}"`);
    classified.push(c);
  }
  if (!opts.allowPrivate) {
    const bad = classified.find((c) => c.range !== null);
    if (bad) {
      return refuse(literal ? `address ${bad.display} (${bad.range}) is not allowed` : `${host} resolves to ${bad.display} (${bad.range}), which is not allowed`);
    }
  }
  const first = classified[0];
  if (!first) return { ok: false, reason: `could not resolve ${host}: no addresses`, retryable: true };
  return { ok: true, url, address: first.address, family: first.family };
}
