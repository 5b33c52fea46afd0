import type { EntityManager } from '@mikro-orm/postgresql';
import type { EscalationStep, Priority, SlaTargets } from '../domain';
import { hashPassword } from '../services/passwords';
import { seedKnowledgeBase } from './seed-kb';

// Demo data for the embedded run: one login per role, two groups with an escalation path, a
// business-hours calendar (Tehran office week) and a 24x7 one, and SLA policies on both.
// Idempotent: does nothing once the demo admin exists; the demo knowledge base (seed-kb.ts) is
// added on its own once, so databases seeded before it existed get it too.

export const DEMO_LOGINS = [
  { email: 'admin@mehrdesk.local', password: 'admin-demo-1', role: 'admin', name: 'Ava Admin' },
  { email: 'supervisor@mehrdesk.local', password: 'supervisor-demo-1', role: 'supervisor', name: 'Sara Supervisor' },
  { email: 'agent@mehrdesk.local', password: 'agent-demo-1', role: 'agent', name: 'Arash Agent' },
  { email: 'agent2@mehrdesk.local', password: 'agent-demo-1', role: 'agent', name: 'Bita Agent' },
  { email: 'tier2@mehrdesk.local', password: 'agent-demo-1', role: 'agent', name: 'Tina Tier-Two' },
  { email: 'customer@mehrdesk.local', password: 'customer-demo-1', role: 'customer', name: 'Cyrus Customer' },
] as const;

const h = 3600;
const STANDARD: Record<Priority, SlaTargets> = {
  low: { firstResponseSeconds: 8 * h, resolutionSeconds: 40 * h },
  normal: { firstResponseSeconds: 4 * h, resolutionSeconds: 24 * h },
  high: { firstResponseSeconds: 1 * h, resolutionSeconds: 8 * h },
  urgent: { firstResponseSeconds: h / 4, resolutionSeconds: 4 * h },
};
const ESCALATION: EscalationStep[] = [
  { on: 'warning', clock: 'any', action: 'notify_supervisor' },
  { on: 'breach', clock: 'any', action: 'notify_supervisor' },
  { on: 'breach', clock: 'first_response', action: 'raise_priority' },
  { on: 'breach', clock: 'resolution', action: 'reassign_to_escalation_group' },
];

export async function seedDemo(em: EntityManager): Promise<boolean> {
  const people = await seedPeople(em);
  const [admin] = await em.execute<{ id: number }[]>(`select id from users where email = ?`, [DEMO_LOGINS[0].email]);
  const kb = await seedKnowledgeBase(em, admin?.id ?? null);
  return people || kb;
}

async function seedPeople(em: EntityManager): Promise<boolean> {
  const exists = await em.execute(`select 1 from users where email = ?`, [DEMO_LOGINS[0].email]);
  if (exists.length) return false;
  await em.transactional(async (tx) => {
    const ids: Record<string, number> = {};
    for (const u of DEMO_LOGINS) {
      const [row] = await tx.execute<{ id: number }[]>(
        `insert into users (email, name, password_hash, role, locale, active, available, created_at)
         values (?, ?, ?, ?, 'en', true, true, now()) returning id`,
        [u.email, u.name, await hashPassword(u.password), u.role],
      );
      ids[u.email] = row!.id;
    }
    const [office] = await tx.execute<{ id: number }[]>(`insert into business_calendars (name, time_zone, always_open, shifts, updated_at) values (?, ?, false, ?::jsonb, now()) returning id`, [
      'Tehran office',
      'Asia/Tehran',
      JSON.stringify([6, 7, 1, 2, 3].map((weekday) => ({ weekday, start: '08:00', end: '16:00' })).concat([{ weekday: 4, start: '08:00', end: '12:00' }])),
    ]);
    for (const [date, name] of [
      ['2027-03-20', 'Nowruz'],
      ['2027-03-21', 'Nowruz'],
      ['2027-03-22', 'Nowruz'],
      ['2027-03-23', 'Nowruz'],
    ])
      await tx.execute('insert into holidays (calendar_id, date, name, recurring_yearly) values (?, ?, ?, false)', [office!.id, date, name]);
    const [always] = await tx.execute<{ id: number }[]>(
      `insert into business_calendars (name, time_zone, always_open, shifts, updated_at) values ('24x7', 'UTC', true, '[]'::jsonb, now()) returning id`,
    );
    await tx.execute<{ id: number }[]>(
      `insert into sla_policies (name, is_default, targets, warning_fraction, escalation, auto_close_after_seconds, calendar_id, updated_at)
       values ('Standard (office hours)', true, ?::jsonb, 0.8, ?::jsonb, ?, ?, now()) returning id`,
      [JSON.stringify(STANDARD), JSON.stringify(ESCALATION), 4 * 24 * h, office!.id],
    );
    const [premium] = await tx.execute<{ id: number }[]>(
      `insert into sla_policies (name, is_default, targets, warning_fraction, escalation, auto_close_after_seconds, calendar_id, updated_at)
       values ('Premium 24x7', false, ?::jsonb, 0.75, ?::jsonb, ?, ?, now()) returning id`,
      [JSON.stringify(STANDARD), JSON.stringify(ESCALATION), 2 * 24 * h, always!.id],
    );
    // Support is created first: with no category, tickets land in the oldest group.
    const [support] = await tx.execute<{ id: number }[]>(`insert into groups (name, strategy, supervisor_id, rr_cursor, created_at) values ('Support', 'round_robin', ?, 0, now()) returning id`, [
      ids['supervisor@mehrdesk.local'],
    ]);
    const [tier2] = await tx.execute<{ id: number }[]>(`insert into groups (name, strategy, supervisor_id, rr_cursor, created_at) values ('Tier 2', 'least_open', ?, 0, now()) returning id`, [
      ids['supervisor@mehrdesk.local'],
    ]);
    await tx.execute('update groups set escalation_group_id = ? where id = ?', [tier2!.id, support!.id]);
    for (const email of ['agent@mehrdesk.local', 'agent2@mehrdesk.local']) await tx.execute('insert into group_members (group_id, user_id) values (?, ?)', [support!.id, ids[email]]);
    await tx.execute('insert into group_members (group_id, user_id) values (?, ?)', [tier2!.id, ids['tier2@mehrdesk.local']]);
    await tx.execute('insert into group_members (group_id, user_id) values (?, ?)', [tier2!.id, ids['supervisor@mehrdesk.local']]);
    for (const [name, group, policy] of [
      ['General', support!.id, null],
      ['Billing', support!.id, null],
      ['Outage', tier2!.id, premium!.id],
    ] as const)
      await tx.execute('insert into categories (name, default_group_id, sla_policy_id) values (?, ?, ?)', [name, group, policy]);
  });
  return true;
}
