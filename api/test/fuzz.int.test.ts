import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pgArray } from '@mehrdesk/core/db';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Property-based test over the whole API: every operation of the served OpenAPI document gets
// requests generated from its own params, query and body schemas: mostly near-valid values (so
// the handlers run, not only the validators), with poison mixed in: NUL and lone surrogates,
// huge and unicode strings, numbers outside PostgreSQL's int4 range, floats, NaN-ish strings,
// impossible dates and years 0, 9999 and 10000, and wrong types. Every request runs alone, one
// after another, and must answer without a 5xx (or a hang); a 4xx must leave every table as it
// was (row count and row versions, `xmin`, of each table).
//
// Seeded: the seed is printed, and FUZZ_SEED=<seed> replays the same sequence. Bounded for
// `./mehrdesk test` (FUZZ_RUNS, default 800, and at most FUZZ_TIME_LIMIT_MS, default 45 s, of requests);
// `npm run fuzz:api` is the long run (FUZZ_RUNS=5000 FUZZ_SEED=random). Every distinct finding
// (operation + status) is collected and listed at the end, with the request that caused it.

const RUNS = Number(process.env.FUZZ_RUNS ?? 800);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? (process.env.FUZZ_RUNS ? 0 : 45_000));
const SEED = process.env.FUZZ_SEED === 'random' || process.env.FUZZ_SEED === '' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 20_261_202);
const REQUEST_TIMEOUT_MS = 30_000;
const INT4_MAX = 2_147_483_647;

// Operations not fuzzed, and why:
const EXCLUDED: Record<string, string> = {
  'GET /api/v1/events': 'a Server-Sent Events stream: it answers 200 and never ends by design',
  'POST /api/v1/auth/logout': 'revokes the very token the run uses (it takes no input to fuzz anyway)',
};

let h: Harness;
let doc: any;
type Role = 'admin' | 'agent' | 'customer';
const tokens: Record<Role, string> = { admin: '', agent: '', customer: '' };
/** Ids of records this file owns, per resource: requests only ever name these (or ids nothing has). */
const pools: Record<string, number[]> = {};
/** Users the run is logged in as: never changed or deleted (that would end the run's sessions). */
let protectedUsers = new Set<number>();
/** Records the run re-creates when a request deleted (or closed) them, so later requests still reach live ones. */
const RENEWABLE: Record<string, { gone: string; create: () => Promise<number> }> = {
  tickets: {
    gone: `select id from tickets where id = any(?::int[]) and (deleted_at is not null or status in ('closed', 'cancelled'))`,
    // As the customer, with nothing the run may have changed meanwhile (groups, agents, categories).
    create: async () => (await created(tokens.customer, 'POST', '/api/v1/tickets', { subject: 'Fuzz target', body: 'x' })).id,
  },
  tags: {
    gone: 'select x.id from unnest(?::int[]) x(id) where not exists (select 1 from tags t where t.id = x.id)',
    create: async () => (await created(tokens.admin, 'POST', '/api/v1/tags', { name: `fuzz-${Date.now()}` })).id,
  },
  macros: {
    gone: 'select x.id from unnest(?::int[]) x(id) where not exists (select 1 from macros m where m.id = x.id)',
    create: async () => (await created(tokens.admin, 'POST', '/api/v1/macros', { name: `Fuzz macro ${Date.now()}`, body: 'Canned', set: { priority: 'high' } })).id,
  },
  'kb-articles': {
    gone: 'select x.id from unnest(?::int[]) x(id) where not exists (select 1 from kb_articles a where a.id = x.id)',
    create: async () => (await created(tokens.admin, 'POST', '/api/v1/kb/articles', { translations: { en: { title: `Fuzz article ${Date.now()}`, bodyHtml: '<p>x</p>', status: 'published' } } })).id,
  },
  'kb-categories': {
    gone: 'select x.id from unnest(?::int[]) x(id) where not exists (select 1 from kb_categories c where c.id = x.id)',
    create: async () => (await created(tokens.admin, 'POST', '/api/v1/kb/categories', { names: { en: `Fuzz category ${Date.now()}` } })).id,
  },
  rules: {
    gone: 'select id from rules where id = any(?::int[]) and deleted_at is not null',
    create: async () =>
      (
        await created(tokens.admin, 'POST', '/api/v1/rules', {
          name: `Fuzz rule ${Date.now()}`,
          enabled: false,
          definition: {
            trigger: 'ticket.updated',
            conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'never-matches' }] },
            actions: [{ type: 'set_priority', params: { priority: 'low' } }],
          },
        })
      ).id,
  },
};

