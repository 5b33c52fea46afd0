import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './testing/harness';
import { buildOpenApiDocument, SCHEMA_FILE, schemaTypesOf } from './openapi-export';

// The console's API client is typed by web/src/api/schema.d.ts. This fails when that file no
// longer matches what the API serves at /api/openapi.json, so the client cannot drift from the
// API: regenerate it with `npm run api:types` and commit it with the API change.

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.close();
});

describe('typed API client', () => {
  it('web/src/api/schema.d.ts is generated from the served OpenAPI document (run npm run api:types if this fails)', async () => {
    const res = await h.call(null, 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const expected = await schemaTypesOf(res.body);
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    expect(committed === expected, 'web/src/api/schema.d.ts is out of date with /api/openapi.json: run `npm run api:types`').toBe(true);
  });

  it('the exporter builds the same document without any service running', async () => {
    const served = (await h.call(null, 'GET', '/api/openapi.json')).body;
    const offline = await buildOpenApiDocument();
    expect({ ...offline, servers: [] }).toEqual({ ...served, servers: [] });
  });
});
