import type { RequestHandler } from 'express';
import type { Config } from '@mehrdesk/core/config';
import { announceLimit, clientKey, type RateLimits } from '../http/rate-limit';

// Every caller of the API has a budget of requests per minute, counted in Redis for all
// replicas: a signed-in session RATE_LIMIT_PER_TOKEN_PER_MINUTE, an API key the limit its admin
// gave it, a client without credentials RATE_LIMIT_ANONYMOUS_PER_MINUTE per address (on top of
// the public endpoints' own, tighter limits: searches, feedback, account e-mails, surveys).
export function callerRateLimit(config: Pick<Config, 'RATE_LIMIT_PER_TOKEN_PER_MINUTE' | 'RATE_LIMIT_ANONYMOUS_PER_MINUTE' | 'CLIENT_KEY_SECRET'>, limits: RateLimits): RequestHandler {
  return async (req, res, next) => {
    const user = req.user;
    const session = user?.sessionId ?? req.pendingSession?.sessionId;
    const key = user?.apiKeyId !== undefined ? `key:${user.apiKeyId}` : session !== undefined ? `session:${session}` : `client:${clientKey(config.CLIENT_KEY_SECRET, req)}`;
    const points = user?.apiKeyRateLimit ?? (key.startsWith('client:') ? config.RATE_LIMIT_ANONYMOUS_PER_MINUTE : config.RATE_LIMIT_PER_TOKEN_PER_MINUTE);
    // One limiter per budget size: the limit is a property of the limiter, not of the key.
    const counted = await limits.limiter(`caller-${points}`, { points, durationSeconds: 60 }).consume(key);
    if (counted) announceLimit(res, points, counted.remaining, counted.resetMs, counted.allowed);
    next();
  };
}
