import type { EntityManager } from '@mikro-orm/postgresql';
import { referencedIds, validateRule, type Condition, type ReferenceKind } from '@mehrdesk/rules';
import { loadStoredRules } from '@mehrdesk/usecases/rules/rule-context';
import { HttpError, unprocessable, type FieldError } from '../http/errors';
import { pgArray } from '@mehrdesk/core/db';

// What the directory endpoints (groups, users, categories, tags) share: checks that referenced
// records exist (422 naming the field), and which saved rules name a record, so a delete or
// rename can refuse or warn instead of silently breaking automation.

export interface RuleRef {
  id: number;
  name: string;
}

/** Current versions of every rule that is not deleted (enabled or not). */
async function currentRules(em: EntityManager) {
  return loadStoredRules(em, 'true');
}

/** Rules whose current version refers to the record (in a condition value or an action param). */
export async function rulesReferencing(em: EntityManager, kind: Exclude<ReferenceKind, 'email_template'>, id: number): Promise<RuleRef[]> {
  const out: RuleRef[] = [];
  for (const r of await currentRules(em)) {
    const v = validateRule(r.definition);
    if (v.ok && referencedIds(v.rule).some((ref) => ref.kind === kind && ref.id === id)) out.push({ id: r.id, name: r.name });
  }
  return out;
}

/** The operands of conditions on the ticket's tags (directly or their previous value). */
function tagValues(c: Condition): unknown[] {
  if ('all' in c) return c.all.flatMap(tagValues);
  if ('any' in c) return c.any.flatMap(tagValues);
  if ('not' in c) return tagValues(c.not);
  const isTags = c.fact === 'ticket.tags' || (c.fact === 'previous' && c.params?.field === 'tags');
  if (!isTags) return [];
  return Array.isArray(c.value) ? c.value : [c.value];
}

/** Every tag named by a rule's current version (conditions on tags, add/remove tag actions), with the rules. */
export async function tagsInRules(em: EntityManager): Promise<Map<string, RuleRef[]>> {
  const out = new Map<string, RuleRef[]>();
  for (const r of await currentRules(em)) {
    const v = validateRule(r.definition);
    if (!v.ok) continue;
    const named = new Set<unknown>(tagValues(v.rule.conditions));
    for (const a of v.rule.actions) if (a.type === 'add_tags' || a.type === 'remove_tags') a.params.tags.forEach((t) => named.add(t));
    for (const tag of named) if (typeof tag === 'string') out.set(tag, [...(out.get(tag) ?? []), { id: r.id, name: r.name }]);
  }
  return out;
}

/** Collects 422 problems for referenced records and throws them together. */
export class ReferenceCheck {
  private readonly problems: FieldError[] = [];
  constructor(private readonly em: EntityManager) {}

  async exists(path: string, table: 'groups' | 'sla_policies' | 'organizations' | 'categories', id: number | null | undefined, what: string): Promise<void> {
    if (id === null || id === undefined) return;
    const rows = await this.em.execute(`select 1 from ${table} where id = ?`, [id]);
    if (rows.length === 0) this.problems.push({ path, message: `No ${what} ${id}` });
  }

  /** Users that exist and are staff (agents, supervisors, admins); `activeOnly` also requires active. */
  async staff(path: string, ids: readonly number[], opts: { activeOnly?: boolean; list?: boolean } = {}): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.em.execute<{ id: number; role: string; active: boolean }[]>('select id, role, active from users where id = any(?::int[])', [pgArray(ids)]);
    ids.forEach((id, i) => {
      const u = rows.find((r) => r.id === id);
      const at = opts.list ? `${path}.${i}` : path;
      if (!u) this.problems.push({ path: at, message: `No user ${id}` });
      else if (u.role === 'customer') this.problems.push({ path: at, message: `User ${id} is a customer, not staff` });
      else if (opts.activeOnly && !u.active) this.problems.push({ path: at, message: `User ${id} is deactivated` });
    });
  }

  async groups(path: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.em.execute<{ id: number }[]>('select id from groups where id = any(?::int[])', [pgArray(ids)]);
    ids.forEach((id, i) => {
      if (!rows.some((r) => r.id === id)) this.problems.push({ path: `${path}.${i}`, message: `No group ${id}` });
    });
  }

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Throws one 422 listing every problem found, if any. */
  done(message = 'Refers to records that do not exist'): void {
    if (this.problems.length) throw unprocessable(message, this.problems);
  }
}

/** 409 carrying fields, for conflicts that are about one field (a cycle, a taken name). */
export const conflictAt = (code: string, message: string, fields: FieldError[]) => new HttpError(409, code, message, fields);

/** Maps a unique-violation on `<table>_<column>_unique` to a 409 naming the body field. */
export function uniqueViolation(err: unknown, constraint: string, field: string, message: string): never {
  if (err instanceof Error && err.message.includes(constraint)) throw conflictAt('already_exists', message, [{ path: `body.${field}`, message: 'Already taken' }]);
  throw err;
}

/** "a, b and 3 more" for messages that name what is in the way. */
export function nameList(names: string[], max = 5): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`);
  const rest = names.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
