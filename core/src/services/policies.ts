import type { EntityManager } from '@mikro-orm/postgresql';
import type { CalendarSpec, SlaPolicySnapshot } from '../domain';
import { Category, Group, Organization, SlaPolicy } from '../db/entities';

// Which SLA policy governs a ticket, and the self-contained snapshot the workflow carries.

// Plain SQL reads on purpose: a snapshot must reflect the committed row, never an entity
// cached earlier in the same EntityManager (e.g. read before an admin's update).
export async function loadCalendar(em: EntityManager, calendarId: number): Promise<CalendarSpec> {
  const [cal] = await em.execute<{ time_zone: string; always_open: boolean; shifts: CalendarSpec['shifts'] }[]>('select time_zone, always_open, shifts from business_calendars where id = ?', [
    calendarId,
  ]);
  if (!cal) throw new Error(`calendar ${calendarId} does not exist`);
  const holidays = await em.execute<{ date: string; name: string | null; recurring_yearly: boolean }[]>('select date, name, recurring_yearly from holidays where calendar_id = ? order by date, id', [
    calendarId,
  ]);
  return {
    timeZone: cal.time_zone,
    alwaysOpen: cal.always_open,
    shifts: cal.shifts,
    holidays: holidays.map((h) => ({ date: h.date, recurringYearly: h.recurring_yearly, ...(h.name ? { name: h.name } : {}) })),
  };
}

export async function loadPolicySnapshot(em: EntityManager, policyId: number): Promise<SlaPolicySnapshot> {
  const [p] = await em.execute<
    {
      id: number;
      name: string;
      targets: SlaPolicySnapshot['targets'];
      warning_fraction: number | string;
      escalation: SlaPolicySnapshot['escalation'];
      auto_close_after_seconds: number | null;
      calendar_id: number;
      remind_after_seconds: number | null;
      remind_again_after_seconds: number | null;
      auto_resolve_after_seconds: number | null;
    }[]
  >(
    `select id, name, targets, warning_fraction, escalation, auto_close_after_seconds, calendar_id,
            remind_after_seconds, remind_again_after_seconds, auto_resolve_after_seconds
       from sla_policies where id = ?`,
    [policyId],
  );
  if (!p) throw new Error(`SLA policy ${policyId} does not exist`);
  return {
    id: p.id,
    name: p.name,
    targets: p.targets,
    warningFraction: Number(p.warning_fraction),
    escalation: p.escalation,
    autoCloseAfterSeconds: p.auto_close_after_seconds ?? null,
    calendar: await loadCalendar(em, p.calendar_id),
    reminders: { remindAfterSeconds: p.remind_after_seconds ?? null, remindAgainAfterSeconds: p.remind_again_after_seconds ?? null, autoResolveAfterSeconds: p.auto_resolve_after_seconds ?? null },
  };
}

/** Most specific wins: category, then organization, then group, then the default policy. */
export async function resolvePolicyId(em: EntityManager, t: { categoryId: number | null; organizationId: number | null; groupId: number | null }): Promise<number | null> {
  if (t.categoryId !== null) {
    const c = await em.findOne(Category, t.categoryId);
    if (c?.slaPolicyId) return c.slaPolicyId;
  }
  if (t.organizationId !== null) {
    const o = await em.findOne(Organization, t.organizationId);
    if (o?.slaPolicyId) return o.slaPolicyId;
  }
  if (t.groupId !== null) {
    const g = await em.findOne(Group, t.groupId);
    if (g?.slaPolicyId) return g.slaPolicyId;
  }
  const def = await em.findOne(SlaPolicy, { isDefault: true });
  return def?.id ?? null;
}
