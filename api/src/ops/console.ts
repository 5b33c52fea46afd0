import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

// The built Vue console (web/dist, `npx vite build` in web/; the launcher builds it) served by
// the API: hashed assets cached for a year, index.html never cached, and every other page a
// browser asks for (GET accepting text/html) that is not the API or the queue board answered
// with index.html so the console's router can take it (deep links such as /tickets/42 survive a
// reload). The customer portal is the build's second page: /portal and everything under it gets
// portal.html instead (its router's base is /portal/; public article pages are rendered by
// api/src/portal/ssr.ts, mounted before this). Programs asking for an unknown path still get the
// API's 404 JSON. Without a build, nothing is served here.

export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

/** The console's and the portal's policy: scripts and data from this origin only, no framing. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Vuetify writes its theme into a <style> element.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_THE_CONSOLE = /^\/(api|admin\/queues)(\/|$)/;
export const PORTAL_PATH = /^\/portal(\/|$)/;

export function consoleRoutes(dist = CONSOLE_DIST): Router {
  const router = Router();
  const index = path.join(dist, 'index.html');
  const portal = path.join(dist, 'portal.html');

  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), {
      index: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
    }),
  );
  router.use(
    express.static(dist, {
      index: false,
      fallthrough: true,
      maxAge: '1h',
      setHeaders: (res, file) => {
        if (file === index || file === portal) {
          res.setHeader('Cache-Control', 'no-cache');
          res.setHeader('Content-Security-Policy', CONSOLE_CSP);
        }
      },
    }),
  );
  router.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_THE_CONSOLE.test(req.path) || req.path.startsWith('/assets/')) return next();
    if (!(req.headers.accept ?? '').includes('text/html')) return next();
    const page = PORTAL_PATH.test(req.path) ? portal : index;
    if (!fs.existsSync(page)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.sendFile(page, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  return router;
}