async function created(token: string, method: string, path: string, body?: unknown) {
  const res = await h.call(token, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** Swap used-up records in the pools for new ones (best effort: a pool keeps an old id when no new record can be made). */
async function replenish(): Promise<void> {
  for (const [resource, { gone, create }] of Object.entries(RENEWABLE)) {
    const rows = await h.orm.em.fork().execute<{ id: number }[]>(gone, [pgArray(pools[resource]!)]);
    for (const { id } of rows) {
      const fresh = await create().catch((err: unknown) => console.warn(`[fuzz] could not renew ${resource} ${id}: ${String(err).slice(0, 300)}`));
      if (fresh) pools[resource]![pools[resource]!.indexOf(id)] = fresh;
    }
  }
}
let fingerprintSql = '';
let globals: { templates: unknown[]; defaultPolicies: number[]; maxRuleId: number; maxWebhookId: number } | null = null;

// ---- poison -------------------------------------------------------------------------------------

const POISON_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00',
  '\udbff\udbff',
  '💥\u0000',
  '',
  ' ',
  '\t\n',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '-1',
  '0',
  '1.5',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '2147483647',
  '2147483648',
  '9007199254740993',
  '99999999999999999999',
  '-2147483649',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59-14:00',
  '10000-01-01T00:00:00Z',
  '+010000-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01',
  '1969-12-31T23:59:59Z',
  '0000-00-00',
  '9999-99-99',
  '24:00',
  '99:99',
  "'; drop table tickets; --",
  '%',
  '_',
  '\\',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'ي‌ك',
  'İ',
  'ß',
  '\u200f\u202e',
  '\ufeff',
  '\uffff',
];
const POISON_NUMBERS = [-1, 0, 0.5, 1.5, -0, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 31) - 1, 1e21, 1e308, Number.MAX_VALUE, Number.MIN_VALUE, -1e308];

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const poisonString = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...POISON_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(1_000, 10_001, 100_001, 300_000).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...POISON_STRINGS), fc.string({ maxLength: 10 })).map(([p, s]) => `${s}${p}${s}`) },
);
const poisonNumber = fc.oneof(fc.constantFrom(...POISON_NUMBERS), fc.double({ noNaN: true }), fc.integer());
const poisonOther = fc.constantFrom<unknown>(
  null,
  true,
  false,
  [],
  {},
  [[]],
  { a: { b: {} } },
  [null],
  ['\u0000'],
  { '\u0000': 1 },
  [2 ** 31],
  Array.from({ length: 600 }, (_, i) => i + 1),
);
const poison: fc.Arbitrary<unknown> = fc.oneof({ weight: 5, arbitrary: poisonString }, { weight: 3, arbitrary: poisonNumber }, { weight: 2, arbitrary: poisonOther });

const dateLike = fc.oneof(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '2026-03-01T08:00:00+03:30',
    '9999-12-31T23:59:59+14:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-14:00',
    '2026-02-30T00:00:00Z',
    '2024-02-29T00:00:00Z',
  ),
);

/** Realistic values for fields a random string would (almost) never get right, so their handlers run too. */
const NAMED_STRINGS: Record<string, string[]> = {
  timeZone: ['UTC', 'Asia/Tehran', 'Europe/Berlin', 'America/St_Johns', 'Mars/Olympus'],
  start: ['00:00', '09:00', '12:30', '23:59', '24:00', '99:99'],
  end: ['00:00', '17:00', '23:59', '24:00', '09:00'],
  date: ['2026-01-01', '2026-03-21', '2024-02-29', '2023-02-29', '2026-02-30', '0000-01-01', '9999-12-31'],
  url: ['https://example.com/hook', 'http://127.0.0.1/', 'http://[::127.0.0.1]/', 'http://[::ffff:10.0.0.1]/', 'ftp://example.com/', 'https://example.com:99999/'],
  email: ['someone@example.com', 'a@b', 'admin@mehrdesk.local'],
  password: ['correct horse battery staple', 'short'],
  deliveryId: ['whd_00000000000000000000000000000000'],
};

// ---- values from the document's schemas -----------------------------------------------------------

