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
 * Classify one address. `range` is null for public unicast; otherwise the ipaddr.js range
 * name (IPv4-mapped IPv6 addresses are judged by the IPv4 address they embed and connected
 * to as that IPv4 address).
 */
function classify(address: string): Classified | { invalid: string } {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return { invalid: address };
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      const v4 = v6.toIPv4Address();
      const range = v4.range();
      return {
        address: v4.toString(),
        family: 4,
        display: `::ffff:${v4.toString()}`,
        range: range === 'unicast' ? null : `IPv4-mapped ${range}`,
      };
    }
    const range = v6.range();
    return { address: v6.toString(), family: 6, display: v6.toString(), range: range === 'unicast' ? null : range };
  }
  const range = (parsed as ipaddr.IPv4).range();
  return { address: parsed.toString(), family: 4, display: parsed.toString(), range: range === 'unicast' ? null : range };
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
      return refuse(
        literal
          ? `address ${bad.display} (${bad.range}) is not allowed`
          : `${host} resolves to ${bad.display} (${bad.range}), which is not allowed`,
      );
    }
  }
  const first = classified[0];
  if (!first) return { ok: false, reason: `could not resolve ${host}: no addresses`, retryable: true };
  return { ok: true, url, address: first.address, family: first.family };
}
