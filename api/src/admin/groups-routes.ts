import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ASSIGNMENT_STRATEGIES, ROLES } from '@mehrdesk/core/domain';
import type { AppDeps } from '../deps';
import { conflict, notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, IdParams } from '../http/params';
import { conflictAt, nameList, ReferenceCheck, rulesReferencing, uniqueViolation } from './references';
import { pgArray } from '@mehrdesk/core/db';
import { auditChange, without } from '../audit/record';

// Groups (P2): name, assignment strategy, supervisor, escalation group (no cycles), SLA policy
// and members. Staff read them (pickers, inbox filters); admins change them, each change
// audited (`group.*`) in its transaction.

const id = bodyId;
const GroupFields = {
  name: z.string().trim().min(1).max(200),
  strategy: z.enum(ASSIGNMENT_STRATEGIES).describe('How new tickets of the group are assigned'),
  supervisorId: id.nullable().describe('A staff user notified on escalations'),
  escalationGroupId: id.nullable().describe('Where escalated tickets go; the chain may not loop back'),
  slaPolicyId: id.nullable(),
  memberIds: z.array(id).max(1000).describe('Staff users in the group (replaces the whole set)'),
};
const CreateGroupBody = z
  .object({
    ...GroupFields,
    strategy: GroupFields.strategy.default('round_robin'),
    supervisorId: GroupFields.supervisorId.default(null),
    escalationGroupId: GroupFields.escalationGroupId.default(null),
    slaPolicyId: GroupFields.slaPolicyId.default(null),
    memberIds: GroupFields.memberIds.default([]),
  })
  .strict()
  .meta({ id: 'CreateGroupRequest' });
const PatchGroupBody = z
  .object(GroupFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'PatchGroupRequest' });
const Member = z.object({ id: z.number().int(), name: z.string(), email: z.string(), role: z.enum(ROLES), active: z.boolean(), available: z.boolean() });
const GroupDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    strategy: z.enum(ASSIGNMENT_STRATEGIES),
    supervisorId: z.number().int().nullable(),
    supervisor: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    escalationGroupId: z.number().int().nullable(),
    slaPolicyId: z.number().int().nullable(),
    memberIds: z.array(z.number().int()),
    members: z.array(Member),
    openTickets: z.number().int().describe('Open (not closed, cancelled or deleted) tickets in the group'),
  })
  .meta({ id: 'Group' });
type GroupDtoT = z.infer<typeof GroupDto>;

interface GroupRow {
  id: number;
  name: string;
  strategy: GroupDtoT['strategy'];
  supervisor_id: number | null;
  supervisor_name: string | null;
  escalation_group_id: number | null;
  sla_policy_id: number | null;
  open_tickets: string;
}

async function groupDtos(em: EntityManager, ids: number[] | null): Promise<GroupDtoT[]> {
  const rows = await em.execute<GroupRow[]>(
    `select g.id, g.name, g.strategy, g.supervisor_id, s.name as supervisor_name, g.escalation_group_id, g.sla_policy_id,
            (select count(*) from tickets t where t.group_id = g.id and t.deleted_at is null and t.status not in ('closed', 'cancelled')) as open_tickets
       from groups g left join users s on s.id = g.supervisor_id
      ${ids ? 'where g.id = any(?::int[])' : ''} order by g.name, g.id`,
    ids ? [pgArray(ids)] : [],
  );
  const members = rows.length
    ? await em.execute<(z.infer<typeof Member> & { group_id: number })[]>(
        `select gm.group_id, u.id, u.name, u.email, u.role, u.active, u.available
           from group_members gm join users u on u.id = gm.user_id where gm.group_id = any(?::int[]) order by u.name, u.id`,
        [pgArray(rows.map((r) => r.id))],
      )
    : [];
  return rows.map((g) => {
    const mine = members.filter((m) => m.group_id === g.id).map(({ group_id: _g, ...m }) => m);
    return {
      id: g.id,
      name: g.name,
      strategy: g.strategy,
      supervisorId: g.supervisor_id,
      supervisor: g.supervisor_id ? { id: g.supervisor_id, name: g.supervisor_name ?? '' } : null,
      escalationGroupId: g.escalation_group_id,
      slaPolicyId: g.sla_policy_id,
      memberIds: mine.map((m) => m.id),
      members: mine,
      openTickets: Number(g.open_tickets),
    };
  });
}

