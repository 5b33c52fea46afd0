import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { recordAudit } from '@mehrdesk/core/services/audit';
import type { AppDeps } from '../deps';
import { auditContext } from '../audit/context';
import { notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { IdParams } from '../http/params';

// Everyone's own sessions (X1): where and when each was started and last used, and ending any
// of them (a lost laptop, a shared computer), or all but the current one.

const SessionDto = z
  .object({
    id: z.number().int(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('To the minute'),
    expiresAt: z.string(),
    clientAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    stage: z.enum(['full', 'mfa', 'enrol']),
    current: z.boolean().describe('The session making this request'),
  })
  .meta({ id: 'Session' });

interface Row {
  id: number;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date;
  client_address: string | null;
  user_agent: string | null;
  stage: 'full' | 'mfa' | 'enrol';
}

const iso = (d: Date) => new Date(d).toISOString();

export function sessionRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get',
    path: '/auth/sessions',
    summary: 'Your sessions that have not expired, most recently used first',
    tags: ['auth'],
    action: 'auth.session',
    response: z.object({ items: z.array(SessionDto) }).meta({ id: 'SessionList' }),
    handler: async ({ em, user }) => {
      const rows = await em.execute<Row[]>(
        `select id, created_at, last_used_at, expires_at, client_address, user_agent, stage from auth_tokens
          where user_id = ? and expires_at > now() order by last_used_at desc nulls last, id desc limit 500`,
        [user.id],
      );
      return {
        items: rows.map((s) => ({
          id: s.id,
          createdAt: iso(s.created_at),
          lastUsedAt: s.last_used_at ? iso(s.last_used_at) : null,
          expiresAt: iso(s.expires_at),
          clientAddress: s.client_address,
          userAgent: s.user_agent,
          stage: s.stage,
          current: s.id === user.sessionId,
        })),
      };
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/auth/sessions/:id',
    summary: 'End one of your sessions (it is signed out at once, open live streams included)',
    tags: ['auth'],
    action: 'auth.session',
    params: IdParams,
    status: 204,
    errors: [404],
    handler: async ({ req, em, user, params }) => {
      const ended = await em.execute<{ id: number }[]>('delete from auth_tokens where id = ? and user_id = ? returning id', [params.id, user.id]);
      if (ended.length === 0) throw notFound('Session');
      await recordAudit(em, { ...auditContext(req), action: 'session.ended', targetType: 'session', targetId: params.id });
      return undefined;
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/sessions/end-others',
    summary: 'End every session of yours but this one',
    tags: ['auth'],
    action: 'auth.session',
    response: z.object({ ended: z.number().int() }).meta({ id: 'SessionsEnded' }),
    handler: async ({ req, em, user }) => {
      const ended = await em.execute<{ id: number }[]>('delete from auth_tokens where user_id = ? and id <> ? returning id', [user.id, user.sessionId ?? 0]);
      await recordAudit(em, { ...auditContext(req), action: 'session.ended_others', targetType: 'user', targetId: user.id, detail: { ended: ended.length } });
      return { ended: ended.length };
    },
  });
  return r;
}
