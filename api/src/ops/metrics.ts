import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Prometheus metrics. The route label is the Express route pattern (not the raw URL) so
// cardinality stays bounded whatever ids clients send.
export function createMetrics() {
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
