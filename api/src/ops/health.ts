import { Router } from 'express';
import type { AppDeps } from '../deps';

// Liveness says the process serves HTTP; readiness says it can do useful work, i.e. reach
// PostgreSQL and Temporal. Load balancers should route on /readyz only.
export function healthRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const check = async (fn: () => Promise<unknown>) => {
      const started = performance.now();
      try {
        await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout after 2s')), 2000))]);
        return { ok: true, ms: Math.round(performance.now() - started) };
      } catch (err) {
        return { ok: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
      }
    };
    const [postgres, temporal, search] = await Promise.all([
      check(() => deps.orm.em.fork().execute('select 1')),
      check(() => deps.temporal.workflowService.getSystemInfo({})),
      check(() => deps.search.stats()),
    ]);
    // Search being down degrades search only: it is reported (with the backend in use), not gating.
    const ready = postgres.ok && temporal.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal, search: { backend: deps.search.name, ...search } } });
  });
  return r;
}