async function groupDto(em: EntityManager, groupId: number): Promise<GroupDtoT> {
  const [g] = await groupDtos(em, [groupId]);
  if (!g) throw notFound(`Group ${groupId}`);
  return g;
}

/** A group as the audit log records it: its settings and member ids, not joined names or counts. */
const audited = (g: GroupDtoT) => without(g, 'supervisor', 'members', 'openTickets');

/**
 * Refuses an escalation target whose own chain leads back to the group (409 naming the loop).
 * `groupId` is null for a group being created, which cannot be part of any chain yet.
 */
async function checkEscalationChain(em: EntityManager, groupId: number | null, target: number | null | undefined): Promise<void> {
  if (target === null || target === undefined || groupId === null) return;
  const names = new Map((await em.execute<{ id: number; name: string; escalation_group_id: number | null }[]>('select id, name, escalation_group_id from groups')).map((g) => [g.id, g]));
  const chain = [groupId];
  for (let at: number | null = target; at !== null; at = names.get(at)?.escalation_group_id ?? null) {
    chain.push(at);
    if (at === groupId) {
      const label = chain.map((x) => names.get(x)?.name ?? String(x)).join(' → ');
      throw conflictAt('escalation_cycle', `Escalation would loop: ${label}`, [{ path: 'body.escalationGroupId', message: `Escalation would loop: ${label}` }]);
    }
    if (chain.length > names.size + 1) break; // an existing loop elsewhere (not through this group)
  }
}

async function checkReferences(em: EntityManager, body: Partial<z.infer<typeof CreateGroupBody>>): Promise<void> {
  const check = new ReferenceCheck(em);
  if (body.supervisorId != null) await check.staff('body.supervisorId', [body.supervisorId], { activeOnly: true });
  await check.exists('body.escalationGroupId', 'groups', body.escalationGroupId, 'group');
  await check.exists('body.slaPolicyId', 'sla_policies', body.slaPolicyId, 'SLA policy');
  if (body.memberIds) await check.staff('body.memberIds', body.memberIds, { list: true });
  check.done();
}

async function setMembers(tx: EntityManager, groupId: number, memberIds: number[]): Promise<void> {
  await tx.execute('delete from group_members where group_id = ?', [groupId]);
  const unique = [...new Set(memberIds)];
  if (unique.length) await tx.execute('insert into group_members (group_id, user_id) select ?, unnest(?::int[])', [groupId, pgArray(unique)]);
}

