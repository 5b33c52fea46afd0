import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { Actor } from '@mehrdesk/workflows/contracts';
import type { ApplyTicketChangeInput, SlaWrite, TimelineEntry } from '@mehrdesk/workflows/activity-contracts';

// SQL used by the ticket activities. The workflow is the ticket row's only writer and only
// advances its version after an activity succeeded, so "the row is already past the expected
// version" means "this exact write already happened": that is what makes retries idempotent.

const toDate = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms));

const COLUMN: Record<keyof ApplyTicketChangeInput['set'], string> = {
  status: 'status',
  priority: 'priority',
  assigneeId: 'assignee_id',
  groupId: 'group_id',
  firstRespondedAt: 'first_responded_at',
  resolvedAt: 'resolved_at',
  closedAt: 'closed_at',
  tags: 'tags',
  deletedAt: 'deleted_at',
  categoryId: 'category_id',
  customFields: 'custom_fields',
};
const TIME_FIELDS = new Set(['firstRespondedAt', 'resolvedAt', 'closedAt', 'deletedAt']);


/** Keep the tag catalogue (used by pickers and autocomplete) in step with tags in use. */
export async function rememberTags(em: EntityManager, tags: string[]) {
  if (tags.length) await em.execute('insert into tags (name) select unnest(?::text[]) on conflict (name) do nothing', [pgArray(tags)]);
}

export async function insertTimeline(em: EntityManager, ticketId: number, key: string, actor: Actor, entries: TimelineEntry[]) {
  for (const [i, e] of entries.entries()) {
    await em.execute(
      `insert into timeline_events (ticket_id, type, actor_type, actor_id, field, old_value, new_value, meta, idempotency_key, created_at)
       values (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, now())
       on conflict (idempotency_key) do nothing`,
      [ticketId, e.type, actor.type, actor.id, e.field, JSON.stringify(e.from ?? null), JSON.stringify(e.to ?? null), JSON.stringify({ ...(e.meta ?? {}), ...(actor.rule ? { rule: actor.rule } : {}) }), `${key}:${i}`],
    );
  }
}

/** SLA columns (for list filters) and the SLA event log; never bumps the ticket version. */
export async function writeSla(em: EntityManager, ticketId: number, key: string, sla: SlaWrite) {
  await em.execute(
    'update tickets set sla_state = ?, first_response_due_at = ?, resolution_due_at = ? where id = ?',
    [sla.slaState, toDate(sla.firstResponseDueAt), toDate(sla.resolutionDueAt), ticketId],
  );
  for (const [i, ev] of sla.events.entries()) {
    const evKey = `${key}:sla:${i}`;
    await em.execute(
      `insert into sla_events (ticket_id, clock, type, target_at, actual_at, met, idempotency_key, created_at)
       values (?, ?, ?, ?, ?, ?, ?, now()) on conflict (idempotency_key) do nothing`,
      [ticketId, ev.clock, ev.type, toDate(ev.targetAt), toDate(ev.actualAt), ev.met, evKey],
    );
    if (ev.type === 'warning' || ev.type === 'breach' || ev.type === 'met') {
      await insertTimeline(em, ticketId, evKey, { type: 'workflow', id: null, role: null }, [
        { type: `sla.${ev.type}`, field: ev.clock, from: null, to: { targetAt: toDate(ev.targetAt), actualAt: toDate(ev.actualAt), met: ev.met } },
      ]);
    }
  }
}

export async function assigneeLabel(em: EntityManager, ticketId: number): Promise<string> {
  const [row] = await em.execute<{ email: string | null }[]>(
    'select u.email from tickets t left join users u on u.id = t.assignee_id where t.id = ?',
    [ticketId],
  );
  return row?.email ?? '';
}

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k] ?? null]));

export class TicketRowMissing extends Error {
  override name = 'TicketRowMissing';
}

/** Version-guarded update of the ticket row plus its timeline and SLA records, in `em`'s transaction. */
export async function applyChangeTx(
  em: EntityManager,
  ticketId: number,
  key: string,
  actor: Actor,
  change: Pick<ApplyTicketChangeInput, 'expectedVersion' | 'set' | 'timeline' | 'sla'>,
): Promise<{ version: number; assigneeLabel: string }> {
  const sets: string[] = ['version = version + 1', 'updated_at = now()'];
  const params: unknown[] = [];
  for (const [field, value] of Object.entries(change.set) as [keyof typeof COLUMN, unknown][]) {
    if (value === undefined) continue;
    if (field === 'customFields') {
      // Merge; a null value removes the key.
      sets.push('custom_fields = jsonb_strip_nulls(custom_fields || ?::jsonb)');
      params.push(JSON.stringify(value));
      continue;
    }
    if (field === 'tags') {
      sets.push('tags = ?::text[]');
      params.push(pgArray(value as string[]));
      await rememberTags(em, value as string[]);
      continue;
    }
    sets.push(`${COLUMN[field]} = ?`);
    params.push(TIME_FIELDS.has(field as string) ? toDate(value as number | null) : value);
  }
  // The workflow does not track category and custom fields: take their old values from the row.
  const needsOld = change.timeline.some((e) => e.field === 'categoryId' || e.field === 'customFields');
  const [old] = needsOld ? await em.execute<{ category_id: number | null; custom_fields: Record<string, unknown> }[]>('select category_id, custom_fields from tickets where id = ?', [ticketId]) : [];
  const timeline = change.timeline.map((e) =>
    e.field === 'categoryId' ? { ...e, from: old?.category_id ?? null } : e.field === 'customFields' ? { ...e, from: pick(old?.custom_fields ?? {}, Object.keys(e.to as object)) } : e,
  );
  const updated = await em.execute<{ version: number }[]>(
    `update tickets set ${sets.join(', ')} where id = ? and version = ? returning version`,
    [...params, ticketId, change.expectedVersion],
  );
  if (updated.length === 0) {
    const [row] = await em.execute<{ version: number }[]>('select version from tickets where id = ?', [ticketId]);
    if (!row) throw new TicketRowMissing(`ticket ${ticketId} does not exist`);
    // Already applied by an earlier attempt of this same activity.
    return { version: row.version, assigneeLabel: await assigneeLabel(em, ticketId) };
  }
  await insertTimeline(em, ticketId, key, actor, timeline);
  if (change.sla) await writeSla(em, ticketId, key, change.sla);
  return { version: updated[0]!.version, assigneeLabel: await assigneeLabel(em, ticketId) };
}
