import { ESLint, type Linter } from 'eslint';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// Proves the rules/src part of eslint.config.js: no I/O, no host clock or randomness, and only
// json-rules-engine, re2-wasm, zod, luxon, @mehrdesk/core/domain and relative modules imported.

const repo = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: repo });
});

async function lint(code: string, file = '__probe__.ts'): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repo}/rules/src/${file}` });
  expect(result, 'lintText returned no result (file ignored?)').toBeDefined();
  // A parse error would make every "does not fire" assertion pass vacuously.
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages;
}

const byRule = (messages: Linter.LintMessage[], ruleId: string) => messages.filter((m) => m.ruleId === ruleId);

it('rules/src is linted with the determinism rules as errors', async () => {
  const file = `${repo}/rules/src/__probe__.ts`;
  expect(await eslint.isPathIgnored(file)).toBe(false);
  const config = await eslint.calculateConfigForFile(file);
  for (const rule of ['no-restricted-imports', 'no-restricted-globals', 'no-restricted-properties', 'no-restricted-syntax']) {
    expect(config.rules[rule]?.[0], rule).toBe(2);
  }
});

describe('forbidden imports are reported once, with the reason', () => {
  it.each([
    ["import fs from 'node:fs';", /Node built-ins/],
    ["import fs from 'fs';", /Node built-ins/],
    ["import { readFile } from 'fs/promises';", /Node built-ins/],
    ["import { createHash } from 'crypto';", /Node built-ins/],
    ["import express from 'express';", /Temporal, the ORM and I\/O libraries/],
    ["import { Router } from 'express/lib/router';", /Temporal, the ORM and I\/O libraries/],
    ["import { proxyActivities } from '@temporalio/workflow';", /Temporal, the ORM and I\/O libraries/],
    ["import { ApplicationFailure } from '@temporalio/common';", /Temporal, the ORM and I\/O libraries/],
    ["import type { Client } from '@temporalio/client';", /Temporal, the ORM and I\/O libraries/],
    ["import { MikroORM } from '@mikro-orm/core';", /Temporal, the ORM and I\/O libraries/],
    ["import pg from 'pg';", /Temporal, the ORM and I\/O libraries/],
    ["import nodemailer from 'nodemailer';", /Temporal, the ORM and I\/O libraries/],
    ["import pino from 'pino';", /Temporal, the ORM and I\/O libraries/],
    ["import axios from 'axios';", /Temporal, the ORM and I\/O libraries/],
    ["import _ from 'lodash';", /Only relative modules and json-rules-engine, re2-wasm, zod, luxon, @mehrdesk\/core\/domain/],
    ["import { Ticket } from '@mehrdesk/core/db';", /Only relative modules/],
    ["import { loadConfig } from '@mehrdesk/core/config';", /Only relative modules/],
    ["import { ticketLifecycle } from '@mehrdesk/workflows';", /Only relative modules/],
    ["import { RE2 } from 're2';", /Only relative modules/],
    ["export * from 'node:fs';", /Node built-ins/],
  ])('%s', async (code, reason) => {
    const messages = byRule(await lint(`${code}\n`), 'no-restricted-imports');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.severity).toBe(2);
    expect(messages[0]!.message).toMatch(reason);
    expect(messages[0]!.message).toMatch(/deterministic and free of I\/O/);
  });
});

describe('allowed imports', () => {
  it.each([
    "import { Engine } from 'json-rules-engine';",
    "import { RE2 } from 're2-wasm';",
    "import { z } from 'zod';",
    "import { z } from 'zod/v4';",
    "import { DateTime } from 'luxon';",
    "import { isOpenAt } from '@mehrdesk/core/domain';",
    "import { FACTS } from './facts';",
    "import { x } from '../src/facts';",
  ])('%s', async (code) => {
    expect(byRule(await lint(`${code}\n`), 'no-restricted-imports')).toEqual([]);
  });
});

describe('no clock, randomness, environment or dynamic import', () => {
  it('Date.now(), performance.now(), Math.random() and new Date() are errors; new Date(ms) is fine', async () => {
    const code = 'export const t = [Date.now(), performance.now(), Math.random(), new Date(), new Date(0), Date()];\n';
    const messages = await lint(code);
    const col = (s: string) => code.indexOf(s) + 1;
    expect(byRule(messages, 'no-restricted-properties').map((m) => m.column)).toEqual([col('Date.now'), col('performance.now'), col('Math.random')]);
    expect(byRule(messages, 'no-restricted-syntax').map((m) => m.column)).toEqual([col('new Date()'), col('Date()]')]);
    expect(byRule(messages, 'no-restricted-properties')[0]!.message).toMatch(/context\.now/);
  });

  it.each([
    ['no-restricted-globals', 'export const env = process.env.X;'],
    ['no-restricted-globals', "export const r = fetch('x');"],
    ['no-restricted-properties', "export const r = globalThis.fetch('x');"],
    ['no-restricted-syntax', "export const m = () => import('node:fs');"],
  ])('%s: %s', async (rule, code) => {
    expect(byRule(await lint(`${code}\n`), rule)).toHaveLength(1);
  });

  it('tests in rules/src may use Node and the clock', async () => {
    const code = "import fs from 'node:fs';\nexport const x = [fs, Date.now(), process.env.X];\n";
    expect(await lint(code, '__probe__.unit.test.ts')).toEqual([]);
  });
});

it('the package sources themselves pass', async () => {
  const results = await eslint.lintFiles([`${repo}/rules/src`]);
  expect(results.length).toBeGreaterThan(10);
  expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId} ${m.message}`))).toEqual([]);
});
