import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EscalationStep, Priority, SlaTargets, WeeklyShift } from '@mehrdesk/core/domain';
import { hashPassword } from '@mehrdesk/core/services/passwords';

// Isolated test data: every test file gets its own users, groups, policy and category (names
// carry a random suffix), so files can share one database without seeing each other's tickets.

export interface FixtureOptions {
  /** SLA targets in seconds per priority (defaults: 1 h first response, 8 h resolution). */
  targets?: Partial<Record<Priority, Partial<SlaTargets>>>;
  warningFraction?: number;
  escalation?: EscalationStep[];
  autoCloseAfterSeconds?: number | null;
  calendar?: { timeZone: string; alwaysOpen: boolean; shifts: WeeklyShift[] };
  supportStrategy?: 'round_robin' | 'least_open' | 'manual';
}

export const PASSWORD = 'correct horse battery staple';

export interface Fixtures {
  suffix: string;
  users: Record<'admin' | 'supervisor' | 'agent1' | 'agent2' | 'tier2' | 'outsider' | 'customer' | 'customer2', { id: number; email: string }>;
  groups: { support: number; tier2: number; other: number };
  policyId: number;
  calendarId: number;
  categoryId: number;
  otherCategoryId: number;
}

export async function createFixtures(em: EntityManager, opts: FixtureOptions = {}): Promise<Fixtures> {
  const suffix = randomBytes(4).toString('hex');
  const hash = await hashPassword(PASSWORD);
  return em.transactional(async (tx) => {
    const user = async (key: string, role: string) => {
      const email = `${key}-${suffix}@test.mehrdesk.local`;
      const [row] = await tx.execute<{ id: number }[]>(
        `insert into users (email, name, password_hash, role, locale, active, available, created_at) values (?, ?, ?, ?, 'en', true, true, now()) returning id`,
        [email, `${key} ${suffix}`, hash, role],
      );
      return { id: row!.id, email };
    };
    const users = {
      admin: await user('admin', 'admin'),
      supervisor: await user('supervisor', 'supervisor'),
      agent1: await user('agent1', 'agent'),
      agent2: await user('agent2', 'agent'),
      tier2: await user('tier2', 'agent'),
      outsider: await user('outsider', 'agent'),
      customer: await user('customer', 'customer'),
      customer2: await user('customer2', 'customer'),
    };
    const cal = opts.calendar ?? { timeZone: 'UTC', alwaysOpen: true, shifts: [] };
    const [c] = await tx.execute<{ id: number }[]>(`insert into business_calendars (name, time_zone, always_open, shifts, updated_at) values (?, ?, ?, ?::jsonb, now()) returning id`, [
      `cal-${suffix}`,
      cal.timeZone,
      cal.alwaysOpen,
      JSON.stringify(cal.shifts),
    ]);
    const base: SlaTargets = { firstResponseSeconds: 3600, resolutionSeconds: 8 * 3600 };
    const targets = Object.fromEntries((['low', 'normal', 'high', 'urgent'] as const).map((p) => [p, { ...base, ...(opts.targets?.[p] ?? {}) }]));
    const [pol] = await tx.execute<{ id: number }[]>(
      `insert into sla_policies (name, is_default, targets, warning_fraction, escalation, auto_close_after_seconds, calendar_id, updated_at)
       values (?, false, ?::jsonb, ?, ?::jsonb, ?, ?, now()) returning id`,
      [`policy-${suffix}`, JSON.stringify(targets), opts.warningFraction ?? 0.8, JSON.stringify(opts.escalation ?? []), opts.autoCloseAfterSeconds ?? null, c!.id],
    );
    const group = async (name: string, strategy: string, escalation: number | null) => {
      const [g] = await tx.execute<{ id: number }[]>(
        `insert into groups (name, strategy, supervisor_id, escalation_group_id, sla_policy_id, rr_cursor, created_at) values (?, ?, ?, ?, ?, 0, now()) returning id`,
        [`${name}-${suffix}`, strategy, users.supervisor.id, escalation, pol!.id],
      );
      return g!.id;
    };
    const tier2 = await group('tier2', 'least_open', null);
    const support = await group('support', opts.supportStrategy ?? 'round_robin', tier2);
    const other = await group('other', 'round_robin', null);
    for (const [g, u] of [
      [support, users.agent1.id],
      [support, users.agent2.id],
      [tier2, users.tier2.id],
      [other, users.outsider.id],
    ] as const)
      await tx.execute('insert into group_members (group_id, user_id) values (?, ?)', [g, u]);
    const [cat] = await tx.execute<{ id: number }[]>('insert into categories (name, default_group_id, sla_policy_id) values (?, ?, ?) returning id', [`cat-${suffix}`, support, pol!.id]);
    const [cat2] = await tx.execute<{ id: number }[]>('insert into categories (name, default_group_id, sla_policy_id) values (?, ?, ?) returning id', [`other-${suffix}`, other, pol!.id]);
    return { suffix, users, groups: { support, tier2, other }, policyId: pol!.id, calendarId: c!.id, categoryId: cat!.id, otherCategoryId: cat2!.id };
  });
}
