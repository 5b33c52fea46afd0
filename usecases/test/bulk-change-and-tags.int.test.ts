import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '@mehrdesk/core/domain';
import { createLogger } from '@mehrdesk/core/logger';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { DomainError } from '@mehrdesk/usecases/errors';
import { bulkChangeTickets, checkFieldReferences, MAX_BULK_IDS } from '@mehrdesk/usecases/tickets/bulk-change';
import { changeTicket, type ChangeCtx } from '@mehrdesk/usecases/tickets/change-ticket';
import { createTicket, type UseCaseDeps } from '@mehrdesk/usecases/tickets/create-ticket';
import { loadTicketRow } from '@mehrdesk/usecases/tickets/ticket-row';
import { createTag, deleteTag, editTag, mergeTag } from '@mehrdesk/usecases/tags/tag-catalogue';

// The bulk-change and tag-catalogue use cases called directly, without HTTP: their results and
// their domain errors (kind, code, field paths), against the real stack (workflows included).

let h: Harness;
let deps: UseCaseDeps;
let admin: Viewer, agent1: Viewer;

beforeAll(async () => {
  h = await startHarness();
  deps = { config: h.config, orm: h.orm, temporal: h.temporal, log: createLogger('test', 'silent') };
  admin = { id: h.fx.users.admin.id, role: 'admin', groupIds: [] };
  agent1 = { id: h.fx.users.agent1.id, role: 'agent', groupIds: [h.fx.groups.support] };
});
afterAll(() => h?.close());

const ctxOf = (user: Viewer): ChangeCtx => ({ em: h.orm.em.fork(), user, requestId: randomUUID() });
const row = async (id: number) => (await loadTicketRow(h.orm.em.fork(), id))!;
const tagIds = async (name: string) => (await h.orm.em.fork().execute<{ id: number }[]>('select id from tags where name = ?', [name])).map((t) => t.id);

async function newTicket(opts: { categoryId?: number; tags?: string[] } = {}): Promise<number> {
  const { row: t } = await createTicket(
    deps,
    h.orm.em.fork(),
    { id: admin.id, role: 'admin', organizationId: null },
    {
      subject: `Use case ${h.fx.suffix}`,
      body: 'x',
      priority: 'normal',
      categoryId: opts.categoryId ?? h.fx.categoryId,
      requesterId: h.fx.users.customer.id,
      ...(opts.tags ? { tags: opts.tags } : {}),
    },
    undefined,
    randomUUID(),
  );
  return t.id;
}

async function closedTicket(tags?: string[]): Promise<number> {
  const id = await newTicket(tags ? { tags } : {});
  for (const status of ['resolved', 'closed'] as const) await changeTicket(deps, ctxOf(admin), id, { status });
  expect((await row(id)).status).toBe('closed');
  return id;
}

/** The domain error a use case refused with (fails the test if it did not refuse). */
async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}
const paths = (err: DomainError) => (err.fields ?? []).map((f) => f.path);

describe('bulkChangeTickets', () => {
  it('changes each visible ticket through its workflow and classifies the others one by one', async () => {
    const [a, b] = [await newTicket(), await newTicket({ tags: ['legacy'] })];
    const other = await newTicket({ categoryId: h.fx.otherCategoryId }); // another group: agent1 cannot see it
    const closed = await closedTicket();
    const ids = [a, other, b, 2_000_000_000, closed];

    const out = await bulkChangeTickets(deps, ctxOf(agent1), { ids, set: { priority: 'high', addTags: ['vip'], removeTags: ['legacy'] } });

    expect(out.results.map((x) => x.id)).toEqual(ids);
    expect(out).toMatchObject({ succeeded: 2, failed: 3 });
    const [ra, rOther, rb, rMissing, rClosed] = out.results;
    for (const [r, id] of [
      [ra, a],
      [rb, b],
    ] as const) {
      expect(r).toMatchObject({ id, outcome: 'changed', ticket: { id, priority: 'high', tags: ['vip'] } });
      expect(await row(id)).toMatchObject({ priority: 'high', tags: ['vip'] });
    }
    for (const r of [rOther, rMissing]) {
      expect(r?.outcome).toBe('refused');
      if (r?.outcome === 'refused') expect(r.error).toMatchObject({ kind: 'not_found', code: 'not_found', message: `Ticket ${r.id} not found` });
    }
    expect(rClosed?.outcome).toBe('refused');
    if (rClosed?.outcome === 'refused') expect(rClosed.error).toMatchObject({ kind: 'conflict', code: 'ticket_finished' });
    // The invisible and the closed ticket are untouched.
    expect(await row(other)).toMatchObject({ priority: 'normal', tags: [] });
    expect((await row(closed)).priority).toBe('normal');
  });

  it('refuses the whole change when it names an unknown agent or group, before any ticket changes', async () => {
    const t = await newTicket();
    const before = await row(t);
    const err = await refusal(bulkChangeTickets(deps, ctxOf(admin), { ids: [t], set: { assigneeId: h.fx.users.customer.id, groupId: 2_000_000_000, priority: 'urgent' } }));
    expect(err).toMatchObject({ kind: 'unprocessable', code: 'unprocessable' });
    expect(paths(err)).toEqual(['body.set.assigneeId', 'body.set.groupId']);
    expect(await row(t)).toMatchObject({ version: before.version, priority: 'normal' });
  });

  it('refuses ids listed twice, none, or too many', async () => {
    const t = await newTicket();
    const twice = await refusal(bulkChangeTickets(deps, ctxOf(admin), { ids: [t, 2_000_000_000, t], set: { priority: 'low' } }));
    expect(twice).toMatchObject({ kind: 'invalid', code: 'bad_request' });
    expect(paths(twice)).toEqual(['body.ids.2']);
    for (const ids of [[], Array.from({ length: MAX_BULK_IDS + 1 }, (_, i) => i + 1)]) {
      const err = await refusal(bulkChangeTickets(deps, ctxOf(admin), { ids, set: { priority: 'low' } }));
      expect(err).toMatchObject({ kind: 'invalid', code: 'bad_request' });
      expect(paths(err)).toEqual(['body.ids']);
    }
    expect((await row(t)).priority).toBe('normal');
  });

  it('names the field path the caller gives (macros check theirs under macro.set)', async () => {
    const err = await refusal(checkFieldReferences(h.orm.em.fork(), { groupId: 2_000_000_000 }, 'macro.set'));
    expect(err).toMatchObject({ kind: 'unprocessable', code: 'unprocessable' });
    expect(err.fields).toEqual([{ path: 'macro.set.groupId', message: 'No group 2000000000' }]);
    await expect(checkFieldReferences(h.orm.em.fork(), { assigneeId: h.fx.users.agent2.id, groupId: h.fx.groups.tier2 }, 'macro.set')).resolves.toBeUndefined();
  });
});

