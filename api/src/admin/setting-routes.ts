import type { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { defineRoute } from '../http/route';
import { auditChange } from '../audit/record';

// The GET and PUT of one admin setting (`/settings/<name>`): the values in force with their
// source, and saving new ones (validated by the body schema) answered with what is now in force.
// Every save is audited (`setting.updated`, target the setting's name) with the values in force
// before and after, in the saving transaction.

type AnyObject = z.ZodType<Record<string, unknown>>;

export function settingRoutes<B extends AnyObject, R>(
  r: Router,
  registry: OpenAPIRegistry,
  spec: {
    name: string;
    /** What GET and PUT do, for the OpenAPI summaries. */
    summaries: { get: string; put: string };
    body: B;
    response: z.ZodType<R>;
    read: (em: EntityManager) => Promise<R>;
    save: (em: EntityManager, value: z.infer<B>, userId: number) => Promise<void>;
  },
): void {
  const tags = ['admin: settings'];
  const path = `/settings/${spec.name}`;
  defineRoute(r, registry, { method: 'get', path, summary: spec.summaries.get, tags, action: 'admin.manage', response: spec.response, handler: async ({ em }) => spec.read(em) });
  defineRoute(r, registry, {
    method: 'put',
    path,
    summary: spec.summaries.put,
    tags,
    action: 'admin.manage',
    body: spec.body,
    response: spec.response,
    handler: async ({ em, req, body, user }) =>
      em.transactional(async (tx) => {
        const before = await spec.read(tx);
        await spec.save(tx, body, user.id);
        const after = await spec.read(tx);
        await auditChange(tx, req, { action: 'setting.updated', targetType: 'setting', targetId: spec.name, before, after });
        return after;
      }),
  });
}