interface Ctx {
  /** The operation's path template, e.g. /api/v1/tickets/{id}/status. */
  op: string;
  /** The property or parameter name the value is for. */
  name: string;
}

const deref = (schema: any): any => (schema?.$ref ? deref(doc.components.schemas[schema.$ref.split('/').pop()]) : schema);

/** Which pool an id-like field draws from (or null: not an id). Unknown resources only get ids nothing has. */
function resourceOf(ctx: Ctx): string | null {
  const n = ctx.name;
  const [first, second] = ctx.op.replace('/api/v1/', '').split('/') as [string, string | undefined];
  // Knowledge base: /kb/<resource>/{id}; categories also by categoryId/parentId, in the public API too.
  if (first === 'kb' || first === 'public') {
    if (n === 'id' && first === 'kb') return `kb-${second}`;
    if (n === 'categoryId' || n === 'parentId') return 'kb-categories';
    if (n === 'versionId') return 'kb-versions';
  }
  if (n === 'id') return first;
  if (n === 'ids') return first === 'tickets' ? 'tickets' : first === 'rules' ? 'rules' : first === 'notifications' ? 'notifications' : 'none';
  if (/^(assignee|requester|supervisor|user|author|member)Ids?$/.test(n)) return 'users';
  if (/^(group|escalationGroup|defaultGroup)Ids?$/.test(n)) return 'groups';
  if (n === 'categoryId') return 'categories';
  if (n === 'slaPolicyId') return 'sla-policies';
  if (n === 'calendarId') return 'calendars';
  if (n === 'macroId') return 'macros';
  if (n === 'ruleId' || n === 'before') return 'rules';
  if (n === 'ticketId') return 'tickets';
  if (n === 'messageId') return 'messages';
  if (n === 'intoId') return 'tags';
  if (/Ids?$/.test(n)) return 'none';
  return null;
}

function idArb(resource: string): fc.Arbitrary<number> {
  const missing = fc.constantFrom(INT4_MAX, 999_999_999, 2_000_000_000);
  if (!pools[resource]) return missing;
  // Read the pool when the value is generated: replenish() swaps in new records for used-up ones.
  return fc.oneof({ weight: 4, arbitrary: fc.nat().map((i) => pools[resource]![i % pools[resource]!.length]!) }, { weight: 1, arbitrary: missing });
}

const safeRegex = (pattern: string): RegExp | null => {
  const [source, flags] =
    /^(.*)\/([a-z]*)$/.test(pattern) && pattern.startsWith('^') && pattern.includes('$/') ? [pattern.slice(0, pattern.lastIndexOf('/')), pattern.slice(pattern.lastIndexOf('/') + 1)] : [pattern, ''];
  try {
    return new RegExp(source, flags.includes('u') ? 'u' : '');
  } catch {
    return null;
  }
};

