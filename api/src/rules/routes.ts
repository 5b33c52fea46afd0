import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { RULE_TRIGGERS } from '@mehrdesk/core/db';
import { SLA_CLOCKS } from '@mehrdesk/core/domain';
import type { AppDeps } from '../deps';
import { badRequest, conflict, notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, bodyVersion, IdParams, pathId } from '../http/params';
import { dryRun, ruleDefinitionProblems } from './service';
import { syncRuleSchedule } from './schedules';
import { auditChange, without } from '../audit/record';

/** Events a dry-run can simulate: all but survey.received, whose facts come from a stored rating. */
const DryRunEvent = z.enum(RULE_TRIGGERS).exclude(['survey.received']);

// Automation rules (R1-R4): every save is a new immutable version with author and time; any
// version can be read and restored; rules are ordered, enabled/disabled, dry-run against real
// tickets, and every evaluation is in the execution log. Every change is audited (`rule.*`) in
// its transaction, with the rule before and after.

const id = pathId;
const VersionParams = z.object({ id, version: id }).strict();

const RuleDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    trigger: z.enum(RULE_TRIGGERS),
    position: z.number().int(),
    enabled: z.boolean(),
    version: z.number().int(),
    definition: z.record(z.string(), z.unknown()),
    counters: z.object({ runs: z.number().int(), matches: z.number().int(), lastMatchedAt: z.string().nullable() }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Rule' });
type RuleDtoT = z.infer<typeof RuleDto>;

const VersionDto = z
  .object({
    version: z.number().int(),
    name: z.string(),
    definition: z.record(z.string(), z.unknown()),
    author: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    comment: z.string().nullable(),
    restoredFrom: z.number().int().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'RuleVersion' });

const definition = z.record(z.string(), z.unknown()).describe('Rule definition: trigger, schedule, conditions (all/any/not trees) and actions; see the rule schema');
const CreateBody = z
  .object({ name: z.string().trim().min(1).max(200), description: z.string().max(2000).optional(), enabled: z.boolean().default(true), definition, comment: z.string().max(500).optional() })
  .strict()
  .meta({ id: 'CreateRuleRequest' });
const SaveBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).nullable().optional(),
    definition,
    comment: z.string().max(500).optional(),
    expectedVersion: bodyVersion.optional().describe('Refused with 409 when another save came first'),
  })
  .strict()
  .meta({ id: 'SaveRuleRequest' });
const PatchBody = z.object({ enabled: z.boolean() }).strict().meta({ id: 'PatchRuleRequest' });
const ReorderBody = z
  .object({ ids: z.array(bodyId).min(1).max(10_000) })
  .strict()
  .meta({ id: 'ReorderRulesRequest' });
