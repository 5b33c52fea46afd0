import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { FINISHED_STATUSES, TERMINAL_STATUSES } from '@mehrdesk/core/domain';
import type { AppDeps } from '../deps';
import type { AuthUser } from '../auth/authenticate';
import { conflict, forbidden } from '../http/errors';
import { defineRoute } from '../http/route';
import { TicketDto, TicketIdParams } from './schemas';
import { changeTicket } from '@mehrdesk/usecases/tickets/change-ticket';
import { toTicketDto, visibleTicket } from './service';

// What a customer may do to the status of their own ticket (the portal's "Mark as solved" and
// "Reopen"): solve it while it is open in any way, reopen it while it is resolved — until the
// policy's auto-close closes it, after which a new message starts a follow-up ticket instead.
// Both go through the ticket's workflow like every change (a solve leads to the survey).

export function customerStatusRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['tickets'];
  const ownTicket = async (em: EntityManager, user: AuthUser, id: number) => {
    const row = await visibleTicket(em, user, id);
    if (row.requester_id !== user.id) throw forbidden('Only the requester may do this');
    return row;
  };

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/solve',
    summary: 'Mark your own ticket as solved (the requester; from any open status)',
    tags,
    action: 'ticket.solveOwn',
    params: TicketIdParams,
    response: TicketDto,
    errors: [404, 409],
    handler: async ({ em, user, params, requestId }) => {
      const row = await ownTicket(em, user, params.id);
      if (FINISHED_STATUSES.includes(row.status)) throw conflict('already_finished', `Ticket ${row.number} is already ${row.status}`);
      const after = await changeTicket(deps, { em, user, requestId }, params.id, { status: 'resolved' });
      return toTicketDto(after, deps.config.TEMPORAL_UI_URL, deps.config.TEMPORAL_NAMESPACE);
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/reopen',
    summary: 'Reopen your own resolved ticket (the requester; not once it is closed)',
    tags,
    action: 'ticket.solveOwn',
    params: TicketIdParams,
    response: TicketDto,
    errors: [404, 409],
    handler: async ({ em, user, params, requestId }) => {
      const row = await ownTicket(em, user, params.id);
      if (TERMINAL_STATUSES.includes(row.status)) throw conflict('ticket_finished', `Ticket ${row.number} is ${row.status} and cannot be reopened: write a new request`);
      if (row.status !== 'resolved') throw conflict('not_resolved', `Ticket ${row.number} is ${row.status}, not resolved: there is nothing to reopen`);
      const after = await changeTicket(deps, { em, user, requestId }, params.id, { status: 'open' });
      return toTicketDto(after, deps.config.TEMPORAL_UI_URL, deps.config.TEMPORAL_NAMESPACE);
    },
  });
  return r;
}
