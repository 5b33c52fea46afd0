import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TERMINAL_STATUSES } from '@mehrdesk/core/domain';
import { changeTicketUpdate, FAILURE } from '@mehrdesk/workflows/contracts';
import { DomainError, invalidInput } from '../errors';
import { actorOf, type ChangeCtx } from '../tickets/change-ticket';
import type { UseCaseDeps } from '../tickets/create-ticket';
import { executeTicketUpdate } from '../tickets/workflow-bridge';
import { TIMELINE_INSERT } from '@mehrdesk/core/services/timeline';

// The tag catalogue (P2): adding tags, and renaming, merging and deleting them across every
// ticket. Tickets whose workflow runs get the new tag set through that workflow (timeline "tags
// changed by <admin>", optimistic lock, retried on a concurrent change); closed, cancelled and
// deleted tickets, whose workflows have ended, are rewritten in one statement with their
// timeline entries. Names come normalised (trimmed, lower-cased, 1-64 letters, digits, _ . : -);
// field paths are named as the API's request bodies name them.

/** What a rename, merge or delete did to the tickets; `ticketsFailed` could not be reached (workflow unavailable): repeat the operation. */
export interface RetagResult {
  ticketsUpdated: number;
  ticketsFailed: number[];
}

const terminalList = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

const tagExists = (name: string) => new DomainError('conflict', 'tag_exists', `A tag named "${name}" exists: merge into it instead`, [{ path: 'body.name', message: 'Already taken' }]);

async function tagName(em: EntityManager, id: number): Promise<string> {
  const [t] = await em.execute<{ name: string }[]>('select name from tags where id = ?', [id]);
  if (!t) throw new DomainError('not_found', 'not_found', `Tag ${id} not found`);
  return t.name;
}

const isFailure = (err: unknown, type: string) => err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === type;

/** Replace tag `from` by `to` (null: remove it) on every ticket that has it. */
export async function retagTickets(deps: UseCaseDeps, ctx: ChangeCtx, from: string, to: string | null): Promise<RetagResult> {
  const { em, user, requestId } = ctx;
  const rewrite = (tags: string[]) => [...new Set(tags.flatMap((t) => (t === from ? (to === null ? [] : [to]) : [t])))].sort();
  const live = await em.execute<{ id: number }[]>(`select id from tickets where tags @> array[?]::text[] and deleted_at is null and status not in (${terminalList}) order by id`, [from]);
  let updated = 0;
  const failed: number[] = [];
  const one = async (ticketId: number): Promise<void> => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const [row] = await em.execute<{ version: number; tags: string[]; live: boolean }[]>(
        `select version, tags, deleted_at is null and status not in (${terminalList}) as live from tickets where id = ?`,
        [ticketId],
      );
      if (!row || !row.tags.includes(from) || !row.live) return; // gone, already changed, or finished (the bulk rewrite below takes it)
      try {
        await executeTicketUpdate(deps.temporal, ticketId, changeTicketUpdate, {
          args: [{ actor: actorOf(user), requestId, expectedVersion: row.version, tags: rewrite(row.tags) }],
        });
        updated++;
        return;
      } catch (err) {
        if (isFailure(err, FAILURE.versionConflict)) continue; // changed meanwhile: read again
        if (isFailure(err, FAILURE.ticketFinished) || err instanceof WorkflowNotFoundError) return;
        deps.log.warn({ err, ticketId, requestId }, 'could not retag ticket');
        failed.push(ticketId);
        return;
      }
    }
    failed.push(ticketId);
  };
  // Bounded fan-out, as for SLA re-planning: quick without flooding the Temporal frontend.
  for (let i = 0; i < live.length; i += 8) await Promise.all(live.slice(i, i + 8).map((t) => one(t.id)));

  // Finished tickets have no workflow to ask: rewrite the rows, with timeline entries.
  const finished = await em.execute<{ id: number }[]>(
    `with old as (
       select id, tags from tickets where tags @> array[?]::text[] and (deleted_at is not null or status in (${terminalList})) for update),
     changed as (
       update tickets t set tags = coalesce((select array_agg(distinct x order by x) from unnest(array_replace(t.tags, ?, ?::text)) x where x is not null), '{}'),
                            version = t.version + 1
         from old where t.id = old.id returning t.id, old.tags as old_tags, t.tags as new_tags)
     ${TIMELINE_INSERT}
     select id, 'ticket.tags_changed', 'user', ?, 'tags', to_jsonb(old_tags), to_jsonb(new_tags), ?::jsonb, ? || ':' || id, now() from changed
     returning ticket_id as id`,
    [from, from, to, user.id, JSON.stringify({ via: to === null ? 'tag.delete' : 'tag.rename', requestId }), `tag:${requestId}:${from}`],
  );
  return { ticketsUpdated: updated + finished.length, ticketsFailed: failed };
}

