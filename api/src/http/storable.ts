import type { RequestHandler } from 'express';
import { findUnstorableText } from '@mehrdesk/core/domain';
import { badRequest } from './errors';

// Text PostgreSQL cannot store (NUL, unpaired surrogates; the rule is core's storable-text)
// is refused at the door with a 400 naming each field, the same shape as a zod refusal, before
// any handler could write part of it or a workflow could retry it forever.

export function refuseUnstorableText(value: unknown, location: 'params' | 'query' | 'body'): void {
  const fields = findUnstorableText(value, location);
  if (fields.length) throw badRequest(`Invalid ${location}`, fields);
}

/**
 * Query string and JSON body of every request, whichever router answers it (defineRoute
 * endpoints, the event stream, the queue board). Path params are only known once a route
 * matched: defineRoute checks those.
 */
export const storableTextOnly: RequestHandler = (req, _res, next) => {
  refuseUnstorableText(req.query, 'query');
  refuseUnstorableText(req.body, 'body');
  next();
};
