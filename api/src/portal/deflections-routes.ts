import { Router, type RequestHandler } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DEFLECTION_DESCRIPTION_MAX, DEFLECTION_SUBJECT_MAX } from '@mehrdesk/core/db';
import type { AppDeps } from '../deps';
import { unprocessable } from '../http/errors';
import { bodyId } from '../http/params';
import type { RateLimits } from '../http/rate-limit';
import { defineRoute } from '../http/route';
import { recordDeflection } from './deflections-store';

// Ticket deflection (issue 10): while a customer writes a new ticket the portal suggests
// articles (GET /public/kb/search?source=suggest); "This solved my problem" ends the attempt
// without a ticket and lands here, with the article and the text typed so far. Customers only
// (portal.deflect): staff write tickets for others and would skew the numbers.

export const DEFLECTIONS_PATH = '/portal/deflections';

const DeflectionBody = z
  .object({
    articleId: bodyId.describe('The translation id a public search hit carries (`hits[].id`): a published translation of a public article'),
    subject: z.string().max(DEFLECTION_SUBJECT_MAX).describe('The subject typed so far, as typed (may be empty when the description is not)'),
    description: z.string().max(DEFLECTION_DESCRIPTION_MAX).describe('The description typed so far, as plain text (may be empty when the subject is not)'),
  })
  .strict()
  .refine((b) => b.subject.trim() !== '' || b.description.trim() !== '', { path: ['subject'], message: 'The subject or the description must hold some text' })
  .meta({ id: 'DeflectionRequest' });
const DeflectionDto = z.object({ id: z.number().int() }).meta({ id: 'Deflection' });

export function deflectionRoutes(deps: AppDeps, registry: OpenAPIRegistry, limits: RateLimits): Router {
  const r = Router();
  // Per customer account; anyone else is refused by the route itself (401/403), uncounted.
  const limit = limits.rateLimit({
    name: 'portal-deflections',
    // The same budget setting as public article feedback, of which this is the signed-in form.
    points: deps.config.RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR,
    durationSeconds: 3600,
    key: (req) => `user:${req.user!.id}`,
  });
  const customersOnly: RequestHandler = (req, res, next) => (req.user?.role === 'customer' ? limit(req, res, next) : next());
  r.post(DEFLECTIONS_PATH, customersOnly);

  defineRoute(r, registry, {
    method: 'post',
    path: DEFLECTIONS_PATH,
    summary: '"This solved my problem": a suggested article answered the ticket being written (customers; rate limited)',
    tags: ['portal'],
    action: 'portal.deflect',
    body: DeflectionBody,
    response: DeflectionDto,
    status: 201,
    errors: [422, 429],
    handler: async ({ em, body, user }) => {
      const id = await recordDeflection(em, { customerId: user.id, translationId: body.articleId, subject: body.subject, description: body.description });
      if (id === null) throw unprocessable('No such published article', [{ path: 'body.articleId', message: 'Not a published translation of a public article' }]);
      return { id };
    },
  });
  return r;
}
