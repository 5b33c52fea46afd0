import { createHmac } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
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

export interface LimiterOptions {
  points: number;
  durationSeconds: number;
}

/** A counter on the shared store, for what is not one request = one point (sign-in failures, per-key budgets). */
export interface SharedLimiter {
  /** Counts `points` for `key`; `allowed` is false once the budget is spent. Null when the store is down (fail open). */
  consume(key: string, points?: number): Promise<{ allowed: boolean; consumed: number; remaining: number; resetMs: number } | null>;
  /** Where `key` stands without counting: `blocked` once spent or blocked. Null when the store is down or the key is unknown. */
  peek(key: string): Promise<{ blocked: boolean; consumed: number; resetMs: number } | null>;
  /** Spends the key's whole budget for `seconds`. */
  block(key: string, seconds: number): Promise<void>;
  forget(key: string): Promise<void>;
}

export interface RateLimits {
  rateLimit(opts: RateLimitOptions): RequestHandler;
  /** The named limiter on the shared store (one per name; its options are fixed by the first call). */
  limiter(name: string, opts: LimiterOptions): SharedLimiter;
  /** Ends the Redis connection (app.locals.close). */
  close(): Promise<void>;
}

/** How long the first request waits for the Redis connection to come up before failing open. */
const CONNECT_WAIT_MS = 1000;
const WARN_EVERY_MS = 60_000;

/**
 * The RateLimit-* headers of an answer counted against a budget; when the budget is spent, also
 * Retry-After, and the 429 is thrown.
 */
export function announceLimit(res: Response, limit: number, remaining: number, resetMs: number, allowed: boolean): void {
  const resetSeconds = secondsFrom(resetMs);
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, remaining)));
  res.setHeader('RateLimit-Reset', String(resetSeconds));
  if (allowed) return;
  res.setHeader('Retry-After', String(resetSeconds));
  throw tooManyRequests(resetSeconds);
}

/** Whole seconds (at least 1) for a Retry-After of `ms`. */
export const secondsFrom = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

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
  const redisLimiter = async (name: string, opts: LimiterOptions): Promise<RateLimiterRedis> => {
    const storeClient = await redis();
    let limiter = limiters.get(name);
    if (!limiter) {
      limiter = new RateLimiterRedis({ storeClient, keyPrefix: `mehrdesk:rl:${name}`, points: opts.points, duration: opts.durationSeconds, rejectIfRedisNotReady: true });
      limiters.set(name, limiter);
    }
    return limiter;
  };
  const checkOptions = (name: string, opts: LimiterOptions) => {
    if (!Number.isInteger(opts.points) || opts.points < 1) throw new Error(`rate limit ${name}: points must be a positive integer`);
    if (!Number.isInteger(opts.durationSeconds) || opts.durationSeconds < 1) throw new Error(`rate limit ${name}: durationSeconds must be a positive integer`);
  };

  const shared = new Map<string, SharedLimiter>();
  /** The limiter named `name`, made once (callers on the hot path ask for it on every request). */
  const sharedLimiter = (name: string, opts: LimiterOptions): SharedLimiter => {
    const known = shared.get(name);
    if (known) return known;
    checkOptions(name, opts);
    const failOpen = async <T>(work: (l: RateLimiterRedis) => Promise<T>): Promise<T | null> => {
      try {
        return await work(await redisLimiter(name, opts));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw err;
        warn(name, err);
        return null;
      }
    };
    const limiter: SharedLimiter = {
      async consume(key, points = 1) {
        try {
          return await failOpen(async (l) => {
            const r = await l.consume(key, points);
            return { allowed: true, consumed: r.consumedPoints, remaining: r.remainingPoints, resetMs: r.msBeforeNext };
          });
        } catch (err) {
          const r = err as RateLimiterRes;
          return { allowed: false, consumed: r.consumedPoints, remaining: 0, resetMs: r.msBeforeNext };
        }
      },
      peek: (key) =>
        failOpen(async (l) => {
          const r = await l.get(key);
          return r ? { blocked: r.consumedPoints >= opts.points, consumed: r.consumedPoints, resetMs: r.msBeforeNext } : null;
        }),
      block: async (key, seconds) => void (await failOpen((l) => l.block(key, seconds))),
      forget: async (key) => void (await failOpen((l) => l.delete(key))),
    };
    shared.set(name, limiter);
    return limiter;
  };

  return {
    limiter: sharedLimiter,
    rateLimit(opts) {
      const limiter = sharedLimiter(opts.name, opts);
      return async (req, res, next) => {
        const counted = await limiter.consume(opts.key(req));
        if (counted) announceLimit(res, opts.points, counted.remaining, counted.resetMs, counted.allowed);
        next();
      };
    },
    async close() {
      const c = client;
      client = null;
      limiters.clear();
      shared.clear();
      if (c) await c.quit().catch(() => c.disconnect());
    },
  };
}
