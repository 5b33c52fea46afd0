import type { RequestHandler } from 'express';
import type { Config } from '@mehrdesk/core/config';
import { announceLimit, type RateLimits } from '../http/rate-limit';

// Every authenticated caller has a budget of requests per minute, counted in Redis for all
// replicas: a signed-in session RATE_LIMIT_PER_TOKEN_PER_MINUTE, an API key the limit its admin
// gave it. Anonymous requests are limited where they are public (per client, route by route).
export function callerRateLimit(config: Pick<Config, 'RATE_LIMIT_PER_TOKEN_PER_MINUTE'>, limits: RateLimits): RequestHandler {
  return async (req, res, next) => {
    const user = req.user;
    const session = user?.sessionId ?? req.pendingSession?.sessionId;
    const key = user?.apiKeyId !== undefined ? `key:${user.apiKeyId}` : session !== undefined ? `session:${session}` : null;
    if (key === null) return next();
    const points = user?.apiKeyRateLimit ?? config.RATE_LIMIT_PER_TOKEN_PER_MINUTE;
    // One limiter per budget size: the limit is a property of the limiter, not of the key.
    const counted = await limits.limiter(`caller-${points}`, { points, durationSeconds: 60 }).consume(key);
    if (counted) announceLimit(res, points, counted.remaining, counted.resetMs, counted.allowed);
    next();
  };
}
