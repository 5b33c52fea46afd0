import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthUser } from '../auth/authenticate';

// Per-request state added by our middleware (pino-http adds `id` and `log`).
declare global {
  namespace Express {
    interface Request {
      user?: AuthUser;
      em: EntityManager;
    }
  }
}
export {};
