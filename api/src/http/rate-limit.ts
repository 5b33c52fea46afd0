import { createHmac } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { HttpError } from './errors';

// Rate limits per client (rate-limiter-flexible), counted in Redis so every API replica shares
// one budget. A limit exceeded answers 429 with Retry-After (seconds) and the usual error body.
// Redis being down must not take the public API down with it: the limiter then lets requests
// through (fail open) and logs a warning (at most one per limit and minute).

export interface RateLimitOptions {
  /** Names the counter (Redis key prefix) and appears in logs, e.g. `public-kb-search`. */
  name: string;
  /** Requests allowed per window. */
  points: number;
  durationSeconds: number;
  /** Who is counted: usually `clientKey(req)`. */
  key: (req: Request) => string;
}

export interface RateLimits {
  rateLimit(opts: RateLimitOptions): RequestHandler;
  /** Ends the Redis connection (app.locals.close). */
  close(): Promise<void>;
}

/** How long the first request waits for the Redis connection to come up before failing open. */
const CONNECT_WAIT_MS = 1000;
const WARN_EVERY_MS = 60_000;

export const tooManyRequests = (retryAfterSeconds: number) => new HttpError(429, 'rate_limited', `Too many requests; try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`);

/**
 * An anonymous client's key: an HMAC of its address (behind the trusted proxy, `req.ip` is the
 * forwarded one), so neither Redis nor the database ever holds an address.
 */
export function clientKey(secret: string, req: Request): string {
  return createHmac('sha256', secret)
    .update(req.ip ?? req.socket.remoteAddress ?? 'unknown')
    .digest('hex');
}

export function createRateLimits(deps: { config: Config; log: Logger }): RateLimits {
  let client: Redis | null = null;
  let connecting: Promise<void> | null = null;
  const lastWarned = new Map<string, number>();

  const warn = (name: string, err: unknown) => {
    const now = Date.now();
    if (now - (lastWarned.get(name) ?? 0) < WARN_EVERY_MS) return;
    lastWarned.set(name, now);
    deps.log.warn({ err, limit: name }, 'rate limit store unavailable: letting requests through');
  };

  /** The Redis client, connected on first use; `enableOfflineQueue: false` makes commands fail at once while it is down. */
  const redis = async (): Promise<Redis> => {
    if (!client) {
      client = new Redis(deps.config.REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
      client.on('error', (err) => warn('redis', err));
      connecting = client.connect().catch(() => undefined);
    }
    if (client.status !== 'ready' && connecting) await Promise.race([connecting, new Promise((r) => setTimeout(r, CONNECT_WAIT_MS))]);
    return client;
  };

  const limiters = new Map<string, RateLimiterRedis>();

  return {
    rateLimit(opts) {
      if (!Number.isInteger(opts.points) || opts.points < 1) throw new Error(`rate limit ${opts.name}: points must be a positive integer`);
      if (!Number.isInteger(opts.durationSeconds) || opts.durationSeconds < 1) throw new Error(`rate limit ${opts.name}: durationSeconds must be a positive integer`);
      return async (req, res, next) => {
        let limiter = limiters.get(opts.name);
        const storeClient = await redis();
        if (!limiter) {
          limiter = new RateLimiterRedis({
            storeClient,
            keyPrefix: `mehrdesk:rl:${opts.name}`,
            points: opts.points,
            duration: opts.durationSeconds,
            rejectIfRedisNotReady: true,
          });
          limiters.set(opts.name, limiter);
        }
        let outcome: RateLimiterRes;
        let allowed: boolean;
        try {
          outcome = await limiter.consume(opts.key(req));
          allowed = true;
        } catch (err) {
          if (!(err instanceof RateLimiterRes)) {
            warn(opts.name, err);
            next();
            return;
          }
          outcome = err;
          allowed = false;
        }
        const resetSeconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
        res.setHeader('RateLimit-Limit', String(opts.points));
        res.setHeader('RateLimit-Remaining', String(Math.max(0, outcome.remainingPoints)));
        res.setHeader('RateLimit-Reset', String(resetSeconds));
        if (allowed) {
          next();
          return;
        }
        res.setHeader('Retry-After', String(resetSeconds));
        throw tooManyRequests(resetSeconds);
      };
    },
    async close() {
      const c = client;
      client = null;
      limiters.clear();
      if (c) await c.quit().catch(() => c.disconnect());
    },
  };
}
