import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { AppDeps } from '../deps';
import type { RateLimits } from '../http/rate-limit';
import { kbCategoryRoutes } from './categories-routes';
import { kbArticleRoutes } from './articles-routes';
import { kbVersionRoutes } from './versions-routes';
import { kbFeedbackRoutes } from './feedback-routes';
import { kbImageRoutes } from './images-routes';
import { kbPublicRoutes } from './public-routes';

/** The knowledge base's routers (staff under /kb, public under /public/kb), mounted at /api/v1. */
export function kbRoutes(deps: AppDeps, registry: OpenAPIRegistry, limits: RateLimits): Router {
  const r = Router();
  r.use(kbCategoryRoutes(deps, registry));
  r.use(kbArticleRoutes(deps, registry));
  r.use(kbVersionRoutes(deps, registry));
  r.use(kbFeedbackRoutes(deps, registry));
  r.use(kbImageRoutes(deps, registry));
  r.use(kbPublicRoutes(deps, registry, limits));
  return r;
}
