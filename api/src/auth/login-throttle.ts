import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import type { Config } from '@mehrdesk/core/config';
import { HttpError } from '../http/errors';
import { clientKey, secondsFrom, type RateLimits } from '../http/rate-limit';

// Guessing passwords (or second-factor codes) is slowed, then stopped, per account and per
// client, with counters in Redis shared by every API replica:
// - per e-mail address: after LOGIN_DELAY_AFTER_FAILURES wrong answers in a row, each further
//   attempt must wait 1 s, 2 s, 4 s … (at most LOGIN_MAX_DELAY_SECONDS) after the last; after
//   LOGIN_LOCK_AFTER_FAILURES the address is locked for LOGIN_LOCK_MINUTES (the caller e-mails the
//   owner). A success ends the series. Addresses without an account are counted the same way, so
//   the answers reveal nothing about which addresses exist.
// - per client address: LOGIN_FAILURES_PER_CLIENT_PER_HOUR failures, whatever the accounts
//   (spraying one password over many addresses).
// Keys are HMACs: Redis never holds an address or an e-mail. Redis being down lets sign-ins
// through (as every limit does) rather than locking everyone out.

/** Wrong answers in a row are forgotten a day after the last one. */
const SERIES_SECONDS = 86_400;

export type Refusal = { code: 'account_locked' | 'login_delayed' | 'rate_limited'; retryAfterSeconds: number };

export interface LoginThrottle {
  /** Why this attempt may not be checked now, or null. */
  refusal(req: Request, email: string): Promise<Refusal | null>;
  /** A wrong password or code: `locked` when this failure locked the account (tell its owner). */
  failed(req: Request, email: string): Promise<{ failures: number; locked: boolean }>;
  succeeded(email: string): Promise<void>;
}

export const refused = (r: Refusal): HttpError => {
  const message =
    r.code === 'account_locked'
      ? `Too many wrong attempts: sign-in to this account is locked; try again in ${r.retryAfterSeconds} s or reset the password`
      : r.code === 'login_delayed'
        ? `Too many wrong attempts: wait ${r.retryAfterSeconds} s before trying again`
        : `Too many failed sign-ins from this address; try again in ${r.retryAfterSeconds} s`;
  return new HttpError(429, r.code, message);
};

export function createLoginThrottle(config: Config, limits: RateLimits): LoginThrottle {
  const accountKey = (email: string) => createHmac('sha256', config.CLIENT_KEY_SECRET).update(`login:${email}`).digest('hex');
  const series = limits.limiter('login-failures', { points: config.LOGIN_LOCK_AFTER_FAILURES, durationSeconds: SERIES_SECONDS });
  const lock = limits.limiter('login-lock', { points: 1, durationSeconds: 1 });
  const delay = limits.limiter('login-delay', { points: 1, durationSeconds: 1 });
  const perClient = limits.limiter('login-client-failures', { points: config.LOGIN_FAILURES_PER_CLIENT_PER_HOUR, durationSeconds: 3600 });

  return {
    async refusal(req, email) {
      const key = accountKey(email);
      const [locked, delayed, client] = await Promise.all([lock.peek(key), delay.peek(key), perClient.peek(clientKey(config.CLIENT_KEY_SECRET, req))]);
      if (locked?.blocked) return { code: 'account_locked', retryAfterSeconds: secondsFrom(locked.resetMs) };
      if (client?.blocked) return { code: 'rate_limited', retryAfterSeconds: secondsFrom(client.resetMs) };
      if (delayed?.blocked) return { code: 'login_delayed', retryAfterSeconds: secondsFrom(delayed.resetMs) };
      return null;
    },
    async failed(req, email) {
      const key = accountKey(email);
      const [counted] = await Promise.all([series.consume(key), perClient.consume(clientKey(config.CLIENT_KEY_SECRET, req))]);
      const failures = counted?.consumed ?? 0;
      if (failures >= config.LOGIN_LOCK_AFTER_FAILURES) {
        // A new series starts when the lock ends.
        await Promise.all([lock.block(key, config.LOGIN_LOCK_MINUTES * 60), series.forget(key), delay.forget(key)]);
        return { failures, locked: true };
      }
      if (failures >= config.LOGIN_DELAY_AFTER_FAILURES) await delay.block(key, delaySeconds(failures, config));
      return { failures, locked: false };
    },
    async succeeded(email) {
      const key = accountKey(email);
      await Promise.all([series.forget(key), delay.forget(key)]);
    },
  };
}

/** The wait after the `failures`-th wrong answer in a row: doubling from 1 s, capped. */
export function delaySeconds(failures: number, config: Pick<Config, 'LOGIN_DELAY_AFTER_FAILURES' | 'LOGIN_MAX_DELAY_SECONDS'>): number {
  const step = failures - config.LOGIN_DELAY_AFTER_FAILURES;
  if (step < 0) return 0;
  return Math.min(config.LOGIN_MAX_DELAY_SECONDS, 2 ** Math.min(step, 30));
}
