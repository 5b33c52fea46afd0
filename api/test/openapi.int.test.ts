import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// The served OpenAPI document: valid 3.1 according to an independent validator, and it
// documents exactly the operations the auth and ticket routers serve, written out below.

let h: Harness;
let doc: any;

interface Op {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  /** Needs a bearer token. */
  auth: boolean;
  /** The success status. */
  ok: number;
  /** The request body's component schema, if the operation takes a body. */
  body?: string;
  /** The success response's component schema, if it has one. */
  response?: string;
  /** Its tag, when neither `auth` nor `tickets`. */
  tag?: string;
  /** Takes a multipart/form-data body (a file upload) instead of JSON. */
  multipart?: true;
}

// prettier-ignore
const EXPECTED: Op[] = [
  { method: 'post',  path: '/api/v1/auth/login',                auth: false, ok: 200, body: 'LoginRequest',          response: 'LoginResponse' },
  { method: 'post',  path: '/api/v1/auth/logout',               auth: true,  ok: 204 },
  { method: 'get',   path: '/api/v1/auth/me',                   auth: true,  ok: 200,                                response: 'User' },
  { method: 'patch', path: '/api/v1/auth/me',                   auth: true,  ok: 200, body: 'ProfileRequest',        response: 'User' },
  { method: 'post',  path: '/api/v1/auth/me/password',          auth: true,  ok: 204, body: 'PasswordChangeRequest' },
  { method: 'get',   path: '/api/v1/auth/mfa',                  auth: true,  ok: 200,                                response: 'MfaStatus' },
  { method: 'post',  path: '/api/v1/auth/mfa/setup',            auth: true,  ok: 200,                                response: 'MfaSetup' },
  { method: 'post',  path: '/api/v1/auth/mfa/enable',           auth: true,  ok: 200, body: 'MfaEnableRequest',      response: 'MfaRecoveryCodes' },
  { method: 'post',  path: '/api/v1/auth/mfa/verify',           auth: true,  ok: 200, body: 'MfaVerifyRequest',      response: 'LoginResponse' },
  { method: 'post',  path: '/api/v1/auth/mfa/disable',          auth: true,  ok: 204, body: 'MfaDisableRequest' },
  { method: 'post',  path: '/api/v1/auth/mfa/recovery-codes',   auth: true,  ok: 200, body: 'MfaRecoveryCodesRequest', response: 'MfaRecoveryCodes' },
  { method: 'get',   path: '/api/v1/auth/sessions',             auth: true,  ok: 200,                                response: 'SessionList' },
  { method: 'delete', path: '/api/v1/auth/sessions/{id}',       auth: true,  ok: 204 },
  { method: 'post',  path: '/api/v1/auth/sessions/end-others',  auth: true,  ok: 200,                                response: 'SessionsEnded' },
  { method: 'post',  path: '/api/v1/tickets',                   auth: true,  ok: 201, body: 'CreateTicketRequest',   response: 'Ticket' },
  { method: 'get',   path: '/api/v1/tickets',                   auth: true,  ok: 200,                                response: 'TicketList' },
  { method: 'get',   path: '/api/v1/tickets/{id}',              auth: true,  ok: 200,                                response: 'Ticket' },
  { method: 'patch', path: '/api/v1/tickets/{id}',              auth: true,  ok: 200, body: 'PatchTicketRequest',    response: 'Ticket' },
  { method: 'post',  path: '/api/v1/tickets/{id}/status',       auth: true,  ok: 200, body: 'ChangeStatusRequest',   response: 'Ticket' },
  { method: 'post',  path: '/api/v1/tickets/{id}/priority',     auth: true,  ok: 200, body: 'ChangePriorityRequest', response: 'Ticket' },
  { method: 'post',  path: '/api/v1/tickets/{id}/assignee',     auth: true,  ok: 200, body: 'ChangeAssigneeRequest', response: 'Ticket' },
  { method: 'post',  path: '/api/v1/tickets/{id}/solve',        auth: true,  ok: 200,                                response: 'Ticket' },
  { method: 'post',  path: '/api/v1/tickets/{id}/reopen',       auth: true,  ok: 200,                                response: 'Ticket' },
  { method: 'delete', path: '/api/v1/tickets/{id}',             auth: true,  ok: 204 },
  { method: 'post',  path: '/api/v1/tickets/{id}/messages',     auth: true,  ok: 201, body: 'AddMessageRequest',     response: 'Message' },
  { method: 'get',   path: '/api/v1/tickets/{id}/messages',     auth: true,  ok: 200 },
  { method: 'post',  path: '/api/v1/tickets/{id}/messages/{messageId}/publish', auth: true, ok: 200, body: 'PublishHeldMessageRequest', response: 'Message' },
  { method: 'post',  path: '/api/v1/tickets/{id}/messages/{messageId}/dismiss', auth: true, ok: 200,                    response: 'Message' },
  { method: 'get',   path: '/api/v1/tickets/{id}/timeline',     auth: true,  ok: 200 },
  { method: 'get',   path: '/api/v1/tickets/{id}/sla',          auth: true,  ok: 200,                                response: 'Sla' },
  { method: 'get',   path: '/api/v1/tickets/{id}/survey',       auth: true,  ok: 200,                                response: 'Survey' },
  { method: 'post',  path: '/api/v1/tickets/{id}/survey',       auth: true,  ok: 200, body: 'RateSurveyRequest',     response: 'Survey' },
  { method: 'post',  path: '/api/v1/tickets/bulk',              auth: true,  ok: 200, body: 'BulkTicketsRequest',    response: 'BulkTicketsResult' },
  { method: 'post',  path: '/api/v1/tickets/{id}/presence',     auth: true,  ok: 200, body: 'PresenceRequest',       response: 'PresenceList' },
  { method: 'get',   path: '/api/v1/tickets/{id}/presence',     auth: true,  ok: 200,                                response: 'PresenceList' },
  { method: 'post',  path: '/api/v1/tickets/{id}/macros/{macroId}/apply', auth: true, ok: 200, body: 'ApplyMacroRequest', response: 'ApplyMacroResult' },
  { method: 'post',  path: '/api/v1/uploads',                  auth: true,  ok: 201,                                response: 'Attachment',   tag: 'uploads', multipart: true },
  { method: 'get',   path: '/api/v1/uploads/limits',           auth: true,  ok: 200,                                response: 'UploadLimits', tag: 'uploads' },
  { method: 'post',  path: '/api/v1/portal/deflections',        auth: true,  ok: 201, body: 'DeflectionRequest',     response: 'Deflection',       tag: 'portal' },
  { method: 'get',   path: '/api/v1/admin/portal-insights',     auth: true,  ok: 200,                                response: 'PortalInsights',   tag: 'admin: portal insights' },
  { method: 'get',   path: '/api/v1/admin/deflections',         auth: true,  ok: 200,                                response: 'DeflectionList',   tag: 'admin: portal insights' },
  { method: 'get',   path: '/api/v1/admin/kb-feedback',         auth: true,  ok: 200,                                response: 'KbFeedbackList',   tag: 'admin: portal insights' },
];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ERROR_REF = '#/components/schemas/Error';
const opOf = (o: Op) => doc.paths[o.path]?.[o.method];
const label = (o: Op) => `${o.method.toUpperCase()} ${o.path}`;
const allOperations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => HTTP_METHODS.includes(k))
      .map((method) => ({ method, path, op: item[method] })),
  );

