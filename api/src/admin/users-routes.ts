import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { can, LOCALES, ROLES, unstorableReason, type Role } from '@mehrdesk/core/domain';
import { hashPassword } from '@mehrdesk/core/services/passwords';
import type { AppDeps } from '../deps';
import { conflict, notFound, unprocessable } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, IdParams, isInt4Id, pathId } from '../http/params';
import { ReferenceCheck, rulesReferencing, uniqueViolation } from './references';
import { pgArray } from '@mehrdesk/core/db';
import { newPassword, userName } from '../auth/fields';
import { auditChange, without } from '../audit/record';

// Users and roles (P2, X2). Staff read a minimal projection for pickers; admins see and change
// everything. Password hashes never leave the database. An admin cannot demote or deactivate
// themselves, and nobody can remove the last active admin. Users with history (tickets,
// messages, timeline entries, rule versions, rules naming them) are deactivated, not deleted.
// Every change is audited (`user.*`) in its transaction, with the user before and after.

const id = bodyId;
const password = newPassword;
const UserFields = {
  email: z.string().trim().toLowerCase().email().max(254),
  name: userName,
  role: z.enum(ROLES),
  locale: z.enum(LOCALES),
  active: z.boolean(),
  available: z.boolean().describe('Takes new tickets from auto-assignment'),
  capacity: z.number().int().min(0).max(10_000).nullable().describe('Most open tickets auto-assignment gives the user; null = unlimited'),
  groupIds: z.array(id).max(500).describe('Groups the user is a member of (replaces the whole set; staff only)'),
  organizationId: id.nullable(),
};
const CreateUserBody = z
  .object({
    ...UserFields,
    locale: UserFields.locale.default('en'),
    active: UserFields.active.default(true),
    available: UserFields.available.default(true),
    capacity: UserFields.capacity.default(null),
    groupIds: UserFields.groupIds.default([]),
    organizationId: UserFields.organizationId.default(null),
    password: password.optional().describe('Initial password; without one the user cannot log in until an admin sets it'),
  })
  .strict()
  .meta({ id: 'CreateUserRequest' });
const PatchUserBody = z
  .object({ ...UserFields, password: password.nullable().describe('A new password; null removes it (no login)') })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'PatchUserRequest' });

