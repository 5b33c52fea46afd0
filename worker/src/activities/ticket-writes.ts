import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import { publishLiveEvent, scopeOf, type LiveActor, type LiveTicketScope } from '@mehrdesk/core/live-events';
import type { Actor } from '@mehrdesk/workflows/contracts';
import { recordTimeline } from '@mehrdesk/core/services/timeline';
import type { ApplyTicketChangeInput, SlaWrite, TimelineEntry } from '@mehrdesk/workflows/activity-contracts';

// SQL used by the ticket activities. The workflow is the ticket row's only writer and only
// advances its version after an activity succeeded, so "the row is already past the expected
// version" means "this exact write already happened": that is what makes retries idempotent.

const toDate = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms));
const toIso = (ms: number | null | undefined) => toDate(ms)?.toISOString() ?? null;

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
    await recordTimeline(em, {
      ticketId,
      type: e.type,
      actor,
      field: e.field,
      from: e.from ?? null,
      to: e.to ?? null,
      meta: { ...(e.meta ?? {}), ...(actor.rule ? { rule: actor.rule } : {}) },
      idempotencyKey: `${key}:${i}`,
    });
  }
}

type ScopeRow = { requester_id: number; group_id: number | null; assignee_id: number | null };

/** SLA columns (for list filters) and the SLA event log; never bumps the ticket version. */
export async function writeSla(em: EntityManager, ticketId: number, key: string, sla: SlaWrite) {
  // Only a real change is written and announced (a retried activity finds nothing to change).
  const [changed] = await em.execute<ScopeRow[]>(
    `update tickets set sla_state = ?, first_response_due_at = ?, resolution_due_at = ?
      where id = ? and (sla_state, first_response_due_at, resolution_due_at) is distinct from (?::text, ?::timestamptz, ?::timestamptz)
      returning requester_id, group_id, assignee_id`,
    [sla.slaState, toDate(sla.firstResponseDueAt), toDate(sla.resolutionDueAt), ticketId, sla.slaState, toDate(sla.firstResponseDueAt), toDate(sla.resolutionDueAt)],
  );
  if (changed) {
    await publishLiveEvent(em, {
      type: 'sla.changed',
      ticketId,
      state: sla.slaState,
      firstResponseDueAt: toIso(sla.firstResponseDueAt),
      resolutionDueAt: toIso(sla.resolutionDueAt),
      scope: scopeOf(changed),
      at: new Date().toISOString(),
    });
  }
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
  const [row] = await em.execute<{ email: string | null }[]>('select u.email from tickets t left join users u on u.id = t.assignee_id where t.id = ?', [ticketId]);
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
  const updated = await em.execute<({ version: number } & ScopeRow)[]>(`update tickets set ${sets.join(', ')} where id = ? and version = ? returning version, requester_id, group_id, assignee_id`, [
    ...params,
    ticketId,
    change.expectedVersion,
  ]);
  if (updated.length === 0) {
    const [row] = await em.execute<{ version: number }[]>('select version from tickets where id = ?', [ticketId]);
    if (!row) throw new TicketRowMissing(`ticket ${ticketId} does not exist`);
    // Already applied by an earlier attempt of this same activity (which announced it).
    return { version: row.version, assigneeLabel: await assigneeLabel(em, ticketId) };
  }
  await insertTimeline(em, ticketId, key, actor, timeline);
  // Announced even with no field listed (an SLA-only change): the version moved all the same.
  await publishLiveEvent(em, ticketUpdatedEvent(ticketId, updated[0]!, change.set, timeline, actor));
  if (change.sla) await writeSla(em, ticketId, key, change.sla);
  return { version: updated[0]!.version, assigneeLabel: await assigneeLabel(em, ticketId) };
}

const liveActor = (actor: Actor): LiveActor => ({ type: actor.type, id: actor.id, ...(actor.rule ? { ruleId: actor.rule.id } : {}) });

/** The ticket.updated announcement: changed field names and new values (times as ISO strings). */
function ticketUpdatedEvent(ticketId: number, row: { version: number } & ScopeRow, set: ApplyTicketChangeInput['set'], timeline: TimelineEntry[], actor: Actor) {
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) continue;
    values[field] = field === 'customFields' ? Object.keys(value as object) : TIME_FIELDS.has(field) ? toIso(value as number | null) : value;
  }
  const scope = scopeOf(row);
  // The owners before a reassignment hear of it too, so their lists can drop the ticket.
  const was = (field: 'groupId' | 'assigneeId') => timeline.find((e) => e.field === field);
  let previousScope: LiveTicketScope | undefined;
  if (was('groupId') || was('assigneeId')) {
    previousScope = {
      requesterId: scope.requesterId,
      groupId: was('groupId') ? (was('groupId')!.from as number | null) : scope.groupId,
      assigneeId: was('assigneeId') ? (was('assigneeId')!.from as number | null) : scope.assigneeId,
    };
  }
  return {
    type: 'ticket.updated' as const,
    ticketId,
    version: row.version,
    fields: Object.keys(values),
    values,
    scope,
    ...(previousScope ? { previousScope } : {}),
    actor: liveActor(actor),
    at: new Date().toISOString(),
  };
}
