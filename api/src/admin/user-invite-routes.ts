import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { conflict, notFound } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { sendInvitation } from '../portal/signups';
import { auditChange } from '../audit/record';

// Invitations: an admin sends a user (typically a customer they created, when portal sign-up is
// by invitation only) a link to choose a password. The link is a password reset link and dies
// once the password is set or changed otherwise.

const InvitationDto = z.object({ status: z.literal('accepted').describe('The invitation e-mail is on its way') }).meta({ id: 'InvitationResult' });

export function userInviteRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'post',
    path: '/users/:id/invite',
    summary: 'E-mail the user a link to choose a password (a welcome for accounts admins create)',
    tags: ['admin: users'],
    action: 'admin.manage',
    params: IdParams,
    status: 202,
    response: InvitationDto,
    errors: [404, 409],
    handler: async ({ em, req, params, requestId }) => {
      const outcome = await sendInvitation(deps, em, params.id, requestId);
      if (outcome === 'missing') throw notFound(`User ${params.id}`);
      if (outcome === 'inactive') throw conflict('user_inactive', 'This user is deactivated: activate them before inviting');
      // After the fact: the invitation is an e-mail, not a row this route writes.
      await auditChange(em, req, { action: 'user.invited', targetType: 'user', targetId: params.id });
      return { status: 'accepted' as const };
    },
  });
  return r;
}
