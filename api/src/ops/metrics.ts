import type { RequestHandler } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Prometheus metrics. The route label is the Express route pattern (not the raw URL) so
// cardinality stays bounded whatever ids clients send.
export function createMetrics(orm: MikroORM) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mehrdesk_api_' });
  const httpDuration = new Histogram({
    name: 'mehrdesk_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const ticketsCreated = new Counter({ name: 'mehrdesk_tickets_created_total', help: 'Tickets created through the API', registers: [registry] });
  // Workers record activities they gave up on in activity_failures (one row each, never
  // deleted), so every API replica reports the same cluster-wide count: alert on its increase.
  new Counter({
    name: 'mehrdesk_activity_failures_total',
    help: 'Ticket activities that failed in a way retrying cannot fix (recorded on the ticket timeline)',
    labelNames: ['activity', 'error_type'] as const,
    registers: [registry],
    async collect() {
      let rows: { activity: string; error_type: string; n: number }[];
      try {
        rows = await orm.em.fork().execute('select activity, error_type, count(*)::int as n from activity_failures group by activity, error_type');
      } catch {
        return; // database unreachable: /readyz says so; keep the last known counts
      }
      this.reset();
      for (const r of rows) this.inc({ activity: r.activity, error_type: r.error_type }, r.n);
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      const route: string = res.locals.routePattern ?? (req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched');
      end({ method: req.method, route, status: String(res.statusCode) });
      if (route === '/api/v1/tickets' && req.method === 'POST' && res.statusCode === 201) ticketsCreated.inc();
    });
    next();
  };
  return { registry, middleware };
}
