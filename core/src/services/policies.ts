import type { EntityManager } from '@mikro-orm/postgresql';
import type { CalendarSpec, SlaPolicySnapshot } from '../domain';
import type { ConfigCache } from './config-cache';

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

/** The configuration a new ticket's group, policy and listeners come from (cached in the API, see config-cache.ts). */
export interface TicketConfigReads {
  category(id: number): Promise<{ defaultGroupId: number | null; slaPolicyId: number | null } | null>;
  group(id: number): Promise<{ slaPolicyId: number | null; strategy: string } | null>;
  organizationPolicyId(id: number): Promise<number | null>;
  defaultPolicyId(): Promise<number | null>;
  defaultGroupId(): Promise<number | null>;
  policySnapshot(id: number): Promise<SlaPolicySnapshot>;
}

/** The reads behind TicketConfigReads, through `cache` when one is given (plain SQL: always the committed rows). */
export function ticketConfigReads(em: EntityManager, cache: ConfigCache | null | undefined): TicketConfigReads {
  const memo = <T>(key: string, load: () => Promise<T>): Promise<T> => (cache ? cache.get(key, load) : load());
  const one = async <T>(sql: string, params: unknown[] = []): Promise<T | undefined> => (await em.execute<T[]>(sql, params))[0];
  return {
    category: (id) =>
      memo(`category:${id}`, async () => {
        const c = await one<{ default_group_id: number | null; sla_policy_id: number | null }>('select default_group_id, sla_policy_id from categories where id = ?', [id]);
        return c ? { defaultGroupId: c.default_group_id, slaPolicyId: c.sla_policy_id } : null;
      }),
    group: (id) =>
      memo(`group:${id}`, async () => {
        const g = await one<{ sla_policy_id: number | null; strategy: string }>('select sla_policy_id, strategy from groups where id = ?', [id]);
        return g ? { slaPolicyId: g.sla_policy_id, strategy: g.strategy } : null;
      }),
    organizationPolicyId: (id) =>
      memo(`org-policy:${id}`, async () => (await one<{ sla_policy_id: number | null }>('select sla_policy_id from organizations where id = ?', [id]))?.sla_policy_id ?? null),
    defaultPolicyId: () => memo('default-policy', async () => (await one<{ id: number }>('select id from sla_policies where is_default order by id limit 1'))?.id ?? null),
    defaultGroupId: () => memo('default-group', async () => (await one<{ id: number }>('select id from groups order by id limit 1'))?.id ?? null),
    policySnapshot: (id) => memo(`policy:${id}`, () => loadPolicySnapshot(em, id)),
  };
}

/** Most specific wins: category, then organization, then group, then the default policy. */
export async function resolvePolicyId(reads: TicketConfigReads, t: { categoryId: number | null; organizationId: number | null; groupId: number | null }): Promise<number | null> {
  const fromCategory = t.categoryId === null ? null : ((await reads.category(t.categoryId))?.slaPolicyId ?? null);
  if (fromCategory !== null) return fromCategory;
  const fromOrganization = t.organizationId === null ? null : await reads.organizationPolicyId(t.organizationId);
  if (fromOrganization !== null) return fromOrganization;
  const fromGroup = t.groupId === null ? null : ((await reads.group(t.groupId))?.slaPolicyId ?? null);
  if (fromGroup !== null) return fromGroup;
  return reads.defaultPolicyId();
}
