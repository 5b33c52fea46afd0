import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import './http/express-augment';
import type { AppDeps } from './deps';
import { ConfigCache } from '@mehrdesk/core/services/config-cache';
import { StartedMarks } from '@mehrdesk/usecases/tickets/started-marks';
import { AdmissionGate } from '@mehrdesk/usecases/tickets/admission';
import { authenticate } from './auth/authenticate';
import { authRoutes } from './auth/routes';
import { mfaRoutes } from './auth/mfa-routes';
import { sessionRoutes } from './auth/sessions-routes';
import { apiKeyRoutes } from './auth/api-keys-routes';
import { callerRateLimit } from './auth/caller-limit';
import { createLoginThrottle } from './auth/login-throttle';
import { securitySettingsRoutes } from './admin/security-settings-routes';
import { metricsAccess } from './ops/metrics-access';
import { profileRoutes } from './auth/profile';
import { ticketRoutes } from './tickets/routes';
import { heldMailRoutes } from './tickets/held-mail';
import { slaAdminRoutes } from './admin/sla-routes';
import { ruleRoutes } from './rules/routes';
import { ruleCatalogueRoutes } from './rules/catalogue-routes';
import { groupRoutes } from './admin/groups-routes';
import { userRoutes } from './admin/users-routes';
import { categoryRoutes } from './admin/categories-routes';
import { tagRoutes } from './admin/tags-routes';
import { settingsRoutes } from './admin/settings-routes';
import { webhookRoutes } from './webhooks/routes';
import { emailTemplateRoutes } from './admin/email-template-routes';
import { notificationRoutes } from './notifications/routes';
import { attachmentRoutes } from './attachments/routes';
import { uploadRoutes } from './uploads/routes';
import { inboundRoutes } from './inbound/routes';
import { liveRoutes } from './live';
import { bulkRoutes } from './tickets/bulk';
import { macroRoutes } from './macros/routes';
import { queueBoard } from './ops/queues';
import { errorHandler, notFound } from './http/errors';
import { storableTextOnly } from './http/storable';
import { healthRoutes } from './ops/health';
import { createMetrics } from './ops/metrics';
import { createRegistry, openApiDocument } from './ops/openapi';
import { consoleRoutes } from './ops/console';
import { portalSsrRoutes } from './portal/ssr';
import { failureRoutes } from './ops/failures-routes';
import { redactRequest } from './http/redact';
import { createRateLimits } from './http/rate-limit';
import { kbRoutes } from './kb';
import { searchRoutes } from './search/routes';
import { surveyRoutes } from './surveys/routes';
import { surveyAdminRoutes } from './surveys/admin-routes';
import { deflectionRoutes } from './portal/deflections-routes';
import { portalInsightsRoutes } from './admin/portal-insights-routes';
import { portalAccountRoutes } from './portal/accounts-routes';
import { portalCategoryRoutes } from './portal/categories-routes';
import { portalSettingsRoutes } from './admin/portal-settings-routes';
import { userInviteRoutes } from './admin/user-invite-routes';
import { customerStatusRoutes } from './tickets/customer-status-routes';
import { auditRoutes } from './audit/routes';

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Build the Express app; main.ts listens, tests use it directly. */
export function buildApp(given: AppDeps): Express {
  // Caches for the ticket path, kept current by the live-events LISTEN connection (liveRoutes).
  const deps: AppDeps = {
    ...given,
    configCache: given.configCache ?? new ConfigCache(),
    startedMarks: given.startedMarks ?? new StartedMarks(given.orm, given.log),
    admission:
      given.admission ??
      new AdmissionGate(
        given.temporal,
        given.config.TEMPORAL_TASK_QUEUE,
        { maxBacklog: given.config.ADMISSION_MAX_WORKFLOW_BACKLOG, maxBacklogSeconds: given.config.ADMISSION_MAX_BACKLOG_SECONDS, checkMs: given.config.ADMISSION_CHECK_MS },
        given.log,
      ),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const metrics = createMetrics(deps.orm);
  const registry = createRegistry();

  app.use(helmet());
  app.use(
    pinoHttp({
      logger: deps.log,
      // Honour a caller's X-Request-Id (so traces join across systems) when it is sane.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
      // Credentials never reach a log: bearer tokens and cookies in headers, and the signed
      // attachment links' `token` in the query string.
      serializers: { req: redactRequest },
    }),
  );
  app.use(metrics.middleware);
  app.use(healthRoutes(deps));
  app.get('/metrics', metricsAccess(deps.config), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use(express.json({ limit: '1mb', strict: true }));
  app.use(storableTextOnly);
  // One EntityManager fork per request: no identity map shared between requests.
  app.use((req, _res, next) => {
    req.em = deps.orm.em.fork();
    next();
  });
  const board = queueBoard(deps);
  app.use('/admin/queues', board.router);
  const live = liveRoutes(deps, registry);
  const limits = createRateLimits(deps);
  const search = searchRoutes(deps, registry);
  // Live streams end first, so the server can close; then the Redis connections (queue board, rate limits).
  app.locals.close = async () => {
    await deps.startedMarks!.flush();
    await live.close();
    await board.close();
    await limits.close();
    await search.close();
  };
  app.use('/api/v1', authenticate);
  app.use('/api/v1', callerRateLimit(deps.config, limits));
  const throttle = createLoginThrottle(deps.config, limits);
  // An admin's change reaches this process's cache before the answer does (other processes hear
  // it over LISTEN a moment later): the next request, even the admin's own, reads it fresh.
  app.use('/api/v1', (req, res, next) => {
    if (req.method !== 'GET' && req.user?.role === 'admin') res.on('finish', () => deps.configCache!.invalidate());
    next();
  });
  app.use('/api/v1', authRoutes(deps, registry, throttle));
  app.use('/api/v1', mfaRoutes(deps, registry, throttle));
  app.use('/api/v1', sessionRoutes(deps, registry));
  app.use('/api/v1', apiKeyRoutes(deps, registry));
  app.use('/api/v1', securitySettingsRoutes(deps, registry));
  app.use('/api/v1', profileRoutes(deps, registry));
  app.use('/api/v1', portalAccountRoutes(deps, registry, limits));
  app.use('/api/v1', portalCategoryRoutes(deps, registry));
  app.use('/api/v1', portalSettingsRoutes(deps, registry));
  app.use('/api/v1', ticketRoutes(deps, registry));
  app.use('/api/v1', customerStatusRoutes(deps, registry));
  app.use('/api/v1', heldMailRoutes(deps, registry));
  app.use('/api/v1', bulkRoutes(deps, registry));
  app.use('/api/v1', macroRoutes(deps, registry));
  app.use('/api/v1', live.router);
  app.use('/api/v1', slaAdminRoutes(deps, registry));
  app.use('/api/v1', ruleCatalogueRoutes(deps, registry)); // before ruleRoutes: '/rules/:id'
  app.use('/api/v1', ruleRoutes(deps, registry));
  app.use('/api/v1', webhookRoutes(deps, registry));
  app.use('/api/v1', emailTemplateRoutes(deps, registry));
  app.use('/api/v1', notificationRoutes(deps, registry));
  app.use('/api/v1', attachmentRoutes(deps, registry));
  app.use('/api/v1', uploadRoutes(deps, registry, limits));
  app.use('/api/v1', inboundRoutes(deps, registry));
  app.use('/api/v1', groupRoutes(deps, registry));
  app.use('/api/v1', userRoutes(deps, registry));
  app.use('/api/v1', userInviteRoutes(deps, registry));
  app.use('/api/v1', categoryRoutes(deps, registry));
  app.use('/api/v1', tagRoutes(deps, registry));
  app.use('/api/v1', settingsRoutes(deps, registry));
  app.use('/api/v1', failureRoutes(deps, registry));
  app.use('/api/v1', kbRoutes(deps, registry, limits));
  app.use('/api/v1', search.router);
  app.use('/api/v1', surveyRoutes(deps, registry, limits));
  app.use('/api/v1', surveyAdminRoutes(deps, registry));
  app.use('/api/v1', deflectionRoutes(deps, registry, limits));
  app.use('/api/v1', portalInsightsRoutes(deps, registry));
  app.use('/api/v1', auditRoutes(deps, registry));

  const doc = openApiDocument(registry, deps.config.PUBLIC_URL);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(doc);
  });
  // Public knowledge-base articles rendered on the server (before the portal's plain page).
  app.use(portalSsrRoutes(deps));
  // The built console (web/dist), when there is one; other GETs outside /api get its index.html.
  app.use(consoleRoutes());
  app.use((req, _res, next) => next(notFound(`Route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