export function groupRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: groups'];
  const taken = (err: unknown) => uniqueViolation(err, 'groups_name_unique', 'name', 'A group with this name exists');

  defineRoute(r, registry, {
    method: 'get',
    path: '/groups',
    summary: 'Groups with members, strategy, supervisor, escalation group and SLA policy',
    tags,
    action: 'directory.read',
    response: z.object({ items: z.array(GroupDto) }),
    handler: async ({ em }) => ({ items: await groupDtos(em, null) }),
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/groups/:id',
    summary: 'One group',
    tags,
    action: 'directory.read',
    params: IdParams,
    response: GroupDto,
    errors: [404],
    handler: async ({ em, params }) => groupDto(em, params.id),
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/groups',
    summary: 'Create a group',
    tags,
    action: 'admin.manage',
    body: CreateGroupBody,
    status: 201,
    response: GroupDto,
    errors: [409, 422],
    handler: async ({ em, req, body }) => {
      await checkReferences(em, body);
      const groupId = await em
        .transactional(async (tx) => {
          const [row] = await tx.execute<{ id: number }[]>(
            `insert into groups (name, strategy, supervisor_id, escalation_group_id, sla_policy_id, rr_cursor, created_at) values (?, ?, ?, ?, ?, 0, now()) returning id`,
            [body.name, body.strategy, body.supervisorId, body.escalationGroupId, body.slaPolicyId],
          );
          await setMembers(tx, row!.id, body.memberIds);
          await auditChange(tx, req, { action: 'group.created', targetType: 'group', targetId: row!.id, after: audited(await groupDto(tx, row!.id)) });
          return row!.id;
        })
        .catch(taken);
      return groupDto(em, groupId);
    },
  });
  defineRoute(r, registry, {
    method: 'patch',
    path: '/groups/:id',
    summary: 'Change a group (members replace the whole set)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchGroupBody,
    response: GroupDto,
    errors: [404, 409, 422],
    handler: async ({ em, req, params, body }) => {
      const before = await groupDto(em, params.id);
      await checkReferences(em, body);
      const columns: Record<string, string> = { name: 'name', strategy: 'strategy', supervisorId: 'supervisor_id', escalationGroupId: 'escalation_group_id', slaPolicyId: 'sla_policy_id' };
      const sets = Object.entries(body).filter(([k, v]) => k in columns && v !== undefined);
      await em
        .transactional(async (tx) => {
          // Serialise escalation edits, so two concurrent saves cannot close a loop between them.
          await tx.execute(`select pg_advisory_xact_lock(hashtext('groups.escalation'))`);
          await checkEscalationChain(tx, params.id, body.escalationGroupId);
          if (sets.length) await tx.execute(`update groups set ${sets.map(([k]) => `${columns[k]} = ?`).join(', ')} where id = ?`, [...sets.map(([, v]) => v), params.id]);
          if (body.memberIds) await setMembers(tx, params.id, body.memberIds);
          await auditChange(tx, req, { action: 'group.updated', targetType: 'group', targetId: params.id, before: audited(before), after: audited(await groupDto(tx, params.id)) });
        })
        .catch(taken);
      return groupDto(em, params.id);
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/groups/:id',
    summary: 'Delete a group that nothing refers to (409 names what does)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    status: 204,
    errors: [404, 409],
    handler: async ({ em, req, params }) => {
      const g = await groupDto(em, params.id);
      await em.transactional(async (tx) => {
        // Row lock: a ticket or category being pointed at the group meanwhile waits for us.
        await tx.execute('select id from groups where id = ? for update', [params.id]);
        const [{ n: tickets }] = await tx.execute<[{ n: string }]>('select count(*) as n from tickets where group_id = ? and deleted_at is null', [params.id]);
        const categories = await tx.execute<{ name: string }[]>('select name from categories where default_group_id = ? order by name', [params.id]);
        const escalating = await tx.execute<{ name: string }[]>('select name from groups where escalation_group_id = ? and id <> ? order by name', [params.id, params.id]);
        const rules = await rulesReferencing(tx, 'group', params.id);
        const uses = [
          Number(tickets) ? `${tickets} ticket${Number(tickets) === 1 ? '' : 's'}` : null,
          categories.length ? `categor${categories.length === 1 ? 'y' : 'ies'} ${nameList(categories.map((c) => c.name))}` : null,
          escalating.length ? `escalation of group${escalating.length === 1 ? '' : 's'} ${nameList(escalating.map((c) => c.name))}` : null,
          rules.length ? `rule${rules.length === 1 ? '' : 's'} ${nameList(rules.map((x) => x.name))}` : null,
        ].filter((x): x is string => x !== null);
        if (uses.length) throw conflict('group_in_use', `Group "${g.name}" is used by ${uses.join('; ')}`);
        await tx.execute('delete from groups where id = ?', [params.id]);
        await auditChange(tx, req, { action: 'group.deleted', targetType: 'group', targetId: params.id, before: audited(g) });
      });
      return undefined;
    },
  });
  return r;
}