const DryRunBody = z
  .object({
    ticketId: bodyId,
    ruleId: bodyId.optional(),
    definition: definition.optional().describe('An unsaved draft; otherwise ruleId, otherwise every enabled rule'),
    event: z
      .object({ type: DryRunEvent, clock: z.enum(SLA_CLOCKS).optional(), messageId: bodyId.optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => !(b.ruleId && b.definition), { message: 'Give ruleId or definition, not both' })
  .meta({ id: 'DryRunRequest' });
const ConditionResult = z.object({
  pointer: z.string(),
  fact: z.string(),
  params: z.record(z.string(), z.unknown()).optional(),
  operator: z.string(),
  value: z.unknown(),
  factValue: z.unknown(),
  result: z.boolean(),
});
const DryRunDto = z
  .object({
    ticketId: z.number().int(),
    event: z.string(),
    results: z.array(
      z.object({
        ruleId: z.number().int().nullable(),
        version: z.number().int().nullable(),
        name: z.string(),
        matched: z.boolean(),
        conditions: z.array(ConditionResult),
        actions: z.array(z.unknown()),
        durationMs: z.number(),
      }),
    ),
  })
  .meta({ id: 'DryRunResult' });
const ExecutionsQuery = z
  .object({ ruleId: id.optional(), ticketId: id.optional(), matched: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(200).default(50), before: id.optional() })
  .strict();
const ExecutionDto = z
  .object({
    id: z.number().int(),
    ruleId: z.number().int(),
    ruleVersion: z.number().int(),
    ticketId: z.number().int().nullable(),
    eventType: z.string(),
    chainKey: z.string(),
    chainDepth: z.number().int(),
    matched: z.boolean(),
    conditions: z.array(z.unknown()),
    actions: z.array(z.unknown()),
    durationMs: z.number(),
    error: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'RuleExecution' });

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

interface RuleRow {
  id: number;
  name: string;
  description: string | null;
  trigger: RuleDtoT['trigger'];
  position: number;
  enabled: boolean;
  current_version: number;
  definition: Record<string, unknown>;
  runs: number;
  matches: number;
  last_matched_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface VersionRow {
  version: number;
  name: string;
  definition: Record<string, unknown>;
  author_id: number | null;
  author_name: string | null;
  comment: string | null;
  restored_from: number | null;
  created_at: Date;
}

interface ExecutionRow {
  id: number;
  rule_id: number;
  rule_version: number;
  ticket_id: number | null;
  event_type: string;
  chain_key: string;
  chain_depth: number;
  matched: boolean;
  conditions: unknown[];
  actions: unknown[];
  duration_ms: number | string;
  error: string | null;
  created_at: Date;
}

async function ruleDto(em: EntityManager, ruleId: number): Promise<RuleDtoT> {
  const [r] = await em.execute<RuleRow[]>(`select r.*, v.definition from rules r join rule_versions v on v.rule_id = r.id and v.version = r.current_version where r.id = ? and r.deleted_at is null`, [
    ruleId,
  ]);
  if (!r) throw notFound(`Rule ${ruleId}`);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    trigger: r.trigger,
    position: r.position,
    enabled: r.enabled,
    version: r.current_version,
    definition: r.definition,
    counters: { runs: r.runs, matches: r.matches, lastMatchedAt: iso(r.last_matched_at) },
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** A rule as the audit log records it: its settings and definition, not its run counters. */
const audited = (r: RuleDtoT) => without(r, 'counters', 'createdAt', 'updatedAt');

/** Bump the rule-set version in the same transaction, so workers recompile exactly once. */
const bumpRuleSet = (tx: EntityManager) => tx.execute('update rule_set_state set version = version + 1, updated_at = now() where id = 1');

export function ruleRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: automation'];

  /** Validate shape (400 with JSON pointers) and references (422 with pointers). */
  async function checked(em: EntityManager, def: unknown) {
    const problems = await ruleDefinitionProblems(em, def);
    if (problems.kind === 'shape')
      throw badRequest(
        'Invalid rule',
        problems.errors.map((e) => ({ path: `body.definition${e.pointer.replace(/\//g, '.')}`, pointer: `/definition${e.pointer}`, message: e.message })),
      );
    if (problems.kind === 'references')
      throw badRequest(
        'Rule refers to records that do not exist',
        problems.errors.map((e) => ({ path: `body.definition${e.pointer.replace(/\//g, '.')}`, pointer: `/definition${e.pointer}`, message: e.message })),
      );
    if (problems.kind !== 'ok') throw new Error('unreachable');
    return problems.rule;
  }

  defineRoute(r, registry, {
    method: 'get',
    path: '/rules',
    summary: 'Rules in evaluation order, with counters',
    tags,
    action: 'admin.manage',
    query: z.object({ trigger: z.enum(RULE_TRIGGERS).optional() }).strict(),
    response: z.object({ items: z.array(RuleDto) }),
    handler: async ({ em, query }) => {
      const ids = await em.execute<{ id: number }[]>(
        `select id from rules where deleted_at is null ${query.trigger ? 'and trigger = ?' : ''} order by position, id`,
        query.trigger ? [query.trigger] : [],
      );
      return { items: await Promise.all(ids.map((x) => ruleDto(em, x.id))) };
    },
  });

  // Static paths before '/rules/:id', which would otherwise take 'executions' as an id.
  defineRoute(r, registry, {
    method: 'get',
    path: '/rules/executions',
    summary: 'Execution log: which rules ran for which event, matched or not, what they did, how long it took',
    tags,
    action: 'admin.manage',
    query: ExecutionsQuery,
    response: z.object({ items: z.array(ExecutionDto), nextBefore: z.number().int().nullable() }),
    handler: async ({ em, query }) => {
      const where: string[] = [];
      const params: unknown[] = [];
      const filter = (clause: string, value: unknown) => {
        where.push(clause);
        params.push(value);
      };
      if (query.ruleId) filter('rule_id = ?', query.ruleId);
      if (query.ticketId) filter('ticket_id = ?', query.ticketId);
      if (query.matched) filter('matched = ?', query.matched === 'true');
      if (query.before) filter('id < ?', query.before);
      const rows = await em.execute<ExecutionRow[]>(`select * from rule_executions ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ?`, [...params, query.limit + 1]);
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((x) => ({
          id: x.id,
          ruleId: x.rule_id,
          ruleVersion: x.rule_version,
          ticketId: x.ticket_id,
          eventType: x.event_type,
          chainKey: x.chain_key,
          chainDepth: x.chain_depth,
          matched: x.matched,
          conditions: x.conditions,
          actions: x.actions,
          durationMs: Number(x.duration_ms),
          error: x.error,
          createdAt: iso(x.created_at)!,
        })),
        nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null,
      };
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/rules',
    summary: 'Create a rule (version 1), appended to the order',
    tags,
    action: 'admin.manage',
    body: CreateBody,
    status: 201,
    response: RuleDto,
    errors: [422],
    handler: async ({ em, req, body, user }) => {
      const def = await checked(em, body.definition);
      const ruleId = await em.transactional(async (tx) => {
        const [row] = await tx.execute<{ id: number }[]>(
          `insert into rules (name, description, trigger, position, enabled, current_version, schedule_every_minutes, runs, matches, created_at, updated_at)
           values (?, ?, ?, coalesce((select max(position) from rules where deleted_at is null), 0) + 10, ?, 1, ?, 0, 0, now(), now()) returning id`,
          [body.name, body.description ?? null, def.trigger, body.enabled, def.schedule?.everyMinutes ?? null],
        );
        await tx.execute(`insert into rule_versions (rule_id, version, name, definition, author_id, comment, created_at) values (?, 1, ?, ?::jsonb, ?, ?, now())`, [
          row!.id,
          body.name,
          JSON.stringify(def),
          user.id,
          body.comment ?? null,
        ]);
        await bumpRuleSet(tx);
        await auditChange(tx, req, { action: 'rule.created', targetType: 'rule', targetId: row!.id, after: audited(await ruleDto(tx, row!.id)) });
        return row!.id;
      });
      await syncRuleSchedule(deps, em, ruleId);
      return ruleDto(em, ruleId);
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/rules/:id',
    summary: 'One rule with its current definition',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: RuleDto,
    errors: [404],
    handler: async ({ em, params }) => ruleDto(em, params.id),
  });

  defineRoute(r, registry, {
    method: 'put',
    path: '/rules/:id',
    summary: 'Save a new version of a rule',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: SaveBody,
    response: RuleDto,
    errors: [404, 409],
    handler: async ({ em, req, params, body, user }) => {
      const current = await ruleDto(em, params.id);
      if (body.expectedVersion !== undefined && body.expectedVersion !== current.version)
        throw conflict('version_conflict', `Rule ${params.id} was saved meanwhile: version ${body.expectedVersion} is stale, current is ${current.version}`);
      const def = await checked(em, body.definition);
      await em.transactional(async (tx) => {
        const [row] = await tx.execute<{ current_version: number }[]>(
          `update rules set current_version = current_version + 1, name = ?, description = ?, trigger = ?, schedule_every_minutes = ?, updated_at = now()
            where id = ? and deleted_at is null returning current_version`,
          [body.name ?? current.name, body.description === undefined ? current.description : body.description, def.trigger, def.schedule?.everyMinutes ?? null, params.id],
        );
        await tx.execute(`insert into rule_versions (rule_id, version, name, definition, author_id, comment, created_at) values (?, ?, ?, ?::jsonb, ?, ?, now())`, [
          params.id,
          row!.current_version,
          body.name ?? current.name,
          JSON.stringify(def),
          user.id,
          body.comment ?? null,
        ]);
        await bumpRuleSet(tx);
        await auditChange(tx, req, { action: 'rule.updated', targetType: 'rule', targetId: params.id, before: audited(current), after: audited(await ruleDto(tx, params.id)) });
      });
      await syncRuleSchedule(deps, em, params.id);
      return ruleDto(em, params.id);
    },
  });

  defineRoute(r, registry, {
    method: 'patch',
    path: '/rules/:id',
    summary: 'Enable or disable a rule',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchBody,
    response: RuleDto,
    errors: [404],
    handler: async ({ em, req, params, body }) => {
      const before = await ruleDto(em, params.id);
      await em.transactional(async (tx) => {
        await tx.execute('update rules set enabled = ?, updated_at = now() where id = ?', [body.enabled, params.id]);
        await bumpRuleSet(tx);
        await auditChange(tx, req, {
          action: body.enabled ? 'rule.enabled' : 'rule.disabled',
          targetType: 'rule',
          targetId: params.id,
          before: { enabled: before.enabled },
          after: { enabled: body.enabled },
        });
      });
      await syncRuleSchedule(deps, em, params.id);
      return ruleDto(em, params.id);
    },
  });

  defineRoute(r, registry, {
    method: 'delete',
    path: '/rules/:id',
    summary: 'Delete a rule (its versions and log are kept)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    status: 204,
    errors: [404],
    handler: async ({ em, req, params }) => {
      const before = await ruleDto(em, params.id);
      await em.transactional(async (tx) => {
        await tx.execute('update rules set deleted_at = now(), enabled = false, updated_at = now() where id = ?', [params.id]);
        await bumpRuleSet(tx);
        await auditChange(tx, req, { action: 'rule.deleted', targetType: 'rule', targetId: params.id, before: audited(before) });
      });
      await syncRuleSchedule(deps, em, params.id);
      return undefined;
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/rules/reorder',
    summary: 'Set the evaluation order: every rule id exactly once',
    tags,
    action: 'admin.manage',
    body: ReorderBody,
    response: z.object({ items: z.array(RuleDto) }),
    handler: async ({ em, req, body }) => {
      const existing = (await em.execute<{ id: number }[]>('select id from rules where deleted_at is null order by id')).map((x) => x.id);
      const given = new Set(body.ids);
      const missing = existing.filter((x) => !given.has(x));
      const unknown = body.ids.filter((x) => !existing.includes(x));
      if (missing.length || unknown.length || given.size !== body.ids.length)
        throw badRequest('ids must list every rule exactly once', [
          ...(missing.length ? [{ path: 'body.ids', message: `Missing: ${missing.join(', ')}` }] : []),
          ...(unknown.length ? [{ path: 'body.ids', message: `Unknown: ${unknown.join(', ')}` }] : []),
          ...(given.size !== body.ids.length ? [{ path: 'body.ids', message: 'Duplicates' }] : []),
        ]);
      await em.transactional(async (tx) => {
        const order = async () => (await tx.execute<{ id: number }[]>('select id from rules where deleted_at is null order by position, id')).map((x) => x.id);
        const before = await order();
        for (const [i, ruleId] of body.ids.entries()) await tx.execute('update rules set position = ? where id = ?', [(i + 1) * 10, ruleId]);
        await bumpRuleSet(tx);
        await auditChange(tx, req, { action: 'rule.reordered', targetType: 'rule', before: { order: before }, after: { order: await order() } });
      });
      return { items: await Promise.all(body.ids.map((x) => ruleDto(em, x))) };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/rules/:id/versions',
    summary: 'Every saved version, newest first',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: z.object({ items: z.array(VersionDto) }),
    errors: [404],
    handler: async ({ em, params }) => {
      await ruleDto(em, params.id);
      const rows = await em.execute<VersionRow[]>(`select v.*, u.name as author_name from rule_versions v left join users u on u.id = v.author_id where v.rule_id = ? order by v.version desc`, [
        params.id,
      ]);
      return { items: rows.map(versionDto) };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/rules/:id/versions/:version',
    summary: 'One version',
    tags,
    action: 'admin.manage',
    params: VersionParams,
    response: VersionDto,
    errors: [404],
    handler: async ({ em, params }) => {
      const [v] = await em.execute<VersionRow[]>(`select v.*, u.name as author_name from rule_versions v left join users u on u.id = v.author_id where v.rule_id = ? and v.version = ?`, [
        params.id,
        params.version,
      ]);
      if (!v) throw notFound(`Version ${params.version} of rule ${params.id}`);
      return versionDto(v);
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/rules/:id/versions/:version/restore',
    summary: 'Restore an old version as the newest one',
    tags,
    action: 'admin.manage',
    params: VersionParams,
    status: 201,
    response: RuleDto,
    errors: [404, 422],
    handler: async ({ em, req, params, user }) => {
      const before = await ruleDto(em, params.id);
      const [v] = await em.execute<{ name: string; definition: unknown }[]>('select name, definition from rule_versions where rule_id = ? and version = ?', [params.id, params.version]);
      if (!v) throw notFound(`Version ${params.version} of rule ${params.id}`);
      // Re-check: records the old version referred to may be gone by now.
      const def = await checked(em, v.definition);
      await em.transactional(async (tx) => {
        const [row] = await tx.execute<{ current_version: number }[]>(
          'update rules set current_version = current_version + 1, name = ?, trigger = ?, schedule_every_minutes = ?, updated_at = now() where id = ? returning current_version',
          [v.name, def.trigger, def.schedule?.everyMinutes ?? null, params.id],
        );
        await tx.execute(`insert into rule_versions (rule_id, version, name, definition, author_id, comment, restored_from, created_at) values (?, ?, ?, ?::jsonb, ?, ?, ?, now())`, [
          params.id,
          row!.current_version,
          v.name,
          JSON.stringify(def),
          user.id,
          `Restored version ${params.version}`,
          params.version,
        ]);
        await bumpRuleSet(tx);
        await auditChange(tx, req, {
          action: 'rule.restored',
          targetType: 'rule',
          targetId: params.id,
          before: audited(before),
          after: audited(await ruleDto(tx, params.id)),
          detail: { restoredVersion: params.version },
        });
      });
      await syncRuleSchedule(deps, em, params.id);
      return ruleDto(em, params.id);
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/rules/dry-run',
    summary: 'Evaluate a rule, a draft or all rules against a real ticket; nothing changes',
    tags,
    action: 'admin.manage',
    body: DryRunBody,
    response: DryRunDto,
    errors: [404, 422],
    handler: async ({ em, body }) => {
      const draft = body.definition === undefined ? undefined : await checked(em, body.definition);
      return dryRun(em, { ticketId: body.ticketId, ruleId: body.ruleId, draft, event: body.event });
    },
  });

  return r;
}

function versionDto(v: VersionRow): z.infer<typeof VersionDto> {
  return {
    version: v.version,
    name: v.name,
    definition: v.definition,
    author: v.author_id ? { id: v.author_id, name: v.author_name ?? '' } : null,
    comment: v.comment,
    restoredFrom: v.restored_from,
    createdAt: new Date(v.created_at).toISOString(),
  };
}
