import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>` (one or more v1 entries). */
export const SIGNATURE_HEADER = 'Mehrdesk-Signature';
/** Header carrying the unique delivery id (receivers use it to de-duplicate retries). */
export const DELIVERY_HEADER = 'Mehrdesk-Delivery';
/** Header carrying the event name, e.g. `ticket.created`. */
export const EVENT_HEADER = 'Mehrdesk-Event';

/** Default accepted clock skew / replay window, in seconds. */
export const DEFAULT_TOLERANCE_SEC = 300;

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** Hex HMAC-SHA256 of `${timestampSec}.${body}` keyed with `secret`. */
export function computeSignature(secret: string, body: string, timestampSec: number): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest('hex');
}

/** The value of the {@link SIGNATURE_HEADER}: `t=<ts>,v1=<hex>`. */
export function signPayload(secret: string, body: string, timestampSec: number): string {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new RangeError(`timestampSec must be a non-negative integer, got ${timestampSec}`);
  }
  return `t=${timestampSec},v1=${computeSignature(secret, body, timestampSec)}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'mismatch' };

export interface VerifyOptions {
  /** The verifier's current time in unix seconds. */
  nowSec: number;
  /** Maximum allowed |now - t| in seconds (default 300). */
  toleranceSec?: number;
}

interface ParsedHeader {
  timestampSec: number;
  signatures: string[];
}

function parseHeader(header: string): ParsedHeader | null {
  let timestampSec: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestampSec !== null || !/^\d{1,15}$/.test(value)) return null;
      timestampSec = Number(value);
    } else if (key === 'v1') {
      signatures.push(value);
    }
    // Unknown schemes (v0, v2, ...) are ignored so the format can evolve.
  }
  if (timestampSec === null || signatures.length === 0) return null;
  return { timestampSec, signatures };
}

/**
 * Verify a {@link SIGNATURE_HEADER} value against the exact raw body.
 *
 * `secret` may be a list (the receiver accepts several secrets while rotating); the header
 * may carry several `v1` entries (the sender signs with old and new secrets while rotating).
 * Any (secret, v1) match is accepted. Comparison is constant-time. A genuine signature whose
 * timestamp is outside the tolerance (either direction) is reported as `expired`, which is
 * what makes captured requests unreplayable later.
 */
export function verifySignature(secret: string | readonly string[], header: string | null | undefined, body: string, { nowSec, toleranceSec = DEFAULT_TOLERANCE_SEC }: VerifyOptions): VerifyResult {
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' };
  const parsed = parseHeader(header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const secrets = typeof secret === 'string' ? [secret] : secret;

  let matched = false;
  for (const s of secrets) {
    const expected = Buffer.from(computeSignature(s, body, parsed.timestampSec), 'hex');
    for (const candidate of parsed.signatures) {
      if (!HEX_SHA256.test(candidate)) continue;
      const given = Buffer.from(candidate, 'hex');
      // Do not short-circuit: every comparison runs, each in constant time.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  if (Math.abs(nowSec - parsed.timestampSec) > toleranceSec) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/** A new random signing secret: `whsec_` + 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