/** A value the schema (mostly) accepts; ids come from the pools. */
function valid(schemaIn: any, ctx: Ctx, depth = 0): fc.Arbitrary<unknown> {
  const schema = deref(schemaIn) ?? {};
  if (depth > 6) return fc.constant(null);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return fc.oneof(...alts.map((s: any) => valid(s, ctx, depth + 1)));
  if (schema.allOf) return valid(schema.allOf[0], ctx, depth + 1);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => valid({ ...schema, type: t }, ctx, depth)));
  switch (type[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const resource = resourceOf(ctx);
      if (resource) return idArb(resource);
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1000);
      return fc.oneof(fc.integer({ min, max: Math.min(max, min + 10) }), fc.integer({ min, max }), fc.constantFrom(min, max));
    }
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1000;
      const max = schema.maximum ?? schema.exclusiveMaximum ?? 1000;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: schema.exclusiveMinimum !== undefined, maxExcluded: schema.exclusiveMaximum !== undefined });
    }
    case 'string': {
      if (schema.format === 'date-time') return dateLike;
      const named = NAMED_STRINGS[ctx.name];
      if (named && !schema.enum) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...named) }, { weight: 1, arbitrary: valid({ ...schema, type: 'string' }, { ...ctx, name: '' }, depth) });
      if (schema.format === 'email') return fc.oneof(fc.emailAddress(), fc.constantFrom('someone@example.com', 'Someone@Example.COM'));
      const resource = resourceOf(ctx);
      if (schema.pattern) {
        if (schema.pattern === '^[1-9]\\d{0,9}$') return (resource ? idArb(resource) : fc.integer({ min: 1, max: 30 })).map(String);
        const re = safeRegex(schema.pattern);
        if (re) return fc.stringMatching(re, { size: 'xsmall' }).filter((s) => s.length <= (schema.maxLength ?? Infinity));
      }
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? 50;
      return fc.oneof(
        { weight: 6, arbitrary: fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 30)) }).filter((s) => s.trim().length >= Math.min(min, 1)) },
        { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, Math.min(max, 20)) }) },
        { weight: 1, arbitrary: fc.constantFrom('x'.repeat(max), 'ی'.repeat(max), 'x'.repeat(max + 1)) },
      );
    }
    case 'array': {
      const max = Math.min(schema.maxItems ?? 5, 5);
      return fc.array(valid(schema.items ?? {}, ctx, depth + 1), { minLength: Math.min(schema.minItems ?? 0, max), maxLength: Math.max(max, schema.minItems ?? 0) });
    }
    case 'object': {
      const props: Record<string, any> = schema.properties ?? {};
      if (Object.keys(props).length === 0) return ctx.name === 'definition' ? ruleDefinition : fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      const record = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valid(s, { ...ctx, name: k }, depth + 1)]));
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Rule definitions shaped like real ones (a random dictionary never gets past the shape check). */
const ruleDefinition: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.constantFrom('ticket.created', 'ticket.updated', 'message.received', 'sla.breached'),
    fc.constantFrom<[string, string, unknown]>(
      ['ticket.subject', 'textContains', 'invoice'],
      ['ticket.subject', 'matchesRegex', '^(a+)+$'],
      ['ticket.groupId', 'equal', 1],
      ['ticket.assigneeId', 'in', [1, 2]],
      ['ticket.priority', 'equal', 'high'],
      ['ticket.tags', 'containsAny', ['vip']],
      ['ticket.createdAt', 'greaterThan', 0],
    ),
    fc.constantFrom<Record<string, unknown>>(
      { type: 'set_priority', params: { priority: 'high' } },
      { type: 'add_tags', params: { tags: ['fuzz'] } },
      { type: 'assign_group', params: { groupId: 1 } },
      { type: 'add_note', params: { body: 'note' } },
      { type: 'set_field', params: { key: 'k', value: 'v' } },
      { type: 'send_email', params: { template: 'ticket_created', to: 'requester' } },
    ),
  )
  .map(([trigger, [fact, operator, value], action]) => ({ trigger, conditions: { all: [{ fact, operator, value }] }, actions: [action] }));

/** Replace one node of `value` (picked by `at`) with `by`; the root itself when there is nothing inside. */
function replaceAt(value: unknown, at: number, by: unknown): unknown {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (path.length) paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  if (paths.length === 0) return by;
  const path = paths[at % paths.length]!;
  const copy = structuredClone(value) as any;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  node[path.at(-1)!] = by;
  return copy;
}

// ---- requests -----------------------------------------------------------------------------------------

interface FuzzRequest {
  role: Role;
  method: string;
  template: string;
  path: string;
  body?: unknown;
  headers: Record<string, string>;
}

/** Percent-encoding that also carries lone surrogates (as the WTF-8 bytes a careless client would send). */
function encode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
    if (pair) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(s[i]!);
  }
  return out;
}
const asText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || v === null ? String(v) : JSON.stringify(v));

/** Where a request is poisoned: one node of its path, query or body replaced, an unknown field added, or the whole body replaced. */
interface Mutation {
  where: 'path' | 'query' | 'body';
  kind: 'replace' | 'unknown' | 'whole';
  at: number;
  by: unknown;
}

