import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from './console';

// Serving the built console: long-cached hashed assets, an index.html that is never cached,
// deep links answered with index.html, and the API and queue board left alone.

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
  const app = express();
  app.use(consoleRoutes(dir));
  app.use((_req, res) => res.status(404).json({ error: { code: 'not_found', message: 'nope' } }));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('console routes', () => {
  it('serves hashed assets with a year-long immutable cache', async () => {
    const res = await fetch(`${base}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers a browser asking for a deep link with index.html, never cached, under the console policy', async () => {
    for (const p of ['/', '/inbox/mine', '/tickets/42', '/admin/rules']) {
      const res = await fetch(`${base}${p}`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(res.status, p).toBe(200);
      expect(await res.text()).toContain('<div id="app">');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('leaves the API, the queue board, missing assets, non-GETs and non-browsers to the routes after it', async () => {
    const html = 'text/html,*/*;q=0.8';
    for (const [method, p, accept] of [
      ['GET', '/api/v1/nothing', html],
      ['GET', '/admin/queues/x', html],
      ['GET', '/assets/missing.js', html],
      ['POST', '/tickets/1', html],
      ['GET', '/nope', '*/*'],
    ] as const) {
      const res = await fetch(`${base}${p}`, { method, headers: { accept } });
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(res.headers.get('content-type'), p).toContain('application/json');
    }
  });

  it('serves nothing when there is no build', async () => {
    const app = express();
    app.use(consoleRoutes(path.join(dir, 'does-not-exist')));
    app.use((_req, res) => res.status(404).end());
    const s: Server = await new Promise((resolve) => {
      const x = app.listen(0, '127.0.0.1', () => resolve(x));
    });
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/inbox`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    await new Promise((r) => s.close(r));
  });
});