beforeAll(async () => {
  h = await startHarness({ worker: false });
  const r = await h.call(null, 'GET', '/api/openapi.json');
  expect(r.status).toBe(200);
  doc = r.body;
});
afterAll(() => h?.close());

describe('GET /api/openapi.json', () => {
  it('is served anonymously as JSON', async () => {
    const r = await h.call(null, 'GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(typeof r.body).toBe('object');
    expect(r.body).toMatchObject({ openapi: '3.1.0', info: { title: 'Mehrdesk API', version: expect.any(String) } });
    expect(r.body.servers).toEqual([{ url: h.config.PUBLIC_URL }]);
    // A bad token does not hide the documentation (it lives outside /api/v1).
    expect((await h.call('not-a-token', 'GET', '/api/openapi.json')).status).toBe(200);
  });

  it('is a valid OpenAPI 3.1 document according to @seriousme/openapi-schema-validator', async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    expect(res.errors ?? [], JSON.stringify(res.errors, null, 2)).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // Every $ref resolves.
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('the validator really validates: a broken copy is refused', async () => {
    const broken = structuredClone(doc);
    broken.paths['/api/v1/tickets'].get.responses = 'none';
    const res = await new Validator().validate(broken);
    expect(res.valid).toBe(false);
  });

  it('documents exactly the operations the auth and ticket routers serve', () => {
    // Other routers (e.g. admin) document their own operations; this file pins these two.
    const documented = allOperations()
      .filter(({ path }) => /^\/api\/v1\/(auth|tickets|uploads|portal\/deflections|admin\/(portal-insights|deflections|kb-feedback))(\/|$)/.test(path))
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    expect(documented).toEqual(EXPECTED.map(label).sort());
  });

  it('every documented operation (of any router) has 400, 401/403 when secured, and only Error-shaped error responses', () => {
    const ops = allOperations();
    expect(ops.length).toBeGreaterThanOrEqual(EXPECTED.length);
    for (const { method, path, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      const secured = Array.isArray(op.security) && op.security.some((s: Record<string, unknown>) => 'bearerAuth' in s);
      expect(op.security === undefined || Array.isArray(op.security), where).toBe(true);
      for (const code of secured ? ['400', '401', '403'] : ['400']) expect(Object.keys(op.responses), `${where} lacks ${code}`).toContain(code);
      for (const [code, resp] of Object.entries(op.responses as Record<string, any>))
        if (Number(code) >= 400) expect(resp.content?.['application/json']?.schema, `${where} ${code}`).toEqual({ $ref: ERROR_REF });
    }
  });

  it('declares the bearerAuth security scheme and the Error schema', () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const error = doc.components.schemas.Error;
    expect(error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            fields: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    });
  });
});

describe.each(EXPECTED)('$method $path', (o) => {
  it('has a summary, a tag and its success response', () => {
    const op = opOf(o);
    expect(op, label(o)).toBeDefined();
    expect(op.summary).toEqual(expect.stringMatching(/\S/));
    expect(op.tags).toEqual([o.tag ?? (o.path.startsWith('/api/v1/auth') ? 'auth' : 'tickets')]);
    expect(Object.keys(op.responses)).toContain(String(o.ok));
    const success = op.responses[String(o.ok)];
    if (o.ok === 204) expect(success.content).toBeUndefined();
    else expect(success.content['application/json'].schema).toBeDefined();
    if (o.response) expect(success.content['application/json'].schema).toEqual({ $ref: `#/components/schemas/${o.response}` });
  });

  it(`documents 400${o.auth ? ', 401 and 403' : ''} with the Error schema, and every other error response too`, () => {
    const op = opOf(o);
    const required = o.auth ? ['400', '401', '403'] : ['400'];
    for (const code of required) expect(Object.keys(op.responses), `${label(o)} lacks ${code}`).toContain(code);
    for (const [code, resp] of Object.entries(op.responses as Record<string, any>)) {
      if (Number(code) < 400) continue;
      expect(resp.description, `${label(o)} ${code}`).toEqual(expect.stringMatching(/\S/));
      expect(resp.content?.['application/json']?.schema, `${label(o)} ${code}`).toEqual({ $ref: ERROR_REF });
    }
  });

  it(o.auth ? 'requires bearerAuth' : 'is public (no security requirement)', () => {
    expect(opOf(o).security).toEqual(o.auth ? [{ bearerAuth: [] }] : []);
  });

  it('documents its path parameter and its request body', () => {
    const op = opOf(o);
    const pathParams = (op.parameters ?? []).filter((p: any) => p.in === 'path');
    const names = [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(pathParams).toEqual(names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string', pattern: '^[1-9]\\d{0,9}$' } })));
    if (o.body) expect(op.requestBody).toEqual({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${o.body}` } } } });
    else if (o.multipart) expect(Object.keys(op.requestBody.content)).toEqual(['multipart/form-data']);
    else expect(op.requestBody).toBeUndefined();
  });

  it('is really served at that method and path (anonymous call → 401, or 400 for login without a body)', async () => {
    const r = await h.call(null, o.method.toUpperCase(), o.path.replace(/\{\w+\}/g, '1'));
    if (o.auth) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'unauthorized', message: 'Authentication required' } });
    } else {
      expect(r.status).toBe(400);
      expect(r.body.error.fields).toEqual([{ path: 'body', message: 'Expected a JSON object' }]);
    }
  });
});

describe('documented parameters match behaviour', () => {
  it('GET /tickets documents every query parameter the list accepts', () => {
    const params = doc.paths['/api/v1/tickets'].get.parameters
      .filter((p: any) => p.in === 'query')
      .map((p: any) => p.name)
      .sort();
    expect(params).toEqual(['assigneeId', 'createdFrom', 'createdTo', 'cursor', 'groupId', 'ids', 'limit', 'priority', 'q', 'requesterId', 'slaState', 'sort', 'status', 'tag', 'updatedFrom'].sort());
    const limit = doc.paths['/api/v1/tickets'].get.parameters.find((p: any) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
  });

  it('POST /tickets and POST /tickets/{id}/messages document the Idempotency-Key header (1-200 chars)', () => {
    for (const [path, method] of [
      ['/api/v1/tickets', 'post'],
      ['/api/v1/tickets/{id}/messages', 'post'],
    ] as const) {
      const header = doc.paths[path][method].parameters.find((p: any) => p.in === 'header');
      expect(header, path).toMatchObject({ name: 'idempotency-key', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } });
    }
  });

  it('request schemas are closed (additionalProperties: false), as the API refuses unknown fields', () => {
    for (const name of [
      'LoginRequest',
      'CreateTicketRequest',
      'PatchTicketRequest',
      'ChangeStatusRequest',
      'ChangePriorityRequest',
      'ChangeAssigneeRequest',
      'AddMessageRequest',
      'BulkTicketsRequest',
      'TicketFieldChanges',
      'PresenceRequest',
      'ApplyMacroRequest',
      'MacroRequest',
    ])
      expect(doc.components.schemas[name].additionalProperties, name).toBe(false);
  });

  it('GET /events documents its stream and every live event type', () => {
    const op = doc.paths['/api/v1/events'].get;
    expect(op.security).toEqual([{ bearerAuth: [] }]);
    expect(op.responses['200'].content['text/event-stream'].schema).toEqual({ $ref: '#/components/schemas/LiveEvent' });
    for (const type of ['ticket.created', 'ticket.updated', 'message.added', 'sla.changed', 'notification', 'presence', 'resync', 'heartbeat']) expect(op.description).toContain(type);
    const types = doc.components.schemas.LiveEvent.oneOf.map((s: any) => doc.components.schemas[s.$ref.split('/').pop()].properties.type.enum[0]).sort();
    expect(Object.keys(doc.components.schemas.LiveEvent.discriminator.mapping).sort()).toEqual(types);
    expect(types).toEqual(['message.added', 'notification', 'presence', 'sla.changed', 'ticket.created', 'ticket.updated']);
  });

  it('the Ticket schema lists exactly the fields a served ticket has', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    // No worker: creation stores the row and starts the workflow; nothing needs to run it.
    const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'schema check', body: 'hello', categoryId: h.fx.categoryId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const schema = doc.components.schemas.Ticket;
    expect(Object.keys(r.body).sort()).toEqual(Object.keys(schema.properties).sort());
    expect([...schema.required].sort()).toEqual(Object.keys(schema.properties).sort());
  });

  // PRODUCT BUG (api/src/tickets/routes.ts, POST /tickets): a retry with the same
  // Idempotency-Key answers 200 (`res.status(created ? 201 : 200)`), but the operation only
  // documents 201; route.ts promises that "documentation cannot drift from behaviour".
  it('POST /tickets documents the 200 it answers for an idempotent replay', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    const body = { subject: 'replayed', body: 'hello', categoryId: h.fx.categoryId };
    const key = `openapi-${h.fx.suffix}`;
    expect((await h.call(customer, 'POST', '/api/v1/tickets', body, { 'idempotency-key': key })).status).toBe(201);
    const replay = await h.call(customer, 'POST', '/api/v1/tickets', body, { 'idempotency-key': key });
    expect(replay.status).toBe(200); // what the API does
    expect(Object.keys(doc.paths['/api/v1/tickets'].post.responses)).toContain('200');
  });

  it('deflections and portal insights: closed request body, documented query parameters, the public search source', () => {
    expect(doc.components.schemas.DeflectionRequest.additionalProperties).toBe(false);
    expect(doc.components.schemas.DeflectionRequest.properties.description).toMatchObject({ type: 'string', maxLength: 4000 });
    const query = (path: string) => Object.fromEntries(doc.paths[path].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.schema]));
    expect(Object.keys(query('/api/v1/admin/portal-insights')).sort()).toEqual(['from', 'limit', 'to']);
    expect(Object.keys(query('/api/v1/admin/deflections')).sort()).toEqual(['cursor', 'limit']);
    expect(query('/api/v1/admin/kb-feedback').sort).toMatchObject({ enum: expect.arrayContaining(['views', '-views', 'ratio', '-ratio', 'notHelpful']), default: '-views' });
    expect(query('/api/v1/public/kb/search').source).toMatchObject({ enum: ['search', 'suggest'], default: 'search' });
  });
});
