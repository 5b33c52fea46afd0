import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { API_KEY_SCOPES } from '@mehrdesk/core/domain';
import { recordAudit } from '@mehrdesk/core/services/audit';
import type { AppDeps } from '../deps';
import { auditContext } from '../audit/context';
import { conflict, notFound, unprocessable } from '../http/errors';
import { instant } from '../http/instant';
import { defineRoute } from '../http/route';
import { bodyId, IdParams } from '../http/params';
import { newApiKey } from './tokens';

// API keys (X1, C3): how other systems (a web form, a monitoring tool, a script) call the API.
// A key acts as one user and only within its scopes (core/src/domain/api-key-scopes.ts); it is
// shown once and stored as a hash; each has its own requests-per-minute budget and its last use
// is kept to the minute. Admins make and revoke them; a revoked key is refused at once.

const ApiKeyDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().describe('The start of the key, to tell keys apart'),
    user: z.object({ id: z.number().int(), email: z.string(), name: z.string(), role: z.string() }).describe('The key acts as this user'),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    rateLimitPerMinute: z.number().int(),
    createdAt: z.string(),
    createdBy: z.number().int().nullable(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

const CreateBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    userId: bodyId.optional().describe('The user the key acts as (default: you)'),
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1)
      .max(API_KEY_SCOPES.length)
      .refine((l) => new Set(l).size === l.length, 'each scope once'),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
    expiresAt: instant.optional().describe('When the key stops working (default: never)'),
  })
  .strict()
  .meta({ id: 'ApiKeyCreateRequest' });

interface Row {
  id: number;
  name: string;
  prefix: string;
  user_id: number;
  user_email: string;
  user_name: string;
  user_role: string;
  scopes: (typeof API_KEY_SCOPES)[number][];
  rate_limit_per_minute: number;
  created_at: Date;
  created_by: number | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const SELECT = `select k.id, k.name, k.prefix, k.user_id, u.email as user_email, u.name as user_name, u.role as user_role, k.scopes, k.rate_limit_per_minute,
                       k.created_at, k.created_by, k.expires_at, k.last_used_at, k.revoked_at
                  from api_keys k join users u on u.id = k.user_id`;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const toDto = (k: Row): z.infer<typeof ApiKeyDto> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  user: { id: k.user_id, email: k.user_email, name: k.user_name, role: k.user_role },
  scopes: k.scopes,
  rateLimitPerMinute: k.rate_limit_per_minute,
  createdAt: iso(k.created_at)!,
  createdBy: k.created_by,
  expiresAt: iso(k.expires_at),
  lastUsedAt: iso(k.last_used_at),
  revokedAt: iso(k.revoked_at),
});
/** What the audit log keeps of a key: everything but the secret, which is never stored anyway. */
const auditView = (k: Row) => ({
  name: k.name,
  prefix: k.prefix,
  userId: k.user_id,
  scopes: k.scopes,
  rateLimitPerMinute: k.rate_limit_per_minute,
  expiresAt: iso(k.expires_at),
  revokedAt: iso(k.revoked_at),
});

export function apiKeyRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get',
    path: '/api-keys',
    summary: 'API keys, newest first (revoked ones too)',
    tags: ['api-keys'],
    action: 'admin.manage',
    response: z.object({ items: z.array(ApiKeyDto) }).meta({ id: 'ApiKeyList' }),
    handler: async ({ em }) => ({ items: (await em.execute<Row[]>(`${SELECT} order by k.id desc limit 1000`)).map(toDto) }),
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/api-keys',
    summary: 'Make an API key; the answer is the only time the key is shown',
    tags: ['api-keys'],
    action: 'admin.manage',
    body: CreateBody,
    status: 201,
    response: z.object({ key: z.string().describe('Send as `Authorization: Bearer <key>`; shown only now'), apiKey: ApiKeyDto }).meta({ id: 'ApiKeyCreated' }),
    errors: [422],
    handler: async ({ req, em, body, user }) => {
      if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) throw unprocessable('The key would never work', [{ path: 'body.expiresAt', message: 'must be in the future' }]);
      const ownerId = body.userId ?? user.id;
      const { key, prefix, hash } = newApiKey();
      return em.transactional(async (tx) => {
        const [owner] = await tx.execute<{ id: number }[]>('select id from users where id = ? and active', [ownerId]);
        if (!owner) throw unprocessable('No such active user', [{ path: 'body.userId', message: 'must be an active user' }]);
        const [{ id }] = (await tx.execute<{ id: number }[]>(
          `insert into api_keys (name, user_id, prefix, key_hash, scopes, rate_limit_per_minute, created_by, expires_at)
           values (?, ?, ?, ?, ?::text[], ?, ?, ?) returning id`,
          [body.name, ownerId, prefix, hash, `{${body.scopes.join(',')}}`, body.rateLimitPerMinute ?? deps.config.API_KEY_DEFAULT_RATE_LIMIT_PER_MINUTE, user.id, body.expiresAt ?? null],
        )) as [{ id: number }];
        const [row] = await tx.execute<Row[]>(`${SELECT} where k.id = ?`, [id]);
        await recordAudit(tx, { ...auditContext(req), action: 'api_key.created', targetType: 'api_key', targetId: id, after: auditView(row!) });
        return { key, apiKey: toDto(row!) };
      });
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/api-keys/:id',
    summary: 'Revoke an API key: refused from the next request on (kept in the list as revoked)',
    tags: ['api-keys'],
    action: 'admin.manage',
    params: IdParams,
    response: ApiKeyDto,
    errors: [404, 409],
    handler: async ({ req, em, params, user }) =>
      em.transactional(async (tx) => {
        const [before] = await tx.execute<Row[]>(`${SELECT} where k.id = ? for update of k`, [params.id]);
        if (!before) throw notFound('API key');
        if (before.revoked_at) throw conflict('already_revoked', 'This key is already revoked');
        await tx.execute('update api_keys set revoked_at = now(), revoked_by = ? where id = ?', [user.id, params.id]);
        const [after] = await tx.execute<Row[]>(`${SELECT} where k.id = ?`, [params.id]);
        await recordAudit(tx, { ...auditContext(req), action: 'api_key.revoked', targetType: 'api_key', targetId: params.id, before: auditView(before), after: auditView(after!) });
        return toDto(after!);
      }),
  });
  return r;
}
