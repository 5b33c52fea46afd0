import { createHmac, timingSafeEqual } from 'node:crypto';

// Signed download links. The console cannot put its bearer token on a link, and fetching the
// file itself to show it as a blob: URL would run an HTML or SVG attachment in the console's own
// origin, without the server's sandbox headers. So the console asks for a link instead: a token
// that lets one user fetch one attachment for a minute, checked here without any storage.

/** How long a link works: long enough to open it, short enough that a leaked one is useless. */
export const LINK_TTL_SECONDS = 60;

/** `<userId>.<expires, unix seconds>.<HMAC-SHA256, base64url>`. */
export const LINK_TOKEN = /^([1-9]\d{0,9})\.([1-9]\d{0,10})\.([\w-]{43})$/;

// The purpose is signed too, so a MAC made for anything else under the same secret never passes.
const mac = (secret: string, attachmentId: number, userId: number, expiresSec: number) =>
  createHmac('sha256', secret).update(`mehrdesk/attachment-download/v1\n${attachmentId}\n${userId}\n${expiresSec}`).digest('base64url');

export function signAttachmentLink(secret: string, attachmentId: number, userId: number, expiresSec: number): string {
  return `${userId}.${expiresSec}.${mac(secret, attachmentId, userId, expiresSec)}`;
}

export type LinkCheck = { ok: true; userId: number } | { ok: false; reason: 'invalid' | 'expired' };

/** Whether `token` lets its user fetch `attachmentId` at `nowSec`. Never throws. */
export function checkAttachmentLink(secret: string, attachmentId: number, token: string, nowSec: number): LinkCheck {
  const m = LINK_TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  const userId = Number(m[1]);
  const expiresSec = Number(m[2]);
  // Compared as text: base64url leaves spare bits in the last character, so decoding would
  // accept several spellings of one MAC.
  const given = Buffer.from(m[3]!);
  const expected = Buffer.from(mac(secret, attachmentId, userId, expiresSec));
  // Authenticity first: an expired verdict must not tell a forger anything.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  if (nowSec >= expiresSec) return { ok: false, reason: 'expired' };
  return { ok: true, userId };
}
