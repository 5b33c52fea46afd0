import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

// Two-factor sign-in codes (RFC 6238 TOTP, via otpauth): 30-second steps, 6 digits, SHA-1 (what
// every authenticator app reads from the QR code). A code is accepted one step early or late
// (clock drift), and each step only once: the caller stores the step it matched.
// Secrets are stored encrypted (AES-256-GCM) under a key derived from MFA_SECRET_KEY, so a copy
// of the database alone cannot mint codes.

const PERIOD = 30;
const DIGITS = 6;
const ENCRYPTION_INFO = 'mehrdesk totp secret v1';

const totp = (base32: string, label = 'account', issuer = 'Mehrdesk') => new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(base32) });

/** A new 160-bit secret, base32 (as authenticator apps take it by hand). */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

/** The `otpauth://` URI a QR code carries. */
export const otpauthUri = (base32: string, account: string, issuer: string): string => totp(base32, account, issuer).toString();

/**
 * The time step `code` is valid for (now, or one step either side), or null. `lastStep` is the
 * step of the last code accepted: that one and earlier ones are refused (no replay).
 */
export function acceptedStep(base32: string, code: string, lastStep: number | null, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(base32).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return null;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** The code for `now` (tests, and nothing else, need to compute one). */
export const codeAt = (base32: string, now: number): string => totp(base32).generate({ timestamp: now });

const encryptionKey = (secret: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), ENCRYPTION_INFO, 32));

export function encryptTotpSecret(key: string, base32: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(key), iv);
  const body = Buffer.concat([cipher.update(base32, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** The secret, or null when it was encrypted under another key (MFA_SECRET_KEY changed) or is damaged. */
export function decryptTotpSecret(key: string, stored: string): string | null {
  const [version, iv, tag, body] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || !body) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(key), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

// Recovery codes: 10 single-use codes of 10 base32 characters (50 bits), shown once, stored as an
// HMAC under MFA_SECRET_KEY. Typed with or without the dash, in any case.
const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = [...randomBytes(10)].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** The normalised form of a typed recovery code, or null when it cannot be one. */
export function normaliseRecoveryCode(typed: string): string | null {
  const bare = typed.toLowerCase().replace(/[\s-]/g, '');
  return /^[a-z0-9]{10}$/.test(bare) ? bare : null;
}

export const hashRecoveryCode = (key: string, code: string): string =>
  createHmac('sha256', key)
    .update(`recovery:${normaliseRecoveryCode(code) ?? ''}`)
    .digest('hex');
