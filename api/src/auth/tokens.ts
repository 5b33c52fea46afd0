import { createHash, randomBytes } from 'node:crypto';

// Opaque bearer tokens: 256 random bits shown once, stored only as a SHA-256 hash, so a leaked
// database does not leak usable sessions and logout/deactivation revokes them immediately.
export function newToken(): { token: string; hash: string } {
  const token = `mdk_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

/** The token of an `Authorization: Bearer <token>` header, or null when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// API keys look like `mdka_<prefix>_<secret>`: the prefix (shown in lists, so an admin can tell
// keys apart) is not secret; the whole key is shown once and stored only as its SHA-256 hash.
const API_KEY_PREFIX = 'mdka_';

export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('base64url');
  const key = `${API_KEY_PREFIX}${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: `${API_KEY_PREFIX}${prefix}`, hash: hashToken(key) };
}

export const isApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);
