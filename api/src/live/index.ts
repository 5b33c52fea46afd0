import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { AppDeps } from '../deps';
import { liveEventsRoute } from './events-route';
import { createLiveHub, type LiveHub } from './hub';
import { createLiveListener } from './listener';
import { presenceRoutes, sweepExpiredPresence } from './presence';

const SWEEP_MS = 60_000;

/** Live events (SSE) and presence; `close` ends every stream and the LISTEN connection. */
export function liveRoutes(deps: AppDeps, registry: OpenAPIRegistry): { router: Router; hub: LiveHub; close(): Promise<void> } {
  const listener = createLiveListener(deps.orm, deps.log, deps.configCache);
  const hub = createLiveHub(listener, deps.orm, deps.log, deps.config.LIVE_HEARTBEAT_SECONDS * 1000);
  // Connect now, not at the first stream: the configuration cache is off until it listens.
  if (deps.configCache) listener.ready(60_000).catch(() => {});
  const router = Router();
  router.use(liveEventsRoute(hub, registry, deps.config.LIVE_HEARTBEAT_SECONDS, deps.config.LIVE_MAX_STREAMS_PER_USER));
  router.use(presenceRoutes(deps, registry));
  const sweeper = setInterval(() => {
    sweepExpiredPresence(deps.orm.em.fork()).catch((err: unknown) => deps.log.debug({ err }, 'presence sweep failed'));
  }, SWEEP_MS);
  sweeper.unref();
  return {
    router,
    hub,
    async close() {
      clearInterval(sweeper);
      await hub.close();
    },
  };
}
