import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { loadConfig } from '@mehrdesk/core/config';
import { createLogger } from '@mehrdesk/core/logger';
import { buildApp } from '@mehrdesk/api';
import type { AppDeps } from '@mehrdesk/api/deps';

// The console's typed API client (web/src/api/client.ts) is typed by web/src/api/schema.d.ts,
// generated here from the API's own OpenAPI document. The document is built by the same
// buildApp() that serves it, with stand-ins for the database and Temporal (routes only touch
// them per request), so no service has to run: `npm run api:types` (write) or
// `npm run api:types -- --check` (exit 1 when the committed file is stale).
// scripts/src/openapi-export.int.test.ts compares the committed file with the served document.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCHEMA_FILE = path.join(ROOT, 'web/src/api/schema.d.ts');

const HEADER = `/**
 * Generated from the API's OpenAPI document by \`npm run api:types\` (scripts/src/openapi-export.ts).
 * Do not edit: change the zod schemas in api/src and regenerate.
 */

`;

/** A dependency that must not be used while only the document is built. */
function unavailable(what: string): never {
  return new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === 'then') return undefined;
        throw new Error(`openapi-export: ${what}.${String(prop)} was used while building the app; the document must be buildable without services`);
      },
    },
  ) as never;
}

/** The OpenAPI document exactly as GET /api/openapi.json serves it. */
export async function buildOpenApiDocument(): Promise<OpenAPI3> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  // Every request forks an EntityManager up front; the fork is only used by route handlers.
  const orm = { em: { fork: () => unavailable('orm.em') } } as unknown as AppDeps['orm'];
  const deps: AppDeps = { config, orm, temporal: unavailable('temporal'), search: unavailable('search'), log: createLogger('openapi-export', 'silent') };
  const app = buildApp(deps);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/openapi.json`);
    if (!res.ok) throw new Error(`GET /api/openapi.json answered ${res.status}`);
    return (await res.json()) as OpenAPI3;
  } finally {
    await new Promise((r) => server.close(r));
    server.closeAllConnections?.();
    await (app.locals.close as (() => Promise<void>) | undefined)?.();
  }
}

/** The TypeScript declarations openapi-fetch is typed with. */
export async function schemaTypesOf(doc: OpenAPI3): Promise<string> {
  // The server URL differs per environment and is not part of the types.
  const ast = await openapiTS({ ...doc, servers: [] }, { alphabetize: true });
  return HEADER + astToString(ast);
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const text = await schemaTypesOf(await buildOpenApiDocument());
  const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : null;
  if (check) {
    if (current === text) {
      console.log(`${path.relative(ROOT, SCHEMA_FILE)} is up to date`);
      return 0;
    }
    console.error(`${path.relative(ROOT, SCHEMA_FILE)} is out of date with the API: run npm run api:types`);
    return 1;
  }
  if (current === text) console.log(`${path.relative(ROOT, SCHEMA_FILE)} unchanged`);
  else {
    fs.writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(ROOT, SCHEMA_FILE)} (${text.length} characters)`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