/** An optional value that is mostly absent (so a request with many optional parameters is not always invalid). */
const sometimes = (arb: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

function requestArb(method: string, template: string, op: any): fc.Arbitrary<FuzzRequest> {
  const params: any[] = op.parameters ?? [];
  const inPath = params.filter((p) => p.in === 'path');
  const inQuery = params.filter((p) => p.in === 'query');
  const inHeader = params.filter((p) => p.in === 'header');
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  const role = fc.constantFrom<Role>('admin', 'admin', 'admin', 'admin', 'agent', 'customer', 'customer');
  const pathArb = fc.tuple(...inPath.map((p) => valid(p.schema, { op: template, name: p.name })));
  const queryArb = fc.tuple(...inQuery.map((p) => (p.required ? valid(p.schema, { op: template, name: p.name }) : sometimes(valid(p.schema, { op: template, name: p.name })))));
  const latin1 = fc
    .integer({ min: 0x20, max: 0xff })
    .filter((c) => c !== 0x7f)
    .map((c) => String.fromCharCode(c));
  const headerValue = fc.oneof(fc.string({ unit: latin1, maxLength: 250 }), fc.constantFrom('x'.repeat(200), 'x'.repeat(201), 'key-1'));
  const headerArb = fc.tuple(...inHeader.map(() => sometimes(headerValue)));
  const bodyArb = bodySchema ? valid(bodySchema, { op: template, name: 'body' }) : fc.constant(undefined);
  const targets: Mutation['where'][] = [...(inPath.length ? ['path' as const] : []), 'query', ...(bodySchema ? ['body' as const] : [])];
  const mutation = fc.record({ where: fc.constantFrom(...targets), kind: fc.constantFrom<Mutation['kind']>('replace', 'replace', 'replace', 'replace', 'unknown', 'whole'), at: fc.nat(), by: poison });
  const mutations = fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) });

  return fc.record({ role, pathValues: pathArb, queryValues: queryArb, headerValues: headerArb, body: bodyArb, mutations }).map(({ role, pathValues, queryValues, headerValues, body, mutations }) => {
    let query: Record<string, unknown> = Object.fromEntries(inQuery.map((p, i) => [p.name, queryValues[i]]).filter(([, v]) => v !== undefined));
    const pathOut: unknown[] = [...pathValues];
    for (const m of mutations) {
      if (m.where === 'path') pathOut[m.at % pathOut.length] = m.by;
      else if (m.where === 'query') {
        const name = m.kind === 'unknown' || inQuery.length === 0 ? 'zzz' : inQuery[m.at % inQuery.length].name;
        query = { ...query, [name]: m.kind === 'replace' && name in query ? replaceAt(query[name], m.at, m.by) : m.by };
      } else if (m.kind === 'whole') body = m.by;
      else if (m.kind === 'unknown') body = body && typeof body === 'object' && !Array.isArray(body) ? { ...body, [['zzz', '__proto__', 'constructor', 'x\u0000'][m.at % 4]!]: m.by } : m.by;
      else body = replaceAt(body, m.at, m.by);
    }
    let path = template;
    inPath.forEach((p, i) => (path = path.replace(`{${p.name}}`, encode(asText(pathOut[i])) || '%20')));
    const qs = Object.entries(query ?? {})
      .flatMap(([k, v]) => (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null) ? v.map((x) => `${k}=${encode(asText(x))}`) : [`${k}=${encode(asText(v))}`]))
      .join('&');
    const headers = Object.fromEntries(inHeader.map((p, i) => [p.name, headerValues[i]]).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const req: FuzzRequest = { role, method: method.toUpperCase(), template, path: qs ? `${path}?${qs}` : path, headers, ...(bodySchema ? { body } : {}) };
    return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) });
  });
}

const truncate = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
function describeRequest(r: FuzzRequest): string {
  return `${r.method} ${truncate(r.path, 300)} as ${r.role}${Object.keys(r.headers).length ? ` headers ${truncate(JSON.stringify(r.headers), 120)}` : ''}${r.body !== undefined ? ` body ${truncate(JSON.stringify(r.body) ?? 'undefined')}` : ''}`;
}

async function send(r: FuzzRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(`${h.baseUrl}${r.path}`, {
    method: r.method,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { authorization: `Bearer ${tokens[r.role]}`, ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}), ...r.headers },
    body: r.body === undefined ? undefined : JSON.stringify(r.body),
  });
  return { status: res.status, text: await res.text() };
}

/** Row count and the sum of row versions (xmin) of every table: equal means nothing was written. */
async function fingerprint(): Promise<Record<string, string>> {
  const [row] = await h.orm.em.fork().execute<Record<string, string>[]>(fingerprintSql);
  return row!;
}
const changedTables = (a: Record<string, string>, b: Record<string, string>) => Object.keys(a).filter((k) => a[k] !== b[k]);

/** Wait until the background work a successful write started (workflow activities, e-mails, notifications) is done. */
async function settle(timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await fingerprint();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await fingerprint();
    if (changedTables(last, now).length === 0) return;
    last = now;
  }
}

// ---- the run ------------------------------------------------------------------------------------------

