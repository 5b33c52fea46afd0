import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';

// The ticket categories a requester picks from when writing a request in the portal: id and name
// only (which group or SLA policy a category leads to is staff business).

const PortalCategoryDto = z.object({ id: z.number().int(), name: z.string() }).meta({ id: 'PortalTicketCategory' });

export function portalCategoryRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get',
    path: '/portal/ticket-categories',
    summary: 'Ticket categories to choose from when writing a request (names only)',
    tags: ['portal: accounts'],
    action: 'ticket.create',
    response: z.object({ items: z.array(PortalCategoryDto) }),
    handler: async ({ em }) => ({ items: await em.execute<{ id: number; name: string }[]>('select id, name from categories order by lower(name), id') }),
  });
  return r;
}
