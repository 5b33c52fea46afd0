import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

// Links customers follow from e-mail: verify the address, reset a password, sign in from a
// ticket mail (magic link), rate a resolution (survey). A token is `<payload>.<mac>`: the payload
// (base64url JSON) names its purpose, user, expiry and a random nonce, and the HMAC covers all
// of it, so a link cannot be stretched to another user, ticket, purpose or time. The token
// itself is stateless; single use is enforced by whoever consumes it (`signed_link_uses`, or
// state the use changes such as the password hash) — see `consumeLinkNonce`.

export const LINK_PURPOSES = ['verify', 'reset', 'magic', 'survey'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/** Upper bound on a token's length; anything longer is refused before any parsing. */
export const MAX_LINK_TOKEN_LENGTH = 600;

const Payload = z
  .object({
    p: z.enum(LINK_PURPOSES),
    u: z
      .number()
      .int()
      .positive()
      .max(2 ** 31 - 1),
    /** Ticket the link is bound to (magic, survey). */
    t: z
      .number()
      .int()
      .positive()
      .max(2 ** 31 - 1)
      .optional(),
    /** Extra binding, e.g. the resolution a survey asks about, or the password hash's fingerprint for a reset. */
    b: z.string().max(100).optional(),
    x: z
      .number()
      .int()
      .positive()
      .max(2 ** 40),
    n: z.string().regex(/^[\w-]{16,32}$/),
  })
  .strict();
export type LinkPayload = z.infer<typeof Payload>;

export interface LinkClaims {
  purpose: LinkPurpose;
  userId: number;
  ticketId?: number;
  binding?: string;
  /** Unix seconds. */
  expiresAt: number;
  nonce: string;
}

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`mehrdesk/portal-link/v1\n${payload}`).digest('base64url');

export function signLink(secret: string, claims: Omit<LinkClaims, 'nonce'> & { nonce?: string }): string {
  const body: LinkPayload = { p: claims.purpose, u: claims.userId, x: claims.expiresAt, n: claims.nonce ?? randomBytes(16).toString('base64url') };
  if (claims.ticketId !== undefined) body.t = claims.ticketId;
  if (claims.binding !== undefined) body.b = claims.binding;
  const payload = Buffer.from(JSON.stringify(Payload.parse(body))).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** Whether `token` is a genuine, unexpired link made for `purpose`. Never throws. */
export function checkLink(secret: string, purpose: LinkPurpose, token: unknown, nowSec: number): LinkCheck {
  if (typeof token !== 'string' || token.length > MAX_LINK_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
  const m = /^([\w-]{1,540})\.([\w-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  // Compared as text: base64url leaves spare bits in the last character.
  const given = Buffer.from(m[2]!);
  const expected = Buffer.from(mac(secret, m[1]!));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  let parsed: LinkPayload;
  try {
    const r = Payload.safeParse(JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')));
    if (!r.success) return { ok: false, reason: 'invalid' };
    parsed = r.data;
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (parsed.p !== purpose) return { ok: false, reason: 'invalid' };
  if (nowSec >= parsed.x) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { purpose: parsed.p, userId: parsed.u, ticketId: parsed.t, binding: parsed.b, expiresAt: parsed.x, nonce: parsed.n } };
}

/** A fingerprint of a password hash to bind a reset link to: the link dies once the password changes. */
export function passwordBinding(passwordHash: string | null): string {
  return createHmac('sha256', 'mehrdesk/reset-binding')
    .update(passwordHash ?? '')
    .digest('base64url')
    .slice(0, 22);
}

/** Minimal database surface, so API and worker code can both call it. */
interface Executor {
  execute<T>(sql: string, params?: unknown[]): Promise<T>;
}

/**
 * Marks a link's nonce used; false when it was used before (a replay). Call it in the same
 * transaction as the effect the link has, so a failed effect does not burn the link.
 */
export async function consumeLinkNonce(em: Executor, claims: LinkClaims): Promise<boolean> {
  const rows = await em.execute<{ nonce: string }[]>(
    `insert into signed_link_uses (nonce, purpose, user_id, used_at, expires_at) values (?, ?, ?, now(), to_timestamp(?))
       on conflict (nonce) do nothing returning nonce`,
    [claims.nonce, claims.purpose, claims.userId, claims.expiresAt],
  );
  return rows.length === 1;
}

/** The portal page each kind of link opens; the page posts the token to the API. */
export const LINK_PAGES: Record<LinkPurpose, string> = {
  verify: '/portal/verify',
  reset: '/portal/reset',
  magic: '/portal/magic',
  survey: '/portal/survey',
};

/** The absolute address of a link, e.g. `https://help.example.com/portal/magic?token=…`. */
export function linkUrl(publicUrl: string, purpose: LinkPurpose, token: string, extra: Record<string, string> = {}): string {
  const url = new URL(LINK_PAGES[purpose], publicUrl);
  url.searchParams.set('token', token);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.toString();
}

/** A customer's magic sign-in link to one ticket, as every e-mail to a customer carries. */
export function magicLinkUrl(config: { PUBLIC_URL: string; PORTAL_LINK_SECRET: string; PORTAL_MAGIC_LINK_HOURS: number }, userId: number, ticketId: number, nowSec: number): string {
  const token = signLink(config.PORTAL_LINK_SECRET, { purpose: 'magic', userId, ticketId, expiresAt: nowSec + Math.round(config.PORTAL_MAGIC_LINK_HOURS * 3600) });
  return linkUrl(config.PUBLIC_URL, 'magic', token);
}

/**
 * Forget what no link can need any more: used nonces past their link's expiry (an expired link
 * is refused before its nonce is looked at) and sign-ups whose link expired a day ago.
 */
export async function purgeExpiredLinkRecords(em: Executor): Promise<{ nonces: number; signups: number }> {
  const nonces = await em.execute<{ n: string }[]>(`with d as (delete from signed_link_uses where expires_at < now() returning 1) select count(*) as n from d`);
  const signups = await em.execute<{ n: string }[]>(`with d as (delete from portal_signups where expires_at < now() - interval '1 day' returning 1) select count(*) as n from d`);
  return { nonces: Number(nonces[0]?.n ?? 0), signups: Number(signups[0]?.n ?? 0) };
}
