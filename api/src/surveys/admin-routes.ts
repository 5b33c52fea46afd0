import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { csatPage, csatSummary, saveSurveySettings, surveySettings, type CsatFilter } from '@mehrdesk/core/services/surveys';
import type { AppDeps } from '../deps';
import { unprocessable } from '../http/errors';
import { isInt4Id } from '../http/params';
import { inInstantRange } from '../http/instant';
import { defineRoute } from '../http/route';
import { settingRoutes } from '../admin/setting-routes';
import { CsatListDto, CsatQuery, SurveySettingsBody, SurveySettingsDto } from './schemas';

// What admins decide about surveys (on or off, the delay after a resolution, the scale) and
// what customers answered: every rating with its ticket, customer, agent and comment, and the
// figures of a period (share of satisfied customers, mean five-point score, response rate).
// A changed setting applies to resolutions from then on; a survey already planned is still
// sent only if surveys are on when its time comes.

const invalidCursor = () => unprocessable('Invalid cursor', [{ path: 'query.cursor', message: 'Not a cursor returned by this API' }]);

/** Opaque keyset cursor: the last row's rating instant and id. */
const encodeCursor = (c: { ratedAt: Date; id: number }) => Buffer.from(JSON.stringify([c.ratedAt.getTime(), c.id])).toString('base64url');

function decodeCursor(cursor: string): { ratedAt: Date; id: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isInteger(parsed[0]) || !inInstantRange(parsed[0] as number) || !isInt4Id(parsed[1])) throw invalidCursor();
  return { ratedAt: new Date(parsed[0] as number), id: parsed[1] as number };
}

export function surveyAdminRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();

  settingRoutes(r, registry, {
    name: 'surveys',
    summaries: {
      get: 'Satisfaction survey settings in force (an admin choice, or the defaults from the environment)',
      put: 'Turn surveys on or off, set the delay after a resolution and the scale (applies to resolutions from now on)',
    },
    body: SurveySettingsBody,
    response: SurveySettingsDto,
    read: (em) => surveySettings(em, deps.config),
    save: saveSurveySettings,
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/admin/csat',
    summary: 'Satisfaction ratings (newest first) with the figures of the period',
    tags: ['admin: surveys'],
    action: 'admin.manage',
    query: CsatQuery,
    response: CsatListDto,
    errors: [422],
    handler: async ({ em, query }) => {
      const filter: CsatFilter = {
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
        ...(query.rating ? { rating: query.rating } : {}),
        ...(query.agentId !== undefined ? { agentId: query.agentId } : {}),
        ...(query.groupId !== undefined ? { groupId: query.groupId } : {}),
      };
      const page = await csatPage(em, filter, query.limit, query.cursor === undefined ? null : decodeCursor(query.cursor));
      return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null, summary: await csatSummary(em, filter) };
    },
  });
  return r;
}
