import { Router, type Response } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { stringify } from 'csv-stringify';
import { AUDIT_ACTOR_KINDS, AuditSettings, auditSettings, saveAuditSettings } from '@mehrdesk/core/services/audit';
import type { AppDeps } from '../deps';
import { unprocessable } from '../http/errors';
import { instant } from '../http/instant';
import { pathId } from '../http/params';
import { defineRoute } from '../http/route';
import { settingRoutes } from '../admin/setting-routes';

// The audit log for admins (X4): entries newest first with filters and a cursor, the same
// selection as a CSV download, and the retention setting. Entries are append-only, so a keyset
// cursor on the id never shows a row twice or skips one: rows committed after the first page
// have larger ids and never fall behind the cursor.

const tags = ['admin: audit log'];

const AuditQueryFields = {
  actorId: pathId.optional().describe('Entries by this user (for an API key: the key’s user)'),
  actorKind: z.enum(AUDIT_ACTOR_KINDS).optional(),
  action: z
    .string()
    .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$/, 'must be an action such as rule.updated, or a prefix ending in a dot such as rule.')
    .max(64)
    .optional()
    .describe('An action (`user.role_changed`), or every action under a prefix ending in a dot (`rule.`)'),
  targetType: z
    .string()
    .regex(/^[a-z0-9_]{1,32}$/, 'must be a target type such as rule or user')
    .optional(),
  targetId: z.string().min(1).max(64).optional().describe('With or without targetType: the id of the changed record (`7`, `ticket_created/en` for a template)'),
  from: instant.optional().describe('At or after this instant'),
  to: instant.optional().describe('Before this instant'),
  q: z.string().trim().min(1).max(254).optional().describe('Part of the actor’s e-mail'),
};
const refineRange = <T extends { from?: string; to?: string }>(q: T) => !(q.from && q.to && Date.parse(q.from) > Date.parse(q.to));
const rangeError = { message: 'must not be before from', path: ['to'] };

const ListQuery = z
  .object({
    ...AuditQueryFields,
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page (same filters)'),
  })
  .strict()
  .refine(refineRange, rangeError);
const ExportQuery = z.object(AuditQueryFields).strict().refine(refineRange, rangeError);
type Filters = z.infer<typeof ExportQuery>;

const EntryDto = z
  .object({
    id: z.string().describe('Increases with every entry (a 64-bit integer, as text)'),
    at: z.string(),
    actor: z.object({
      kind: z.enum(AUDIT_ACTOR_KINDS),
      id: z.number().int().nullable(),
      email: z.string().nullable().describe('At the time of the entry'),
      apiKeyId: z.number().int().nullable(),
    }),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    clientAddress: z.string().nullable(),
    requestId: z.string().nullable(),
    before: z.unknown().describe('The record before the change (null for a creation); secrets are redacted'),
    after: z.unknown().describe('The record after the change (null for a deletion)'),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'AuditEntry' });
type EntryDtoT = z.infer<typeof EntryDto>;

const AuditSettingsBody = AuditSettings.meta({ id: 'AuditSettingsRequest' });
const AuditSettingsDto = z
  .object({
    retentionDays: z.number().int(),
    source: z.enum(['default', 'admin']).describe('`default`: AUDIT_RETENTION_DAYS, no admin has chosen; `admin`: stored by an admin'),
  })
  .meta({ id: 'AuditSettings' });

interface Row {
  id: string;
  at: Date;
  actor_kind: EntryDtoT['actor']['kind'];
  actor_id: number | null;
  actor_email: string | null;
  api_key_id: number | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  client_address: string | null;
  request_id: string | null;
  before: unknown;
  after: unknown;
  detail: Record<string, unknown> | null;
}

const toDto = (r: Row): EntryDtoT => ({
  id: String(r.id),
  at: new Date(r.at).toISOString(),
  actor: { kind: r.actor_kind, id: r.actor_id, email: r.actor_email, apiKeyId: r.api_key_id },
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  clientAddress: r.client_address,
  requestId: r.request_id,
  before: r.before,
  after: r.after,
  detail: r.detail,
});

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const BIGINT_MAX = 9223372036854775807n;

/** Opaque cursor: the last entry's id (bigint, kept as text). */
const encodeCursor = (id: string) => Buffer.from(JSON.stringify({ before: id })).toString('base64url');
function decodeCursor(cursor: string): string {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const before = (v as { before?: unknown } | null)?.before;
    if (typeof before === 'string' && /^[1-9]\d{0,18}$/.test(before) && BigInt(before) <= BIGINT_MAX) return before;
  } catch {
    /* fall through */
  }
  throw unprocessable('Invalid cursor', [{ path: 'query.cursor', message: 'Not a cursor returned by this API' }]);
}

