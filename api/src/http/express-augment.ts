import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthUser, PendingSession } from '../auth/authenticate';

// Per-request state added by our middleware (pino-http adds `id` and `log`).
declare global {
  namespace Express {
    interface Request {
      user?: AuthUser;
      /** A session still finishing its sign-in (second factor or enrolment due): not a user yet. */
      pendingSession?: PendingSession;
      em: EntityManager;
    }
  }
}
export {};