const PickerFields = {
  id: z.number().int(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  active: z.boolean(),
  available: z.boolean(),
};
const AdminFields = {
  locale: z.enum(LOCALES),
  capacity: z.number().int().nullable(),
  organizationId: z.number().int().nullable(),
  groupIds: z.array(z.number().int()),
  hasPassword: z.boolean(),
  mfaEnabled: z.boolean().describe('Two-factor sign-in is on (an admin can turn it off: DELETE /users/:id/mfa)'),
  openAssignedTickets: z.number().int(),
  createdAt: z.string(),
};
const UserAdminDto = z.object({ ...PickerFields, ...AdminFields }).meta({ id: 'AdminUser' });
const UserListItem = z
  .object({ ...PickerFields, ...z.object(AdminFields).partial().shape })
  .describe('Staff get id, name, email, role, active and available; admins get every field')
  .meta({ id: 'DirectoryUser' });
type UserAdminDtoT = z.infer<typeof UserAdminDto>;

const ListUsersQuery = z
  .object({
    role: z.enum(ROLES).optional(),
    q: z.string().trim().max(200).optional().describe('Part of the name or e-mail'),
    active: z.enum(['true', 'false']).optional(),
    groupId: pathId.optional().describe('Members of this group'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(400).optional(),
  })
  .strict();
const DeleteUserDto = z.object({ outcome: z.enum(['deleted', 'deactivated']), user: UserAdminDto.nullable() }).meta({ id: 'DeleteUserResult' });

interface UserRow {
  id: number;
  name: string;
  email: string;
  role: Role;
  active: boolean;
  available: boolean;
  locale: 'en' | 'fa';
  capacity: number | null;
  organization_id: number | null;
  group_ids: number[] | null;
  has_password: boolean;
  mfa_enabled: boolean;
  open_assigned: string;
  created_at: Date;
}

const SELECT_USERS = `select u.id, u.name, u.email, u.role, u.active, u.available, u.locale, u.capacity, u.organization_id, u.created_at,
       u.password_hash is not null as has_password, u.totp_enabled_at is not null as mfa_enabled,
       array(select gm.group_id from group_members gm where gm.user_id = u.id order by gm.group_id) as group_ids,
       (select count(*) from tickets t where t.assignee_id = u.id and t.deleted_at is null and t.status not in ('closed', 'cancelled')) as open_assigned
  from users u`;

const adminDto = (u: UserRow): UserAdminDtoT => ({
  id: u.id,
  name: u.name,
  email: u.email,
  role: u.role,
  active: u.active,
  available: u.available,
  locale: u.locale,
  capacity: u.capacity,
  organizationId: u.organization_id,
  groupIds: u.group_ids ?? [],
  hasPassword: u.has_password,
  mfaEnabled: u.mfa_enabled,
  openAssignedTickets: Number(u.open_assigned),
  createdAt: new Date(u.created_at).toISOString(),
});
const pickerDto = (u: UserRow) => ({ id: u.id, name: u.name, email: u.email, role: u.role, active: u.active, available: u.available });

async function userDto(em: EntityManager, userId: number): Promise<UserAdminDtoT> {
  const [u] = await em.execute<UserRow[]>(`${SELECT_USERS} where u.id = ?`, [userId]);
  if (!u) throw notFound(`User ${userId}`);
  return adminDto(u);
}

/** A user as the audit log records it: what an admin can change, not the workload figure. */
const audited = (u: UserAdminDtoT) => without(u, 'openAssignedTickets');

/** The most telling name for a change of `before` into `after` (the record has both in full). */
function userAction(before: UserAdminDtoT, after: UserAdminDtoT): string {
  if (before.role !== after.role) return 'user.role_changed';
  if (before.active && !after.active) return 'user.deactivated';
  if (!before.active && after.active) return 'user.reactivated';
  return 'user.updated';
}

/** Keyset cursor over (name, id): stable under inserts. A decoded one must fit the columns it is compared with. */
const encodeCursor = (u: { name: string; id: number }) => Buffer.from(JSON.stringify([u.name, u.id])).toString('base64url');
function decodeCursor(cursor: string): [string, number] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && v[0].length <= 200 && unstorableReason(v[0]) === null && isInt4Id(v[1])) return v as [string, number];
  } catch {
    /* fall through */
  }
  throw unprocessable('Invalid cursor', [{ path: 'query.cursor', message: 'Not a cursor returned by this API' }]);
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The admin guards, inside the transaction that makes the change: the active admins are locked
 * first, so two admins demoting each other at once cannot both succeed.
 */
async function guardAdmins(tx: EntityManager, actorId: number, target: UserAdminDtoT, after: { role: Role; active: boolean } | null, verb: string): Promise<void> {
  const losesAdmin = target.role === 'admin' && target.active && (after === null || after.role !== 'admin' || !after.active);
  if (!losesAdmin) return;
  if (target.id === actorId) throw conflict('own_admin_rights', `You cannot ${verb} yourself: ask another admin`);
  const admins = await tx.execute<{ id: number }[]>(`select id from users where role = 'admin' and active order by id for update`);
  if (admins.filter((a) => a.id !== target.id).length === 0) throw conflict('last_admin', `Cannot ${verb} ${target.email}: they are the last active admin`);
}

async function checkReferences(em: EntityManager, role: Role | undefined, body: { groupIds?: number[]; organizationId?: number | null }): Promise<void> {
  const check = new ReferenceCheck(em);
  if (body.groupIds?.length) {
    if (role === 'customer') check.add('body.groupIds', 'Customers cannot be members of groups');
    else await check.groups('body.groupIds', body.groupIds);
  }
  await check.exists('body.organizationId', 'organizations', body.organizationId, 'organization');
  check.done();
}

