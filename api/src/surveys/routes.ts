import { Router, type Request } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { isStaff } from '@mehrdesk/core/domain';
import { checkSurveyLink, currentSurvey, surveyAt, surveyView } from '@mehrdesk/core/services/surveys';
import type { AppDeps } from '../deps';
import { forbidden, notFound } from '../http/errors';
import { IdParams } from '../http/params';
import { clientKey, type RateLimits } from '../http/rate-limit';
import { defineRoute } from '../http/route';
import { visibleTicket } from '../tickets/service';
import { RateSurveyBody, SurveyDto, SurveyTokenParams } from './schemas';
import { linkExpired, linkInvalid, rateSurvey, surveyClosed } from './service';

// Satisfaction surveys for customers: by the signed link of the survey e-mail (no login; the
// portal's /portal/survey page calls these), and from the portal's ticket page. A link is bound
// to its customer, ticket and resolution: tampered, for another purpose, expired, or about a
// resolution the ticket has left (reopened, resolved again) is refused and changes nothing.

export const PUBLIC_SURVEY_PATH = '/public/surveys/:token';

export function surveyRoutes(deps: AppDeps, registry: OpenAPIRegistry, limits: RateLimits): Router {
  const r = Router();
  const byClient = (req: Request) => clientKey(deps.config.CLIENT_KEY_SECRET, req);

  /** The survey a link names, or the error the link deserves. */
  async function byLink(em: Parameters<typeof surveyAt>[0], req: Request, token: string) {
    const link = checkSurveyLink(deps.config.PORTAL_LINK_SECRET, token, Math.floor(Date.now() / 1000));
    if (!link.ok) throw link.reason === 'expired' ? linkExpired() : linkInvalid();
    // Signed in as someone else: not this person's survey to read or rate.
    if (req.user && req.user.id !== link.claims.userId) throw linkInvalid('This survey link belongs to another account');
    const found = await surveyAt(em, link.claims.ticketId, Number(link.claims.binding), link.claims.userId);
    if (found.kind !== 'ok') throw surveyClosed();
    return found;
  }

  r.use(PUBLIC_SURVEY_PATH, limits.rateLimit({ name: 'public-survey', points: deps.config.RATE_LIMIT_PUBLIC_SURVEY_PER_HOUR, durationSeconds: 3600, key: byClient }));
  defineRoute(r, registry, {
    method: 'get',
    path: PUBLIC_SURVEY_PATH,
    summary: 'The survey a survey e-mail links to (no login; rate limited per client)',
    tags: ['public surveys'],
    action: null,
    params: SurveyTokenParams,
    response: SurveyDto,
    errors: [403, 409, 410, 429],
    handler: async ({ em, req, res, params }) => {
      const { survey, ticket } = await byLink(em, req, params.token);
      res.setHeader('Cache-Control', 'no-store');
      return surveyView(survey, ticket);
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: PUBLIC_SURVEY_PATH,
    summary: 'Rate the resolution a survey e-mail asks about, or change the rating (no login; rate limited per client)',
    tags: ['public surveys'],
    action: null,
    params: SurveyTokenParams,
    body: RateSurveyBody,
    response: SurveyDto,
    errors: [403, 409, 410, 429],
    handler: async ({ em, req, params, body, requestId }) => {
      const { survey, ticket } = await byLink(em, req, params.token);
      return rateSurvey(deps, em, survey, ticket, body, survey.requester_id, requestId);
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets/:id/survey',
    summary: "The survey of the ticket's current resolution (404 when none was sent)",
    tags: ['tickets'],
    action: 'ticket.view',
    params: IdParams,
    response: SurveyDto,
    errors: [404],
    handler: async ({ em, user, params }) => {
      await visibleTicket(em, user, params.id);
      const found = await currentSurvey(em, params.id);
      if (!found) throw notFound(`Survey of ticket ${params.id}`);
      return surveyView(found.survey, found.ticket);
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/survey',
    summary: "Rate the ticket's current resolution, or change the rating (the requester only)",
    tags: ['tickets'],
    action: 'ticket.view',
    params: IdParams,
    body: RateSurveyBody,
    response: SurveyDto,
    errors: [404, 409],
    handler: async ({ em, user, params, body, requestId }) => {
      if (isStaff(user.role)) throw forbidden('Only the customer who asked rates the support');
      await visibleTicket(em, user, params.id);
      const found = await currentSurvey(em, params.id);
      if (!found) throw notFound(`Survey of ticket ${params.id}`);
      return rateSurvey(deps, em, found.survey, found.ticket, body, user.id, requestId);
    },
  });
  return r;
}
