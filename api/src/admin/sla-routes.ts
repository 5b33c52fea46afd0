import { Router, type Request } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  addBusinessMs,
  ESCALATION_ACTIONS,
  MAX_REMINDER_SECONDS,
  PRIORITIES,
  reminderProblems,
  TERMINAL_STATUSES,
  validateCalendar,
  type CalendarSpec,
  type PendingReminders,
} from '@mehrdesk/core/domain';
import { loadCalendar, loadPolicySnapshot } from '@mehrdesk/core/services/policies';
import { policyChangedSignal, ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import type { AppDeps } from '../deps';
import { badRequest, notFound, unprocessable } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, IdParams } from '../http/params';
import { auditChange } from '../audit/record';

// SLA policies and business-hours calendars (W2 editing). Saving one re-plans the SLA timers
// of every open ticket it governs, by signalling their workflows with the new snapshot. Every
// save is audited (`sla_policy.*`, `calendar.*`, holidays included) in its transaction.

const seconds = z
  .number()
  .int()
  .min(1)
  .max(10 * 365 * 24 * 3600)
  .nullable();
const Targets = z.object({ firstResponseSeconds: seconds, resolutionSeconds: seconds }).strict();
const TargetsByPriority = z.object(Object.fromEntries(PRIORITIES.map((p) => [p, Targets])) as Record<(typeof PRIORITIES)[number], typeof Targets>).strict();
const EscalationStep = z.object({ on: z.enum(['warning', 'breach']), clock: z.enum(['any', 'first_response', 'resolution']), action: z.enum(ESCALATION_ACTIONS) }).strict();

const PolicyFields = {
  name: z.string().trim().min(1).max(200),
  isDefault: z.boolean(),
  targets: TargetsByPriority,
  warningFraction: z.number().gt(0).lt(1),
  escalation: z.array(EscalationStep).max(20),
  autoCloseAfterSeconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 24 * 3600)
    .nullable(),
  calendarId: bodyId,
  ...reminderFields(),
};

/** Pending reminders: business seconds since the ticket entered pending (so first < second < resolve). */
function reminderFields() {
  const step = (what: string) => z.number().int().min(1).max(MAX_REMINDER_SECONDS).nullable().describe(`${what}, in business seconds since entering pending; null = off`);
  return {
    remindAfterSeconds: step('Remind the customer of a pending ticket'),
    remindAgainAfterSeconds: step('Remind again (needs the first reminder, and later than it)'),
    autoResolveAfterSeconds: step('Resolve the ticket (later than the reminders)'),
  };
}
const REMINDER_KEYS = ['remindAfterSeconds', 'remindAgainAfterSeconds', 'autoResolveAfterSeconds'] as const;
const CreatePolicyBody = z
  .object({
    ...PolicyFields,
    isDefault: PolicyFields.isDefault.default(false),
    warningFraction: PolicyFields.warningFraction.default(0.8),
    escalation: PolicyFields.escalation.default([]),
    autoCloseAfterSeconds: PolicyFields.autoCloseAfterSeconds.default(null),
    remindAfterSeconds: PolicyFields.remindAfterSeconds.default(null),
    remindAgainAfterSeconds: PolicyFields.remindAgainAfterSeconds.default(null),
    autoResolveAfterSeconds: PolicyFields.autoResolveAfterSeconds.default(null),
  })
  .strict()
  .meta({ id: 'CreateSlaPolicyRequest' });
const PatchPolicyBody = z
  .object(PolicyFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'PatchSlaPolicyRequest' });
const PolicyDto = z.object({ id: z.number().int(), ...PolicyFields, openTicketsUpdated: z.number().int().optional() }).meta({ id: 'SlaPolicy' });

const Shift = z.object({ weekday: z.number().int().min(1).max(7).describe('1 = Monday … 7 = Sunday'), start: z.string().regex(/^\d\d:\d\d$/), end: z.string().regex(/^\d\d:\d\d$/) }).strict();
const HolidayItem = z.object({ date: z.string().regex(/^\d{4}-\d\d-\d\d$/), name: z.string().max(200).optional(), recurringYearly: z.boolean().default(false) }).strict();
const CalendarBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    timeZone: z.string().min(1).max(64).describe('IANA zone, e.g. Asia/Tehran'),
    alwaysOpen: z.boolean().default(false),
    shifts: z.array(Shift).max(50).default([]),
    holidays: z.array(HolidayItem).max(1000).default([]),
  })
  .strict()
  .meta({ id: 'CalendarRequest' });
const CalendarDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    timeZone: z.string(),
    alwaysOpen: z.boolean(),
    shifts: z.array(Shift),
    holidays: z.array(HolidayItem),
    openTicketsUpdated: z.number().int().optional(),
  })
  .meta({ id: 'Calendar' });

/** The calendar's own rules (zone exists, shifts don't overlap, dates are real) as 400 fields. */
function checkCalendar(body: z.infer<typeof CalendarBody>) {
  const problems = validateCalendar({ timeZone: body.timeZone, alwaysOpen: body.alwaysOpen, shifts: body.shifts as never, holidays: body.holidays });
  if (problems.length)
    throw badRequest(
      'Invalid calendar',
      problems.map((message) => ({ path: /holiday/i.test(message) ? 'body.holidays' : /zone/i.test(message) ? 'body.timeZone' : 'body.shifts', message })),
    );
}

/**
 * Ticket workflows place deadlines with addBusinessMs, which gives up after about three years
 * of calendar; a target it cannot place would make every ticket under the policy fail. So a
 * calendar must open at all, and a policy's longest target must fit in its calendar's window.
 */
function fitsCalendar(cal: CalendarSpec, businessMs: number): boolean {
  try {
    addBusinessMs(cal, Date.now(), Math.max(businessMs, 1));
    return true;
  } catch {
    return false;
  }
}

/** The longest target of a policy, with the body path it came from. */
function longestTarget(targets: z.infer<typeof TargetsByPriority>): { ms: number; path: string } {
  let longest = { ms: 0, path: 'body.targets' };
  for (const p of PRIORITIES)
    for (const clock of ['firstResponseSeconds', 'resolutionSeconds'] as const) {
      const s = targets[p][clock];
      if (s !== null && s * 1000 > longest.ms) longest = { ms: s * 1000, path: `body.targets.${p}.${clock}` };
    }
  return longest;
}

const unreachable = (hours: number) => `needs ${hours} business hours, more than the calendar opens within about three years`;

async function policyDto(em: EntityManager, policyId: number) {
  const [p] = await em.execute<Record<string, unknown>[]>('select * from sla_policies where id = ?', [policyId]);
  if (!p) throw notFound(`SLA policy ${policyId}`);
  return {
    id: p.id as number,
    name: p.name as string,
    isDefault: p.is_default as boolean,
    targets: p.targets as z.infer<typeof TargetsByPriority>,
    warningFraction: Number(p.warning_fraction),
    escalation: p.escalation as z.infer<typeof EscalationStep>[],
    autoCloseAfterSeconds: (p.auto_close_after_seconds as number | null) ?? null,
    calendarId: p.calendar_id as number,
    remindAfterSeconds: (p.remind_after_seconds as number | null) ?? null,
    remindAgainAfterSeconds: (p.remind_again_after_seconds as number | null) ?? null,
    autoResolveAfterSeconds: (p.auto_resolve_after_seconds as number | null) ?? null,
  };
}

async function calendarDto(em: EntityManager, calendarId: number) {
  const [c] = await em.execute<{ id: number; name: string }[]>('select id, name from business_calendars where id = ?', [calendarId]);
  if (!c) throw notFound(`Calendar ${calendarId}`);
  const spec = await loadCalendar(em, calendarId);
  return {
    id: c.id,
    name: c.name,
    timeZone: spec.timeZone,
    alwaysOpen: spec.alwaysOpen ?? false,
    shifts: spec.shifts,
    holidays: spec.holidays.map((h) => ({ date: h.date, recurringYearly: h.recurringYearly ?? false, ...(h.name ? { name: h.name } : {}) })),
  };
}