/** Add a tag to the catalogue; returns its id. */
export async function createTag(em: EntityManager, input: { name: string; colour: string | null }): Promise<number> {
  const [row] = await em.execute<{ id: number }[]>('insert into tags (name, colour) values (?, ?) on conflict (name) do nothing returning id', [input.name, input.colour]);
  if (!row) throw tagExists(input.name);
  return row.id;
}

/**
 * Recolour and/or rename a tag; a rename rewrites it on every ticket. Returns the name it had
 * and whether it was renamed.
 */
export async function editTag(deps: UseCaseDeps, ctx: ChangeCtx, id: number, input: { name?: string; colour?: string | null }): Promise<RetagResult & { previousName: string; renamed: boolean }> {
  const { em } = ctx;
  const previousName = await tagName(em, id);
  const renamed = input.name !== undefined && input.name !== previousName;
  if (renamed && (await em.execute('select 1 from tags where name = ?', [input.name])).length) throw tagExists(input.name!);
  await em
    .execute(`update tags set ${[...(renamed ? ['name = ?'] : []), ...(input.colour !== undefined ? ['colour = ?'] : []), 'id = id'].join(', ')} where id = ?`, [
      ...(renamed ? [input.name] : []),
      ...(input.colour !== undefined ? [input.colour] : []),
      id,
    ])
    .catch((err: unknown) => {
      if (String(err).includes('tags_name_unique')) throw tagExists(input.name!);
      throw err;
    });
  const result = renamed ? await retagTickets(deps, ctx, previousName, input.name!) : { ticketsUpdated: 0, ticketsFailed: [] };
  // Tickets left with the old name keep it in the catalogue, so it can be merged later.
  if (result.ticketsFailed.length) await em.execute('insert into tags (name) values (?) on conflict (name) do nothing', [previousName]);
  return { ...result, previousName, renamed };
}

/** Merge a tag into another: every ticket gets the other tag, this one is deleted. Returns the merged tag's name. */
export async function mergeTag(deps: UseCaseDeps, ctx: ChangeCtx, id: number, intoId: number): Promise<RetagResult & { mergedName: string }> {
  const { em } = ctx;
  const mergedName = await tagName(em, id);
  if (intoId === id) throw invalidInput('Cannot merge a tag into itself', [{ path: 'body.intoId', message: 'Choose another tag' }]);
  const into = await tagName(em, intoId);
  const result = await retagTickets(deps, ctx, mergedName, into);
  // Keep the source while some ticket still carries it, so the operation can be repeated.
  if (result.ticketsFailed.length === 0) await em.execute('delete from tags where id = ?', [id]);
  return { ...result, mergedName };
}

/** Delete a tag: it is removed from every ticket. Returns its name. */
export async function deleteTag(deps: UseCaseDeps, ctx: ChangeCtx, id: number): Promise<RetagResult & { deletedName: string }> {
  const deletedName = await tagName(ctx.em, id);
  const result = await retagTickets(deps, ctx, deletedName, null);
  if (result.ticketsFailed.length === 0) await ctx.em.execute('delete from tags where id = ?', [id]);
  return { ...result, deletedName };
}
