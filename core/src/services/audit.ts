import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../config';
import { adminSetting } from './settings';

// The audit log (X4): who did what, when, from where, with the state before and after. Rows are
// append-only (a trigger in the database refuses UPDATE, TRUNCATE and any DELETE but the
// retention pass). Recording happens in the same transaction as the change when there is one,
// so a change never lands without its record.

type Executor = Pick<EntityManager, 'execute'>;

export const AUDIT_ACTOR_KINDS = ['user', 'api_key', 'anonymous', 'system'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export interface AuditActor {
  kind: AuditActorKind;
  /** The user (for an API key: the key's user). */
  id?: number | null;
  /** The user's e-mail at the time (the record outlives renames and deletions). */
  email?: string | null;
  apiKeyId?: number | null;
}

export interface AuditEntry {
  actor: AuditActor;
  /** Dotted, past tense: `auth.login_succeeded`, `rule.updated`, `api_key.revoked`. */
  action: string;
  targetType?: string | null;
  targetId?: string | number | null;
  clientAddress?: string | null;
  requestId?: string | null;
  before?: unknown;
  after?: unknown;
  detail?: Record<string, unknown> | null;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/**
 * Field names whose values are credentials (webhook signing secrets, password hashes, TOTP
 * secrets, tokens, API keys). Only text and objects under such a name are replaced: booleans,
 * numbers and nulls stay (`hasPassword: true` or a session's `tokenId` give nothing away).
 */
const SECRET_KEY = /secret|password|passwd|token|hash|totp|recovery|credential|api_?key$/i;
export const REDACTED = '[redacted]';

/** A copy of `v` with every secret-named field's value replaced, at any depth. */
export function redactSecrets(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 20) return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => redactSecrets(x, depth + 1));
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET_KEY.test(k) && (typeof x === 'string' || (typeof x === 'object' && x !== null)) ? REDACTED : redactSecrets(x, depth + 1)]),
  );
}

export async function recordAudit(em: Executor, e: AuditEntry): Promise<void> {
  await em.execute(
    `insert into audit_log (actor_kind, actor_id, actor_email, api_key_id, action, target_type, target_id, client_address, request_id, before, after, detail)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb)`,
    [
      e.actor.kind,
      e.actor.id ?? null,
      e.actor.email?.slice(0, 254) ?? null,
      e.actor.apiKeyId ?? null,
      e.action.slice(0, 64),
      e.targetType?.slice(0, 32) ?? null,
      e.targetId === undefined || e.targetId === null ? null : String(e.targetId).slice(0, 64),
      e.clientAddress?.slice(0, 64) ?? null,
      e.requestId?.slice(0, 100) ?? null,
      // Secrets never reach the log, whoever records the entry.
      json(redactSecrets(e.before)),
      json(redactSecrets(e.after)),
      json(redactSecrets(e.detail)),
    ],
  );
}

// --- retention -------------------------------------------------------------------------------

export const AUDIT_RETENTION_MAX_DAYS = 3650;
export const AuditSettings = z.object({ retentionDays: z.number().int().min(1).max(AUDIT_RETENTION_MAX_DAYS).describe('Days an entry is kept (1-3650); older ones are deleted') }).strict();
export type AuditSettings = z.infer<typeof AuditSettings>;

const SETTINGS = adminSetting('audit', AuditSettings);

/** The audit settings in force (an admin's choice, else AUDIT_RETENTION_DAYS). */
export const auditSettings = (em: Executor, config: Pick<Config, 'AUDIT_RETENTION_DAYS'>) => SETTINGS.read(em, { retentionDays: config.AUDIT_RETENTION_DAYS });
export const saveAuditSettings = SETTINGS.save;

type Transactional = Pick<EntityManager, 'execute' | 'transactional'>;

/**
 * The retention pass: deletes entries older than the retention in force, `batchSize` rows per
 * transaction (short locks, bounded WAL per commit), until none is left. Each transaction says
 * `set local mehrdesk.audit_retention = 'on'`, the only way past the append-only trigger.
 * Rows another replica is deleting at the same moment are skipped, not waited for.
 */
export async function purgeExpiredAudit(em: Transactional, config: Pick<Config, 'AUDIT_RETENTION_DAYS'>, opts: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
  const { retentionDays } = await auditSettings(em, config);
  const batchSize = opts.batchSize ?? 5000;
  const maxBatches = opts.maxBatches ?? 1000;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const deleted = await em.transactional(async (tx) => {
      await tx.execute(`set local mehrdesk.audit_retention = 'on'`);
      const rows = await tx.execute<{ id: string }[]>(
        `delete from audit_log where id in (
           select id from audit_log where at < now() - make_interval(days => ?) order by at, id limit ? for update skip locked)
         returning id`,
        [retentionDays, batchSize],
      );
      return rows.length;
    });
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