/** Signal every open ticket under these policies with their new snapshot; returns how many. */
async function replanOpenTickets(deps: AppDeps, em: EntityManager, policyIds: number[]): Promise<number> {
  let count = 0;
  for (const policyId of policyIds) {
    const policy = await loadPolicySnapshot(em, policyId);
    const rows = await em.execute<{ id: number }[]>(`select id from tickets where sla_policy_id = ? and deleted_at is null and status not in (${TERMINAL_STATUSES.map(() => '?').join(',')})`, [
      policyId,
      ...TERMINAL_STATUSES,
    ]);
    // Bounded fan-out: enough parallelism to be quick, not enough to flood the frontend.
    for (let i = 0; i < rows.length; i += 32) {
      await Promise.all(
        rows.slice(i, i + 32).map((r) =>
          deps.temporal.workflow
            .getHandle(ticketWorkflowId(r.id))
            .signal(policyChangedSignal, { policy })
            .then(() => count++)
            .catch((err: unknown) => deps.log.warn({ err, ticketId: r.id }, 'could not re-plan SLA of ticket')),
        ),
      );
    }
  }
  return count;
}

export function slaAdminRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: SLA'];
  const calendarExists = async (em: EntityManager, calendarId: number) => {
    if ((await em.execute('select 1 from business_calendars where id = ?', [calendarId])).length === 0)
      throw unprocessable('Unknown calendar', [{ path: 'body.calendarId', message: `No calendar ${calendarId}` }]);
  };
  const checkTargetsFit = async (em: EntityManager, calendarId: number, targets: z.infer<typeof TargetsByPriority>) => {
    const longest = longestTarget(targets);
    if (!fitsCalendar(await loadCalendar(em, calendarId), longest.ms))
      throw badRequest('Invalid SLA policy', [
        { path: longest.ms ? longest.path : 'body.calendarId', message: longest.ms ? unreachable(Math.round(longest.ms / 3_600_000)) : 'The calendar is never open' },
      ]);
  };
  /** Reminder steps in order, and each one placeable in the calendar (like the targets). */
  const checkReminders = async (em: EntityManager, calendarId: number, r: PendingReminders) => {
    const problems = reminderProblems(r);
    if (problems.length)
      throw badRequest(
        'Invalid SLA policy',
        problems.map((p) => ({ path: `body.${p.field}`, message: p.message })),
      );
    const longest = REMINDER_KEYS.filter((k) => r[k] !== null).at(-1);
    if (longest && !fitsCalendar(await loadCalendar(em, calendarId), r[longest]! * 1000))
      throw badRequest('Invalid SLA policy', [{ path: `body.${longest}`, message: unreachable(Math.round(r[longest]! / 3600)) }]);
  };
  const uniqueName = (err: unknown, what: string): never => {
    if (/_name_unique/.test(String(err))) throw unprocessable(`A ${what} with this name exists`, [{ path: 'body.name', message: 'Already taken' }]);
    throw err;
  };

  defineRoute(r, registry, {
    method: 'get',
    path: '/sla-policies',
    summary: 'List SLA policies',
    tags,
    action: 'admin.manage',
    response: z.object({ items: z.array(PolicyDto) }),
    handler: async ({ em }) => {
      const ids = await em.execute<{ id: number }[]>('select id from sla_policies order by id');
      return { items: await Promise.all(ids.map((x) => policyDto(em, x.id))) };
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/sla-policies/:id',
    summary: 'One SLA policy',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: PolicyDto,
    errors: [404],
    handler: async ({ em, params }) => policyDto(em, params.id),
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/sla-policies',
    summary: 'Create an SLA policy',
    tags,
    action: 'admin.manage',
    body: CreatePolicyBody,
    status: 201,
    response: PolicyDto,
    errors: [422],
    handler: async ({ em, req, body }) => {
      await calendarExists(em, body.calendarId);
      await checkTargetsFit(em, body.calendarId, body.targets);
      await checkReminders(em, body.calendarId, body);
      const newId = await em
        .transactional(async (tx) => {
          if (body.isDefault) await tx.execute('update sla_policies set is_default = false where is_default');
          const [row] = await tx.execute<{ id: number }[]>(
            `insert into sla_policies (name, is_default, targets, warning_fraction, escalation, auto_close_after_seconds, calendar_id,
                                     remind_after_seconds, remind_again_after_seconds, auto_resolve_after_seconds, updated_at)
           values (?, ?, ?::jsonb, ?, ?::jsonb, ?, ?, ?, ?, ?, now()) returning id`,
            [
              body.name,
              body.isDefault,
              JSON.stringify(body.targets),
              body.warningFraction,
              JSON.stringify(body.escalation),
              body.autoCloseAfterSeconds,
              body.calendarId,
              body.remindAfterSeconds,
              body.remindAgainAfterSeconds,
              body.autoResolveAfterSeconds,
            ],
          );
          await auditChange(tx, req, { action: 'sla_policy.created', targetType: 'sla_policy', targetId: row!.id, after: await policyDto(tx, row!.id) });
          return row!.id;
        })
        .catch((err: unknown) => uniqueName(err, 'policy'));
      return policyDto(em, newId);
    },
  });
  defineRoute(r, registry, {
    method: 'patch',
    path: '/sla-policies/:id',
    summary: 'Change an SLA policy; open tickets under it are re-planned',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchPolicyBody,
    response: PolicyDto,
    errors: [404, 422],
    handler: async ({ em, req, params, body }) => {
      const current = await policyDto(em, params.id);
      if (body.calendarId !== undefined) await calendarExists(em, body.calendarId);
      if (body.calendarId !== undefined || body.targets !== undefined) await checkTargetsFit(em, body.calendarId ?? current.calendarId, body.targets ?? current.targets);
      if (body.calendarId !== undefined || REMINDER_KEYS.some((k) => body[k] !== undefined))
        await checkReminders(em, body.calendarId ?? current.calendarId, {
          remindAfterSeconds: body.remindAfterSeconds !== undefined ? body.remindAfterSeconds : current.remindAfterSeconds,
          remindAgainAfterSeconds: body.remindAgainAfterSeconds !== undefined ? body.remindAgainAfterSeconds : current.remindAgainAfterSeconds,
          autoResolveAfterSeconds: body.autoResolveAfterSeconds !== undefined ? body.autoResolveAfterSeconds : current.autoResolveAfterSeconds,
        });
      const column: Record<string, [string, (v: unknown) => unknown]> = {
        name: ['name = ?', (v) => v],
        isDefault: ['is_default = ?', (v) => v],
        targets: ['targets = ?::jsonb', (v) => JSON.stringify(v)],
        warningFraction: ['warning_fraction = ?', (v) => v],
        escalation: ['escalation = ?::jsonb', (v) => JSON.stringify(v)],
        autoCloseAfterSeconds: ['auto_close_after_seconds = ?', (v) => v],
        calendarId: ['calendar_id = ?', (v) => v],
        remindAfterSeconds: ['remind_after_seconds = ?', (v) => v],
        remindAgainAfterSeconds: ['remind_again_after_seconds = ?', (v) => v],
        autoResolveAfterSeconds: ['auto_resolve_after_seconds = ?', (v) => v],
      };
      const entries = Object.entries(body).filter(([, v]) => v !== undefined);
      await em
        .transactional(async (tx) => {
          if (body.isDefault) await tx.execute('update sla_policies set is_default = false where is_default and id <> ?', [params.id]);
          await tx.execute(`update sla_policies set ${entries.map(([k]) => column[k]![0]).join(', ')}, updated_at = now() where id = ?`, [...entries.map(([k, v]) => column[k]![1](v)), params.id]);
          await auditChange(tx, req, { action: 'sla_policy.updated', targetType: 'sla_policy', targetId: params.id, before: current, after: await policyDto(tx, params.id) });
        })
        .catch((err: unknown) => uniqueName(err, 'policy'));
      const openTicketsUpdated = await replanOpenTickets(deps, em, [params.id]);
      return { ...(await policyDto(em, params.id)), openTicketsUpdated };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/calendars',
    summary: 'List business-hours calendars',
    tags,
    action: 'admin.manage',
    response: z.object({ items: z.array(CalendarDto) }),
    handler: async ({ em }) => {
      const ids = await em.execute<{ id: number }[]>('select id from business_calendars order by id');
      return { items: await Promise.all(ids.map((x) => calendarDto(em, x.id))) };
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/calendars/:id',
    summary: 'One calendar with its holidays',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: CalendarDto,
    errors: [404],
    handler: async ({ em, params }) => calendarDto(em, params.id),
  });
  /** Creates (`existing` null) or replaces a calendar; `before` is what the audit entry records as replaced. */
  const saveCalendar = async (em: EntityManager, req: Request, body: z.infer<typeof CalendarBody>, existing: number | null, before: unknown = null) => {
    checkCalendar(body);
    const spec: CalendarSpec = { timeZone: body.timeZone, alwaysOpen: body.alwaysOpen, shifts: body.shifts as CalendarSpec['shifts'], holidays: body.holidays };
    if (!fitsCalendar(spec, 0)) throw badRequest('Invalid calendar', [{ path: 'body.shifts', message: 'The calendar is never open: give shifts (or alwaysOpen) that holidays do not cancel' }]);
    const users =
      existing === null ? [] : await em.execute<{ name: string; targets: z.infer<typeof TargetsByPriority> }[]>('select name, targets from sla_policies where calendar_id = ? order by id', [existing]);
    const short = users.map((p) => ({ name: p.name, ms: longestTarget(p.targets).ms })).filter((p) => !fitsCalendar(spec, p.ms));
    if (short.length)
      throw badRequest(
        'Invalid calendar',
        short.map((p) => ({ path: 'body.shifts', message: `SLA policy "${p.name}" ${unreachable(Math.round(p.ms / 3_600_000))}` })),
      );
    return em
      .transactional(async (tx) => {
        let calId = existing;
        if (calId === null) {
          const [row] = await tx.execute<{ id: number }[]>('insert into business_calendars (name, time_zone, always_open, shifts, updated_at) values (?, ?, ?, ?::jsonb, now()) returning id', [
            body.name,
            body.timeZone,
            body.alwaysOpen,
            JSON.stringify(body.shifts),
          ]);
          calId = row!.id;
        } else {
          await tx.execute('update business_calendars set name = ?, time_zone = ?, always_open = ?, shifts = ?::jsonb, updated_at = now() where id = ?', [
            body.name,
            body.timeZone,
            body.alwaysOpen,
            JSON.stringify(body.shifts),
            calId,
          ]);
          await tx.execute('delete from holidays where calendar_id = ?', [calId]);
        }
        for (const hd of body.holidays) await tx.execute('insert into holidays (calendar_id, date, name, recurring_yearly) values (?, ?, ?, ?)', [calId, hd.date, hd.name ?? null, hd.recurringYearly]);
        await auditChange(tx, req, { action: existing === null ? 'calendar.created' : 'calendar.updated', targetType: 'calendar', targetId: calId, before, after: await calendarDto(tx, calId) });
        return calId;
      })
      .catch((err: unknown) => uniqueName(err, 'calendar'));
  };
  defineRoute(r, registry, {
    method: 'post',
    path: '/calendars',
    summary: 'Create a calendar (weekly shifts in its time zone, holidays)',
    tags,
    action: 'admin.manage',
    body: CalendarBody,
    status: 201,
    response: CalendarDto,
    errors: [422],
    handler: async ({ em, req, body }) => calendarDto(em, await saveCalendar(em, req, body, null)),
  });
  defineRoute(r, registry, {
    method: 'put',
    path: '/calendars/:id',
    summary: 'Replace a calendar; open tickets under policies using it are re-planned',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: CalendarBody,
    response: CalendarDto,
    errors: [404, 422],
    handler: async ({ em, req, params, body }) => {
      const before = await calendarDto(em, params.id);
      await saveCalendar(em, req, body, params.id, before);
      const policies = await em.execute<{ id: number }[]>('select id from sla_policies where calendar_id = ?', [params.id]);
      const openTicketsUpdated = await replanOpenTickets(
        deps,
        em,
        policies.map((p) => p.id),
      );
      return { ...(await calendarDto(em, params.id)), openTicketsUpdated };
    },
  });
  return r;
}
