import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * The client's address as recorded (sessions, audit log, the account-locked e-mail): `req.ip`,
 * which behind a trusted local proxy comes from X-Forwarded-For, so it is kept only when it is
 * an IP address and never as whatever text a header carried.
 */
export function clientAddress(req: Request): string | null {
  const ip = req.ip ?? req.socket.remoteAddress ?? '';
  return isIP(ip) ? ip : null;
}