beforeAll(async () => {
  h = await startHarness();
  tokens.admin = await h.login(h.fx.users.admin.email);
  tokens.agent = await h.login(h.fx.users.agent1.email);
  tokens.customer = await h.login(h.fx.users.customer.email);
  protectedUsers = new Set([h.fx.users.admin.id, h.fx.users.agent1.id, h.fx.users.customer.id]);
  const r = await h.call(null, 'GET', '/api/openapi.json');
  expect(r.status).toBe(200);
  doc = r.body;

  // Records the run may name: its own tickets, tags, macro, rule; the fixture's users, groups, category, policy, calendar.
  const call = created;
  const suffix = h.fx.suffix;
  const tickets = [
    await call(tokens.customer, 'POST', '/api/v1/tickets', { subject: 'Fuzz target', body: '<p>Hello</p>', categoryId: h.fx.categoryId }),
    await call(tokens.admin, 'POST', '/api/v1/tickets', { subject: 'Fuzz target 2', body: 'x', groupId: h.fx.groups.support, tags: [`fz-${suffix}`] }),
    await call(tokens.admin, 'POST', '/api/v1/tickets', { subject: 'Fuzz target 3', body: 'y', requesterId: h.fx.users.customer.id, assigneeId: h.fx.users.agent1.id, groupId: h.fx.groups.support }),
  ];
  await eventually(async () => {
    const rows = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from tickets where id = any(?::int[]) and workflow_started_at is not null', [pgArray(tickets.map((t) => t.id))]);
    return Number(rows[0]!.n) === tickets.length;
  }, 'workflows of the fuzz tickets');
  const message = await call(tokens.agent, 'POST', `/api/v1/tickets/${tickets[0].id}/messages`, { body: 'A reply' });
  const tag = await call(tokens.admin, 'POST', '/api/v1/tags', { name: `fuzz-${suffix}`, colour: '#123456' });
  const u = h.fx.users;
  Object.assign(pools, {
    tickets: tickets.map((t) => t.id),
    users: [u.admin.id, u.supervisor.id, u.agent1.id, u.agent2.id, u.tier2.id, u.outsider.id, u.customer.id, u.customer2.id],
    groups: Object.values(h.fx.groups),
    categories: [h.fx.categoryId, h.fx.otherCategoryId],
    'sla-policies': [h.fx.policyId],
    calendars: [h.fx.calendarId],
    tags: [tag.id, await RENEWABLE.tags!.create()],
    macros: [await RENEWABLE.macros!.create()],
    rules: [await RENEWABLE.rules!.create()],
    messages: [message.id],
    'kb-categories': [await RENEWABLE['kb-categories']!.create()],
    'kb-articles': [await RENEWABLE['kb-articles']!.create()],
  });
  const kbVersions = await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${pools['kb-articles']![0]}/versions`);
  pools['kb-versions'] = kbVersions.body.items.map((v: { id: number }) => v.id);

  const tables = await h.orm.em.fork().execute<{ tablename: string }[]>(
    // ticket_presence: entries expire and are swept by a timer, whatever the requests do.
    `select tablename from pg_tables where schemaname = 'public' and tablename not in ('ticket_presence', 'mikro_orm_migrations') order by tablename`,
  );
  fingerprintSql = `select ${tables.map(({ tablename: t }) => `(select count(*) || '/' || coalesce(sum(xmin::text::bigint), 0) from "${t}") as "${t}"`).join(', ')}`;

  // Settings every later test file shares: put back in afterAll.
  const em = h.orm.em.fork();
  globals = {
    templates: await em.execute('select * from email_templates'),
    defaultPolicies: (await em.execute<{ id: number }[]>('select id from sla_policies where is_default')).map((p) => p.id),
    maxRuleId: Number((await em.execute<{ m: number | null }[]>('select max(id) as m from rules'))[0]!.m ?? 0),
    maxWebhookId: Number((await em.execute<{ m: number | null }[]>('select max(id) as m from webhook_subscriptions'))[0]!.m ?? 0),
  };
  await settle();
});

afterAll(async () => {
  if (h && globals) {
    await h.orm.em.fork().transactional(async (tx) => {
      await tx.execute('delete from email_templates');
      for (const t of globals!.templates as Record<string, unknown>[])
        await tx.execute(
          `insert into email_templates (${Object.keys(t).join(', ')}) values (${Object.keys(t)
            .map(() => '?')
            .join(', ')})`,
          Object.values(t),
        );
      await tx.execute('update sla_policies set is_default = (id = any(?::int[]))', [pgArray(globals!.defaultPolicies)]);
      await tx.execute('update rules set enabled = false, deleted_at = coalesce(deleted_at, now()) where id > ?', [globals!.maxRuleId]);
      await tx.execute('update rule_set_state set version = version + 1, updated_at = now() where id = 1');
      await tx.execute('update webhook_subscriptions set active = false where id > ?', [globals!.maxWebhookId]);
      await tx.execute('delete from settings'); // admin choices (e.g. inbound strangerReplies): back to the environment's defaults
    });
  }
  await h?.close();
});

interface Finding {
  kind: string;
  example: string;
  response: string;
  count: number;
}

describe('fuzzing every operation of the OpenAPI document', () => {
  it(
    `never answers 5xx, and writes nothing when it answers 4xx (seed ${SEED})`,
    async () => {
      const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([template, item]) =>
        Object.entries(item)
          .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .filter(([method]) => !(`${method.toUpperCase()} ${template}` in EXCLUDED))
          .map(([method, op]) => ({ method, template, op })),
      );
      expect(operations.length).toBeGreaterThan(80);
      console.log(`[fuzz] seed ${SEED}: ${RUNS} runs${TIME_LIMIT_MS ? ` (at most ${TIME_LIMIT_MS} ms)` : ''} over ${operations.length} operations; replay with FUZZ_SEED=${SEED}`);

      const findings = new Map<string, Finding>();
      const statuses: Record<string, number> = {};
      const succeeded = new Set<string>();
      let runs = 0;
      const note = (kind: string, r: FuzzRequest, response: string) => {
        const f = findings.get(kind);
        if (f) f.count++;
        else findings.set(kind, { kind, example: describeRequest(r), response: truncate(response, 600), count: 1 });
      };

      const arb = fc.oneof(...operations.map(({ method, template, op }) => requestArb(method, template, op)));
      const property = fc.asyncProperty(arb, async (r) => {
        // Changing or deleting the users the run is logged in as would end its sessions.
        const target = /^\/api\/v1\/users\/(\d+)(?:\?|$)/.exec(r.path)?.[1];
        if (target && r.method !== 'GET' && protectedUsers.has(Number(target))) return;
        runs++;
        const label = `${r.method} ${r.template}`;
        const before = await fingerprint();
        let res: { status: number; text: string };
        try {
          res = await send(r);
        } catch (err) {
          note(`${label}: no answer (${(err as Error).name})`, r, String(err));
          return;
        }
        const cls = `${Math.floor(res.status / 100)}xx`;
        statuses[cls] = (statuses[cls] ?? 0) + 1;
        if (res.status >= 500) return note(`${label}: ${res.status}`, r, res.text);
        if (res.status < 300) {
          succeeded.add(label);
          if (r.method !== 'GET') {
            await settle();
            await replenish();
            await settle();
          }
          return;
        }
        const after = await fingerprint();
        if (changedTables(before, after).length === 0) return;
        // Something changed: background work of an earlier request, or this one? Ask again, alone.
        await settle();
        const again = await fingerprint();
        const retry = await send(r);
        const changed = changedTables(again, await fingerprint());
        if (retry.status >= 400 && retry.status < 500 && changed.length) note(`${label}: ${retry.status} but wrote to ${changed.join(', ')}`, r, retry.text);
      });
      await fc.assert(property, { seed: SEED, numRuns: RUNS, ...(TIME_LIMIT_MS ? { interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false } : {}) });

      console.log(
        `[fuzz] seed ${SEED}: ${runs} requests, ${JSON.stringify(statuses)}; ${succeeded.size} operations answered 2xx at least once; ` +
          `never 2xx: ${
            operations
              .map((o) => `${o.method.toUpperCase()} ${o.template}`)
              .filter((l) => !succeeded.has(l))
              .join(', ') || 'none'
          }`,
      );
      const report = [...findings.values()].map((f) => `${f.kind} (×${f.count})\n    request: ${f.example}\n    answer: ${f.response}`);
      expect(report, `findings with FUZZ_SEED=${SEED}:\n${report.join('\n')}`).toEqual([]);
    },
    TIME_LIMIT_MS ? TIME_LIMIT_MS + 120_000 : 6 * 3600_000,
  );
});
