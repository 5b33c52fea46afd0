import type { Request, Response, Router } from 'express';
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Action } from '@mehrdesk/core/domain';
import { can, scopesAllow } from '@mehrdesk/core/domain';
import { badRequest, forbidden, unauthorized, zodFields } from './errors';
import { refuseUnstorableText } from './storable';
import type { AuthUser } from '../auth/authenticate';

// One declaration per endpoint: the zod schemas validate the request, type the handler, and
// register the OpenAPI path, so documentation cannot drift from behaviour.

type AnyObject = z.ZodType<Record<string, unknown>>;

export interface RouteCtx<B, Q, P> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: P;
  user: AuthUser;
  em: EntityManager;
  requestId: string;
}

export interface RouteSpec<B extends AnyObject, Q extends AnyObject, P extends AnyObject, R> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  summary: string;
  tags: string[];
  /** Omit for public endpoints; otherwise the permission the caller's role needs. */
  action: Action | null;
  /**
   * With `action: null`: a bearer token is still required (401 without one), but the handler
   * decides which kinds it accepts (sessions finishing their sign-in, which have no user yet).
   */
  bearer?: true;
  body?: B;
  /** A multipart/form-data request body, for OpenAPI only: the handler parses it (e.g. with multer). */
  upload?: AnyObject;
  query?: Q;
  params?: P;
  headers?: AnyObject;
  status?: number;
  /** Further success statuses the operation may answer with (e.g. 200 for an idempotent replay). */
  alsoStatus?: Record<number, string>;
  response?: z.ZodType<R>;
  errors?: number[];
  handler: (ctx: RouteCtx<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<R>;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request; `error.fields` names each bad field',
  401: 'Missing or invalid token',
  403: 'Not allowed for this role or ticket',
  404: 'Not found',
  409: 'Conflict (stale version or illegal status change)',
  413: 'Request body larger than 1 MB',
  415: 'Unsupported media type',
  422: 'Semantically invalid',
  429: 'Too many requests; `Retry-After` says after how many seconds to try again',
  503: 'A backing service is unavailable',
};

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string(), pointer: z.string().optional() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

function parse<T extends AnyObject>(schema: T | undefined, value: unknown, location: string): z.infer<T> {
  if (!schema) return {} as z.infer<T>;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw badRequest(`Invalid ${location}`, zodFields(r.error, location));
  return r.data;
}

export function defineRoute<B extends AnyObject, Q extends AnyObject, P extends AnyObject, R>(router: Router, registry: OpenAPIRegistry, spec: RouteSpec<B, Q, P, R>): void {
  const status = spec.status ?? 200;
  const secured = spec.action !== null || spec.bearer === true;
  const errorCodes = [...new Set([400, ...(secured ? [401, 403] : []), ...(spec.body || spec.upload ? [413] : []), ...(spec.upload ? [415] : []), ...(spec.errors ?? [])])];
  const config: RouteConfig = {
    method: spec.method,
    path: `/api/v1${spec.path.replace(/:(\w+)/g, '{$1}')}`,
    summary: spec.summary,
    tags: spec.tags,
    security: secured ? [{ bearerAuth: [] }] : [],
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.headers ? { headers: spec.headers as never } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
      ...(spec.upload ? { body: { content: { 'multipart/form-data': { schema: spec.upload } }, required: true } } : {}),
    },
    responses: {
      [status]: spec.response ? { description: 'OK', content: { 'application/json': { schema: spec.response } } } : { description: 'No content' },
      ...Object.fromEntries(
        Object.entries(spec.alsoStatus ?? {}).map(([code, description]) => [code, spec.response ? { description, content: { 'application/json': { schema: spec.response } } } : { description }]),
      ),
      ...Object.fromEntries(errorCodes.map((c) => [c, { description: ERROR_DESCRIPTIONS[c] ?? 'Error', content: { 'application/json': { schema: ErrorBody } } }])),
    },
  };
  registry.registerPath(config);

  router[spec.method](spec.path, async (req, res) => {
    // Metrics label: the declared pattern, known before any error can unwind the router.
    res.locals.routePattern = `/api/v1${spec.path}`;
    const user = req.user;
    if (spec.bearer && !user && !req.pendingSession) throw unauthorized();
    if (spec.action) {
      if (!user) throw unauthorized();
      if (!can(user.role, spec.action)) throw forbidden(`Role ${user.role} may not ${spec.action}`);
      if (user.apiKeyId !== undefined && !scopesAllow(user.apiKeyScopes ?? [], spec.action)) throw forbidden(`This API key's scopes do not allow ${spec.action}`);
    }
    // Query and body were checked for unstorable text in app.ts (every route); params only exist now.
    refuseUnstorableText(req.params, 'params');
    const params = parse(spec.params, req.params, 'params');
    const query = parse(spec.query, req.query, 'query');
    if (spec.body && (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)))
      throw badRequest('Request body must be a JSON object', [{ path: 'body', message: 'Expected a JSON object' }]);
    const body = parse(spec.body, req.body, 'body');
    const result = await spec.handler({ req, res, body, query, params, user: user!, em: req.em, requestId: String(req.id) });
    if (res.headersSent) return;
    if (result === undefined) res.status(status === 200 ? 204 : status).end();
    else res.status(status).json(result);
  });
}
