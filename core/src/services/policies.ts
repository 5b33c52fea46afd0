import type { EntityManager } from '@mikro-orm/postgresql';
import type { CalendarSpec, SlaPolicySnapshot } from '../domain';
import { BusinessCalendar, Category, Group, Holiday, Organization, SlaPolicy } from '../db/entities';

// Which SLA policy governs a ticket, and the self-contained snapshot the workflow carries.

export async function loadCalendar(em: EntityManager, calendarId: number): Promise<CalendarSpec> {
  const cal = await em.findOneOrFail(BusinessCalendar, calendarId);
  const holidays = await em.find(Holiday, { calendarId }, { orderBy: { date: 'asc' } });
  return {
    timeZone: cal.timeZone,
    alwaysOpen: cal.alwaysOpen,
    shifts: cal.shifts,
    holidays: holidays.map((h) => ({ date: h.date, recurringYearly: h.recurringYearly, name: h.name ?? undefined })),
  };
}

export async function loadPolicySnapshot(em: EntityManager, policyId: number): Promise<SlaPolicySnapshot> {
  const p = await em.findOneOrFail(SlaPolicy, policyId);
  return {
    id: p.id,
    name: p.name,
    targets: p.targets,
    warningFraction: Number(p.warningFraction),
    escalation: p.escalation,
    autoCloseAfterSeconds: p.autoCloseAfterSeconds ?? null,
    calendar: await loadCalendar(em, Number(p.calendarId)),
  };
}

/** Most specific wins: category, then organization, then group, then the default policy. */
export async function resolvePolicyId(
  em: EntityManager,
  t: { categoryId: number | null; organizationId: number | null; groupId: number | null },
): Promise<number | null> {
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