describe('tag catalogue', () => {
  const tag = (name: string) => `${name}-${h.fx.suffix}`;

  it('adds a tag once; a second one of the same name is a conflict on body.name', async () => {
    const id = await createTag(h.orm.em.fork(), { name: tag('new'), colour: '#1e88e5' });
    expect(await tagIds(tag('new'))).toEqual([id]);
    const err = await refusal(createTag(h.orm.em.fork(), { name: tag('new'), colour: null }));
    expect(err).toMatchObject({ kind: 'conflict', code: 'tag_exists' });
    expect(paths(err)).toEqual(['body.name']);
  });

  it('renames a tag on live tickets through their workflows and on finished ones in one statement', async () => {
    const id = await createTag(h.orm.em.fork(), { name: tag('old'), colour: null });
    await createTag(h.orm.em.fork(), { name: tag('taken'), colour: null });
    const live = await newTicket({ tags: [tag('old'), 'keep'] });
    const closed = await closedTicket([tag('old')]);
    const liveBefore = await row(live);

    const taken = await refusal(editTag(deps, ctxOf(admin), id, { name: tag('taken') }));
    expect(taken).toMatchObject({ kind: 'conflict', code: 'tag_exists' });
    expect(paths(taken)).toEqual(['body.name']);
    const missing = await refusal(editTag(deps, ctxOf(admin), 2_000_000_000, { colour: null }));
    expect(missing).toMatchObject({ kind: 'not_found', code: 'not_found', message: 'Tag 2000000000 not found' });

    const out = await editTag(deps, ctxOf(admin), id, { name: tag('renamed'), colour: '#00ff00' });
    expect(out).toEqual({ ticketsUpdated: 2, ticketsFailed: [], previousName: tag('old'), renamed: true });
    expect((await row(live)).tags).toEqual(['keep', tag('renamed')].sort());
    // Through the workflow: the live ticket's version moved on by exactly that change.
    expect((await row(live)).version).toBe(liveBefore.version + 1);
    expect((await row(closed)).tags).toEqual([tag('renamed')]);
    expect(await tagIds(tag('renamed'))).toEqual([id]);
    expect(await tagIds(tag('old'))).toEqual([]);

    // A recolour alone touches no ticket.
    expect(await editTag(deps, ctxOf(admin), id, { colour: null })).toEqual({ ticketsUpdated: 0, ticketsFailed: [], previousName: tag('renamed'), renamed: false });
  });

  it('merges a tag into another and deletes one, across tickets', async () => {
    const from = await createTag(h.orm.em.fork(), { name: tag('from'), colour: null });
    const into = await createTag(h.orm.em.fork(), { name: tag('into'), colour: null });
    const both = await newTicket({ tags: [tag('from'), tag('into')] });
    const onlyFrom = await closedTicket([tag('from')]);

    const self = await refusal(mergeTag(deps, ctxOf(admin), from, from));
    expect(self).toMatchObject({ kind: 'invalid', code: 'bad_request' });
    expect(paths(self)).toEqual(['body.intoId']);
    const nowhere = await refusal(mergeTag(deps, ctxOf(admin), from, 2_000_000_000));
    expect(nowhere).toMatchObject({ kind: 'not_found', code: 'not_found', message: 'Tag 2000000000 not found' });

    expect(await mergeTag(deps, ctxOf(admin), from, into)).toEqual({ ticketsUpdated: 2, ticketsFailed: [], mergedName: tag('from') });
    expect((await row(both)).tags).toEqual([tag('into')]);
    expect((await row(onlyFrom)).tags).toEqual([tag('into')]);
    expect(await tagIds(tag('from'))).toEqual([]);

    expect(await deleteTag(deps, ctxOf(admin), into)).toEqual({ ticketsUpdated: 2, ticketsFailed: [], deletedName: tag('into') });
    expect((await row(both)).tags).toEqual([]);
    expect((await row(onlyFrom)).tags).toEqual([]);
    expect(await tagIds(tag('into'))).toEqual([]);
    expect((await refusal(deleteTag(deps, ctxOf(admin), into))).code).toBe('not_found');
  });
});
