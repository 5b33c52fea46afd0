import type { EntityManager } from '@mikro-orm/postgresql';
import { compileRuleSet, evaluate, referencedIds, validateRule, type RuleDefinition, type Trigger } from '@mehrdesk/rules';
import { buildRuleContext, loadStoredRules } from '@mehrdesk/usecases/rules/rule-context';
import type { SlaClockName } from '@mehrdesk/core/domain';
import { EMAIL_TEMPLATES } from '@mehrdesk/workflows/activity-contracts';
import { notFound, unprocessable } from '../http/errors';
import { isInt4Id } from '../http/params';

// What the rule endpoints need beyond storage: the full check of a definition (shape, then
// the records it names) and dry-runs against real tickets.

const TABLES: Record<string, [string, string]> = {
  group: ['groups', 'group'],
  category: ['categories', 'category'],
  user: ['users', 'user'],
  organization: ['organizations', 'organization'],
};

export type DefinitionCheck = { kind: 'ok'; rule: RuleDefinition } | { kind: 'shape' | 'references'; errors: { pointer: string; message: string }[] };

export async function ruleDefinitionProblems(em: EntityManager, input: unknown): Promise<DefinitionCheck> {
  const v = validateRule(input);
  if (!v.ok) return { kind: 'shape', errors: v.errors };
  const errors: { pointer: string; message: string }[] = [];
  for (const ref of referencedIds(v.rule)) {
    if (ref.kind === 'email_template') {
      if (!(EMAIL_TEMPLATES as readonly string[]).includes(ref.id)) errors.push({ pointer: ref.pointer, message: `Unknown e-mail template "${ref.id}" (known: ${EMAIL_TEMPLATES.join(', ')})` });
      continue;
    }
    if (ref.kind === 'webhook_subscription') {
      const rows = isInt4Id(ref.id) ? await em.execute('select 1 from webhook_subscriptions where id = ? and deleted_at is null', [ref.id]) : [];
      if (rows.length === 0) errors.push({ pointer: ref.pointer, message: `No such webhook subscription: ${ref.id}` });
      continue;
    }
    const [table, what] = TABLES[ref.kind]!;
    const extra = ref.kind === 'user' && /\/actions\//.test(ref.pointer) ? ` and active and role <> 'customer'` : '';
    // An id no int4 column can hold names nothing (and would be an error in the query).
    const rows = isInt4Id(ref.id) ? await em.execute(`select 1 from ${table} where id = ?${extra}`, [ref.id]) : [];
    if (rows.length === 0) errors.push({ pointer: ref.pointer, message: `No such ${extra ? 'active agent' : what}: ${ref.id}` });
  }
  return errors.length ? { kind: 'references', errors } : { kind: 'ok', rule: v.rule };
}

export interface DryRunRequest {
  ticketId: number;
  ruleId?: number;
  draft?: RuleDefinition;
  event?: { type: Trigger; clock?: SlaClockName; messageId?: number };
}

/** Evaluate against the ticket as stored now; nothing is written, no workflow is touched. */
export async function dryRun(em: EntityManager, req: DryRunRequest) {
  const stored = req.draft
    ? [{ id: 0, version: 0, name: 'Draft', position: 0, trigger: req.draft.trigger, definition: req.draft }]
    : req.ruleId
      ? await loadStoredRules(em, 'r.id = ?', [req.ruleId])
      : await loadStoredRules(em);
  if (req.ruleId && stored.length === 0) throw notFound(`Rule ${req.ruleId}`);
  const trigger: Trigger = req.event?.type ?? stored[0]?.trigger ?? 'ticket.updated';
  const now = Date.now();
  const ctx = await buildRuleContext(
    em,
    req.ticketId,
    { type: trigger, at: now, ...(req.event?.clock ? { clock: req.event.clock } : {}), ...(req.event?.messageId ? { messageId: req.event.messageId } : {}) },
    null,
    now,
  );
  if (!ctx) throw notFound(`Ticket ${req.ticketId}`);
  if (trigger === 'message.received' && !ctx.message)
    throw unprocessable('message.received needs a message of this ticket', [{ path: 'body.event.messageId', message: 'Give the id of a message on this ticket' }]);
  const result = await evaluate(compileRuleSet(stored), ctx, { trigger });
  return {
    ticketId: req.ticketId,
    event: trigger,
    results: result.results.map((r) => ({
      ruleId: req.draft ? null : r.ruleId,
      version: req.draft ? null : r.version,
      name: r.name,
      matched: r.matched,
      conditions: r.conditions.map((c) => ({ ...c, result: c.result ?? false })),
      actions: r.actions,
      durationMs: r.durationMs,
    })),
  };
}
