import { createHash, randomBytes } from 'node:crypto';

// Opaque bearer tokens: 256 random bits shown once, stored only as a SHA-256 hash, so a leaked
// database does not leak usable sessions and logout/deactivation revokes them immediately.
export function newToken(): { token: string; hash: string } {
  const token = `mdk_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
