import { Router, type RequestHandler } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { inboundQueue } from '@mehrdesk/core/queues/inbound-queue';
import { searchQueues } from '@mehrdesk/core/queues/search-queues';
import type { AppDeps } from '../deps';
import { authenticate } from '../auth/authenticate';
import { forbidden, unauthorized } from '../http/errors';

// bull-board for admins at /admin/queues (X7): inspect queues, failed jobs, retry them.
// A browser cannot send a bearer header, so `?token=` is exchanged once for an HttpOnly cookie
// limited to this path; the Redis connection is opened only when the board is first used.

const BASE = '/admin/queues';
const COOKIE = 'mdk_admin_token';

const tokenFromCookie: RequestHandler = (req, _res, next) => {
  if (!req.headers.authorization) {
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${COOKIE}=`));
    if (cookie) req.headers.authorization = `Bearer ${decodeURIComponent(cookie.slice(COOKIE.length + 1))}`;
  }
  next();
};

const adminsOnly: RequestHandler = (req, _res, next) => {
  if (!req.user) throw unauthorized('Log in as an admin: open /admin/queues?token=<your token>');
  if (req.user.role !== 'admin' || req.user.apiKeyId !== undefined) throw forbidden('Queues are for admins, signed in');
  next();
};

export function queueBoard(deps: AppDeps): { router: Router; close(): Promise<void> } {
  const router = Router();
  let board: { router: ReturnType<ExpressAdapter['getRouter']>; close(): Promise<void> } | null = null;
  router.use((req, res, next) => {
    // Exchange ?token= for the cookie, then drop it from the address bar.
    const token = typeof req.query.token === 'string' ? req.query.token : null;
    if (token && req.method === 'GET') {
      res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(token)}; Path=${BASE}; HttpOnly; SameSite=Strict`);
      res.redirect(303, BASE);
      return;
    }
    next();
  });
  router.use(tokenFromCookie, authenticate, adminsOnly, (req, res, next) => {
    // bull-board's UI uses inline scripts/styles that the API-wide CSP would block.
    res.removeHeader('Content-Security-Policy');
    if (!board) {
      const inbound = inboundQueue(deps.config.REDIS_URL);
      const search = searchQueues(deps.config.REDIS_URL);
      for (const q of [inbound.queue, search.index, search.rebuild]) q.on('error', (err) => deps.log.warn({ err }, 'queue connection error'));
      const adapter = new ExpressAdapter();
      adapter.setBasePath(BASE);
      createBullBoard({ queues: [inbound.queue, search.index, search.rebuild].map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
      board = { router: adapter.getRouter(), close: async () => void (await Promise.all([inbound.close(), search.close()])) };
    }
    board.router(req, res, next);
  });
  return { router, close: async () => void (await board?.close()) };
}