/** The where clause for the filters, and the id to page below (exclusive). */
function whereOf(f: Filters, beforeId: string | null): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (f.actorId !== undefined) add('actor_id = ?', f.actorId);
  if (f.actorKind) add('actor_kind = ?', f.actorKind);
  if (f.action) {
    if (f.action.endsWith('.')) add(`action like ? escape '\\'`, `${escapeLike(f.action)}%`);
    else add('action = ?', f.action);
  }
  if (f.targetType) add('target_type = ?', f.targetType);
  if (f.targetId) add('target_id = ?', f.targetId);
  if (f.from) add('at >= ?::timestamptz', f.from);
  if (f.to) add('at < ?::timestamptz', f.to);
  if (f.q) add(`actor_email ilike ? escape '\\'`, `%${escapeLike(f.q)}%`);
  if (beforeId) add('id < ?::bigint', beforeId);
  return { sql: where.length ? `where ${where.join(' and ')}` : '', params };
}

async function page(em: EntityManager, f: Filters, beforeId: string | null, limit: number): Promise<Row[]> {
  const { sql, params } = whereOf(f, beforeId);
  return em.execute<Row[]>(`select * from audit_log ${sql} order by id desc limit ?`, [...params, limit]);
}

const CSV_COLUMNS = ['id', 'at', 'actor_kind', 'actor_id', 'actor_email', 'api_key_id', 'action', 'target_type', 'target_id', 'client_address', 'request_id', 'before', 'after', 'detail'] as const;
const CSV_BATCH = 500;

const csvRecord = (r: Row) => {
  const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));
  return [
    r.id,
    new Date(r.at).toISOString(),
    r.actor_kind,
    r.actor_id ?? '',
    r.actor_email ?? '',
    r.api_key_id ?? '',
    r.action,
    r.target_type ?? '',
    r.target_id ?? '',
    r.client_address ?? '',
    r.request_id ?? '',
    json(r.before),
    json(r.after),
    json(r.detail),
  ];
};

/**
 * Streams every matching entry as CSV, newest first, `CSV_BATCH` rows per query and waiting for
 * the client to take each batch, so memory stays flat however long the log is. Cells that a
 * spreadsheet would run as a formula (= + - @, tab, CR) get a leading apostrophe.
 */
async function streamCsv(em: EntityManager, res: Response, f: Filters): Promise<void> {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="audit-log-${new Date().toISOString().slice(0, 10)}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS], escape_formulas: true, bom: true });
  csv.pipe(res);
  const write = (record: unknown[]) =>
    new Promise<void>((resolve) => {
      if (csv.write(record)) resolve();
      else csv.once('drain', resolve);
    });
  let before: string | null = null;
  try {
    for (;;) {
      if (res.destroyed) return; // the client went away
      const rows = await page(em, f, before, CSV_BATCH);
      for (const r of rows) await write(csvRecord(r));
      if (rows.length < CSV_BATCH) break;
      before = rows[rows.length - 1]!.id;
    }
  } catch (err) {
    // Headers are gone: the only way left to say the file is incomplete is to cut it off.
    res.destroy(err as Error);
    throw err;
  }
  await new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
    csv.end();
  });
}

export function auditRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();

  defineRoute(r, registry, {
    method: 'get',
    path: '/audit-log',
    summary: 'Audit log entries, newest first, with filters and a cursor',
    tags,
    action: 'admin.manage',
    query: ListQuery,
    response: z.object({ items: z.array(EntryDto), nextCursor: z.string().nullable() }).meta({ id: 'AuditLogPage' }),
    errors: [422],
    handler: async ({ em, query }) => {
      const rows = await page(em, query, query.cursor === undefined ? null : decodeCursor(query.cursor), query.limit + 1);
      const items = rows.slice(0, query.limit);
      return { items: items.map(toDto), nextCursor: rows.length > query.limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/audit-log/export.csv',
    summary: 'Every audit log entry matching the filters as CSV (text/csv), newest first; formula-like cells are neutralised',
    tags,
    action: 'admin.manage',
    query: ExportQuery,
    handler: async ({ em, query, res }) => {
      await streamCsv(em, res, query);
    },
  });

  settingRoutes(r, registry, {
    name: 'audit',
    summaries: { get: 'Audit log retention in force (an admin choice, or AUDIT_RETENTION_DAYS)', put: 'Choose how many days audit log entries are kept (applies at the next retention pass)' },
    body: AuditSettingsBody,
    response: AuditSettingsDto,
    read: (em) => auditSettings(em, deps.config),
    save: saveAuditSettings,
  });
  return r;
}
