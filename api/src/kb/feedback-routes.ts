import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { AppDeps } from '../deps';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { KbFeedbackReportDto } from './schemas';
import { feedbackReport } from './service';

// What readers made of an article: views per language (counted by the public API) and their
// "was this helpful?" answers with comments. Client keys are never shown.

export function kbFeedbackRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/articles/:id/feedback',
    summary: 'Views and reader feedback of an article',
    tags: ['knowledge base'],
    action: 'kb.read',
    params: IdParams,
    response: KbFeedbackReportDto,
    errors: [404],
    handler: async ({ em, params }) => feedbackReport(em, params.id),
  });
  return r;
}
