import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import type { Config } from '@mehrdesk/core/config';
import { HttpError } from '../http/errors';
import { bearerToken } from '../auth/tokens';

// Who may read /metrics (it names routes, queue depths and failure counts). Without
// METRICS_TOKEN: clients on this machine only (a Prometheus agent or sidecar here); `req.ip`
// is the forwarded client behind a local proxy, so a proxy does not open it to the world. With
// METRICS_TOKEN: whoever sends it as a bearer token, from anywhere, and nobody else.

/** 127.0.0.0/8, ::1, and IPv4-mapped forms of them. */
const isLoopback = (ip: string) => ipaddr.isValid(ip) && ipaddr.process(ip).range() === 'loopback';

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

export function metricsAccess(config: Pick<Config, 'METRICS_TOKEN'>): RequestHandler {
  return (req, res, next) => {
    const expected = config.METRICS_TOKEN;
    if (expected) {
      const given = bearerToken(req.headers.authorization);
      if (given && sameSecret(given, expected)) return next();
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new HttpError(401, 'unauthorized', 'Send METRICS_TOKEN as a bearer token');
    }
    if (isLoopback(req.ip ?? '')) return next();
    throw new HttpError(403, 'forbidden', 'Metrics are served to this machine only; set METRICS_TOKEN to scrape from elsewhere');
  };
}