async function setGroups(tx: EntityManager, userId: number, groupIds: number[]): Promise<void> {
  await tx.execute('delete from group_members where user_id = ?', [userId]);
  const unique = [...new Set(groupIds)];
  if (unique.length) await tx.execute('insert into group_members (group_id, user_id) select unnest(?::int[]), ?', [pgArray(unique), userId]);
}

/** What keeps a user from being deleted outright (their name stays on it). */
async function history(em: EntityManager, userId: number): Promise<boolean> {
  const [row] = await em.execute<{ used: boolean }[]>(
    `select exists(select 1 from tickets where requester_id = ? or assignee_id = ?)
         or exists(select 1 from messages where author_id = ?)
         or exists(select 1 from timeline_events where actor_id = ?)
         or exists(select 1 from rule_versions where author_id = ?) as used`,
    [userId, userId, userId, userId, userId],
  );
  return row!.used;
}

export function userRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: users'];
  const taken = (err: unknown) => uniqueViolation(err, 'users_email_unique', 'email', 'A user with this e-mail exists');

  defineRoute(r, registry, {
    method: 'get',
    path: '/users',
    summary: 'Users by name, with filters and a cursor (staff: a picker projection; admins: everything)',
    tags,
    action: 'directory.read',
    query: ListUsersQuery,
    response: z.object({ items: z.array(UserListItem), nextCursor: z.string().nullable() }).meta({ id: 'UserList' }),
    errors: [422],
    handler: async ({ em, query, user }) => {
      const where: string[] = [];
      const params: unknown[] = [];
      const filter = (clause: string, ...values: unknown[]) => {
        where.push(clause);
        params.push(...values);
      };
      if (query.role) filter('u.role = ?', query.role);
      if (query.active) filter('u.active = ?', query.active === 'true');
      if (query.q) filter(`(u.name ilike ? escape '\\' or u.email ilike ? escape '\\')`, likePattern(query.q), likePattern(query.q));
      if (query.groupId) filter('exists(select 1 from group_members gm where gm.user_id = u.id and gm.group_id = ?)', query.groupId);
      if (query.cursor) filter('(u.name, u.id) > (?, ?)', ...decodeCursor(query.cursor));
      const rows = await em.execute<UserRow[]>(`${SELECT_USERS} ${where.length ? `where ${where.join(' and ')}` : ''} order by u.name, u.id limit ?`, [...params, query.limit + 1]);
      const page = rows.slice(0, query.limit);
      const full = can(user.role, 'admin.manage');
      return { items: page.map((u) => (full ? adminDto(u) : pickerDto(u))), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null };
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/users/:id',
    summary: 'One user',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: UserAdminDto,
    errors: [404],
    handler: async ({ em, params }) => userDto(em, params.id),
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/users',
    summary: 'Create a user (e-mail unique), with or without an initial password',
    tags,
    action: 'admin.manage',
    body: CreateUserBody,
    status: 201,
    response: UserAdminDto,
    errors: [409, 422],
    handler: async ({ em, req, body }) => {
      await checkReferences(em, body.role, body);
      const hash = body.password ? await hashPassword(body.password) : null;
      const userId = await em
        .transactional(async (tx) => {
          const [row] = await tx.execute<{ id: number }[]>(
            `insert into users (email, name, password_hash, role, locale, active, available, capacity, organization_id, created_at)
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, now()) returning id`,
            [body.email, body.name, hash, body.role, body.locale, body.active, body.available, body.capacity, body.organizationId],
          );
          await setGroups(tx, row!.id, body.groupIds);
          await auditChange(tx, req, { action: 'user.created', targetType: 'user', targetId: row!.id, after: audited(await userDto(tx, row!.id)) });
          return row!.id;
        })
        .catch(taken);
      return userDto(em, userId);
    },
  });
  defineRoute(r, registry, {
    method: 'patch',
    path: '/users/:id',
    summary: 'Change a user: name, e-mail, role, locale, active, availability, capacity, groups, password',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchUserBody,
    response: UserAdminDto,
    errors: [404, 409, 422],
    handler: async ({ em, req, params, body, user }) => {
      const current = await userDto(em, params.id);
      const role = body.role ?? current.role;
      await checkReferences(em, role, body);
      const hash = body.password === undefined ? undefined : body.password === null ? null : await hashPassword(body.password);
      await em
        .transactional(async (tx) => {
          await guardAdmins(tx, user.id, current, { role, active: body.active ?? current.active }, body.active === false ? 'deactivate' : 'demote');
          const columns: Record<string, [string, unknown]> = {
            email: ['email = ?', body.email],
            name: ['name = ?', body.name],
            role: ['role = ?', body.role],
            locale: ['locale = ?', body.locale],
            active: ['active = ?', body.active],
            available: ['available = ?', body.available],
            capacity: ['capacity = ?', body.capacity],
            organizationId: ['organization_id = ?', body.organizationId],
            password: ['password_hash = ?', hash],
          };
          const sets = Object.keys(body)
            .filter((k) => k in columns)
            .map((k) => columns[k]!);
          if (sets.length) await tx.execute(`update users set ${sets.map(([c]) => c).join(', ')} where id = ?`, [...sets.map(([, v]) => v), params.id]);
          if (role === 'customer' && current.role !== 'customer') {
            // Customers are no one's agents: out of every group, no longer a supervisor.
            await setGroups(tx, params.id, []);
            await tx.execute('update groups set supervisor_id = null where supervisor_id = ?', [params.id]);
          } else if (body.groupIds) await setGroups(tx, params.id, body.groupIds);
          // A deactivated user, or one whose password changed, must log in again.
          if (body.active === false || body.password !== undefined) await tx.execute('delete from auth_tokens where user_id = ?', [params.id]);
          const after = await userDto(tx, params.id);
          await auditChange(tx, req, {
            action: userAction(current, after),
            targetType: 'user',
            targetId: params.id,
            before: audited(current),
            after: audited(after),
            // The password itself is never recorded, only that it changed.
            detail: body.password === undefined ? null : { passwordChanged: true },
          });
        })
        .catch(taken);
      return userDto(em, params.id);
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/users/:id',
    summary: 'Delete a user; one with tickets or other history is deactivated instead',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: DeleteUserDto,
    errors: [404, 409],
    handler: async ({ em, req, params, user }) => {
      const current = await userDto(em, params.id);
      if (current.id === user.id) throw conflict('own_admin_rights', 'You cannot delete yourself: ask another admin');
      const outcome = await em.transactional(async (tx) => {
        await guardAdmins(tx, user.id, current, null, 'delete');
        const rules = await rulesReferencing(tx, 'user', params.id);
        if ((await history(tx, params.id)) || rules.length) {
          await tx.execute('update users set active = false where id = ?', [params.id]);
          await tx.execute('delete from auth_tokens where user_id = ?', [params.id]);
          await auditChange(tx, req, { action: 'user.deactivated', targetType: 'user', targetId: params.id, before: audited(current), after: audited(await userDto(tx, params.id)) });
          return 'deactivated' as const;
        }
        await tx.execute('update groups set supervisor_id = null where supervisor_id = ?', [params.id]);
        await tx.execute('delete from users where id = ?', [params.id]);
        await auditChange(tx, req, { action: 'user.deleted', targetType: 'user', targetId: params.id, before: audited(current) });
        return 'deleted' as const;
      });
      return { outcome, user: outcome === 'deactivated' ? await userDto(em, params.id) : null };
    },
  });
  return r;
}
