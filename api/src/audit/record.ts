import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit, type AuditEntry } from '@mehrdesk/core/services/audit';
import { auditContext } from './context';

// The one call admin routes make to record a change: the actor, client address and request id
// come from the request; the route says what changed and gives the state before and after (a
// creation has no before, a deletion no after). Pass the transaction that makes the change, so
// the change and its record commit together; recordAudit redacts secrets.

export type AdminChange = Pick<AuditEntry, 'action' | 'before' | 'after' | 'detail'> & { targetType: string; targetId?: string | number | null };

export function auditChange(em: Pick<EntityManager, 'execute'>, req: Request, change: AdminChange): Promise<void> {
  return recordAudit(em, { ...auditContext(req), ...change });
}

/** `obj` without the named fields: derived figures (counts, joined names) that are not part of a change. */
export function without<T extends Record<string, unknown>, K extends keyof T>(obj: T, ...keys: K[]): Omit<T, K> {
  const copy: Record<string, unknown> = { ...obj };
  for (const k of keys) delete copy[k as string];
  return copy as Omit<T, K>;
}
