import { ESLint, type Linter } from 'eslint';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// Proves the determinism rules of eslint.config.js fire where they must (workflow code and
// core/src/domain) and stay silent where they must not (worker, tests, allowed imports).

const repo = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: repo });
});

const DETERMINISTIC_DIRS = ['workflows/src', 'core/src/domain'] as const;

async function lint(dir: string, code: string, file = '__probe__.ts'): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repo}/${dir}/${file}` });
  expect(result, 'lintText returned no result (file ignored?)').toBeDefined();
  // A parse error would make every "does not fire" assertion below pass vacuously.
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages;
}

const byRule = (messages: Linter.LintMessage[], ruleId: string) => messages.filter((m) => m.ruleId === ruleId);

describe('the probe paths are really linted with the expected config', () => {
  it.each(DETERMINISTIC_DIRS)('%s: not ignored, determinism rules enabled as errors', async (dir) => {
    const file = `${repo}/${dir}/__probe__.ts`;
    expect(await eslint.isPathIgnored(file)).toBe(false);
    const config = await eslint.calculateConfigForFile(file);
    for (const rule of ['no-restricted-imports', 'no-restricted-globals', 'no-restricted-properties']) {
      expect(config.rules[rule]?.[0], rule).toBe(2);
    }
  });

  it('worker/src: linted, with the layer rule but without the determinism rules', async () => {
    const file = `${repo}/worker/src/__probe__.ts`;
    expect(await eslint.isPathIgnored(file)).toBe(false);
    const config = await eslint.calculateConfigForFile(file);
    expect(config.rules['no-restricted-globals']?.[0] ?? 0).toBe(0);
    expect(byRule(await lint('worker/src', "import { Liquid } from 'liquidjs';\nimport ipaddr from 'ipaddr.js';\nexport { Liquid, ipaddr };\n"), 'no-restricted-imports')).toEqual([]);
    expect(config.rules['@typescript-eslint/no-explicit-any']?.[0]).toBe(2);
  });

  it('node_modules, .tools and .data are ignored', async () => {
    for (const p of ['node_modules/x/index.ts', '.tools/x.ts', '.data/x.ts', 'core/dist/x.ts']) {
      expect(await eslint.isPathIgnored(`${repo}/${p}`), p).toBe(true);
    }
  });
});

describe.each(DETERMINISTIC_DIRS)('%s: forbidden imports', (dir) => {
  it.each([
    ["import fs from 'node:fs';", 'node:fs'],
    ["import fs from 'fs';", 'fs'],
    ["import { readFile } from 'fs/promises';", 'fs/promises'],
    ["import { createHash } from 'crypto';", 'crypto'],
    ["import { setTimeout } from 'node:timers/promises';", 'node:timers/promises'],
    ["import * as cp from 'child_process';", 'child_process'],
    ["import { MikroORM } from '@mikro-orm/core';", '@mikro-orm/core'],
    ["import { EntityManager } from '@mikro-orm/postgresql';", '@mikro-orm/postgresql'],
    ["import nodemailer from 'nodemailer';", 'nodemailer'],
    ["import { Client } from '@temporalio/client';", '@temporalio/client'],
    ["import { Worker } from '@temporalio/worker';", '@temporalio/worker'],
    ["import { Context } from '@temporalio/activity';", '@temporalio/activity'],
    ["import pg from 'pg';", 'pg'],
    ["import express from 'express';", 'express'],
    ["import pino from 'pino';", 'pino'],
    ["import { request } from 'undici';", 'undici'],
    ["import axios from 'axios';", 'axios'],
    ["import { loadConfig } from '@mehrdesk/core/config';", '@mehrdesk/core/config'],
    ["import { Ticket } from '@mehrdesk/core/db';", '@mehrdesk/core/db'],
    ["export * from 'node:fs';", 'node:fs (re-export)'],
    ["import type { Client } from '@temporalio/client';", '@temporalio/client (type-only)'],
  ])('%s', async (code, name) => {
    const messages = byRule(await lint(dir, `${code}\n`), 'no-restricted-imports');
    expect(messages, name).toHaveLength(1);
    expect(messages[0]!.severity).toBe(2);
    expect(messages[0]!.line).toBe(1);
    // The message explains why, not just what.
    expect(messages[0]!.message).toMatch(/deterministic and free of I\/O/);
  });

  it('dynamic import() is forbidden', async () => {
    const messages = byRule(await lint(dir, "export const load = () => import('node:fs');\n"), 'no-restricted-syntax');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.message).toMatch(/deterministic/);
  });

  it.each([
    ['process', 'export const env = process.env.NODE_ENV;'],
    ['fetch', "export const r = fetch('https://example.com');"],
    ['require', "export const m = require('fs');"],
  ])('global %s is forbidden', async (name, code) => {
    const messages = byRule(await lint(dir, `${code}\n`), 'no-restricted-globals');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.message).toContain(`"${name}"`);
  });

  it('globalThis.fetch is forbidden', async () => {
    const messages = byRule(await lint(dir, "export const r = globalThis.fetch('x');\n"), 'no-restricted-properties');
    expect(messages).toHaveLength(1);
  });
});

describe.each(DETERMINISTIC_DIRS)('%s: allowed imports do not trigger the rule', (dir) => {
  it.each([
    "import { condition } from '@temporalio/workflow';",
    "import { SearchAttributeType } from '@temporalio/common';",
    "import { canTransition, type TicketStatus } from '@mehrdesk/core/domain';",
    "import type { SlaWrite } from '@mehrdesk/workflows/activity-contracts';",
    "import { IANAZone } from 'luxon';",
    "import { schedule } from './sla';",
  ])('%s', async (code) => {
    expect(byRule(await lint(dir, `${code}\n`), 'no-restricted-imports')).toEqual([]);
  });

  it('a mixed file reports exactly the forbidden import', async () => {
    const code = ["import { condition } from '@temporalio/workflow';", "import fs from 'node:fs';", "import { can } from '@mehrdesk/core/domain';", ''].join('\n');
    const messages = byRule(await lint(dir, code), 'no-restricted-imports');
    expect(messages.map((m) => m.line)).toEqual([2]);
  });
});

describe('clock and randomness', () => {
  const code = 'export const t = [Date.now(), new Date(), Math.random(), new Date(0)];\n';

  it('core/src/domain forbids Date.now(), new Date() and Math.random() but allows new Date(ms)', async () => {
    const messages = await lint('core/src/domain', code);
    const props = byRule(messages, 'no-restricted-properties').map((m) => m.column);
    const syntax = byRule(messages, 'no-restricted-syntax').map((m) => m.column);
    const col = (s: string) => code.indexOf(s) + 1;
    expect(props).toEqual([col('Date.now'), col('Math.random')]);
    expect(syntax).toEqual([col('new Date()')]); // not new Date(0): an explicit instant is fine
  });

  it('workflows/src may use Date.now() (the Temporal sandbox makes it deterministic)', async () => {
    const messages = await lint('workflows/src', code);
    expect(byRule(messages, 'no-restricted-properties')).toEqual([]);
    expect(byRule(messages, 'no-restricted-syntax')).toEqual([]);
  });
});

describe('outside the deterministic code the rules do not apply', () => {
  const io = "import fs from 'node:fs';\nimport nodemailer from 'nodemailer';\nimport { MikroORM } from '@mikro-orm/core';\nexport const x = [fs, nodemailer, MikroORM, process.env.X];\n";

  it.each(['worker/src', 'worker/src/activities', 'api/src', 'scripts/src'])('%s', async (dir) => {
    const messages = await lint(dir, io);
    expect(messages.filter((m) => m.ruleId?.startsWith('no-restricted-'))).toEqual([]);
    expect(messages).toEqual([]);
  });

  it.each(['workflows/src', 'core/src/domain'])('tests in %s may use Node built-ins', async (dir) => {
    const messages = await lint(dir, io, '__probe__.unit.test.ts');
    expect(messages).toEqual([]);
  });
});

describe('general TypeScript rules', () => {
  it('flags explicit any in product code but not in tests', async () => {
    const code = 'export const f = (x: any) => x;\n';
    expect(byRule(await lint('worker/src', code), '@typescript-eslint/no-explicit-any')).toHaveLength(1);
    expect(byRule(await lint('worker/src', code, '__probe__.unit.test.ts'), '@typescript-eslint/no-explicit-any')).toEqual([]);
  });

  it('flags unused variables unless prefixed with _', async () => {
    const messages = byRule(await lint('api/src', 'export function f(_a: number, b: number) { const _c = 1; const d = 2; }\n'), '@typescript-eslint/no-unused-vars');
    expect(messages.map((m) => m.message.match(/'(\w+)'/)?.[1])).toEqual(['b', 'd']);
  });
});

describe('layers: imports run one way', () => {
  const fired = async (dir: string, source: string) => byRule(await lint(dir, `import { x } from '${source}';\nexport { x };\n`), 'no-restricted-imports');

  it.each([
    ['api/src', '@mehrdesk/worker/email/mailer'],
    ['api/src', '@mehrdesk/scripts/testing/harness'],
    ['worker/src', '@mehrdesk/api/tickets/service'],
    ['usecases/src/email', '@mehrdesk/worker/email/mailer'],
    ['usecases/src', '@mehrdesk/api'],
    ['search/src', '@mehrdesk/usecases/email/templates'],
    ['core/src/services', '@mehrdesk/rules'],
    ['core/src/services', '@mehrdesk/workflows/contracts'],
  ])('%s may not import %s', async (dir, source) => {
    const messages = await fired(dir, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.message).toContain('Imports run one way');
  });

  it.each([
    ['api/src', '@mehrdesk/usecases/email/templates'],
    ['worker/src', '@mehrdesk/usecases/webhooks/ssrf'],
    ['usecases/src', '@mehrdesk/rules'],
    ['usecases/src', '@mehrdesk/core/services/settings'],
    ['api/src', '@mehrdesk/search'],
  ])('%s may import %s', async (dir, source) => {
    expect(await fired(dir, source)).toEqual([]);
  });

  it('tests are outside the layers (they drive whole stacks)', async () => {
    expect(byRule(await lint('api/src', "import { x } from '@mehrdesk/scripts/testing/harness';\nexport { x };\n", '__probe__.unit.test.ts'), 'no-restricted-imports')).toEqual([]);
  });
});
