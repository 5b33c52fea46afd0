import type { MikroORM } from '@mehrdesk/core/db';

// 10,000 tickets for the inbox to page through, written as rows in one statement: the console
// benchmark measures the browser and the list query, not ticket creation (bench:lifecycle does
// that). They carry realistic spreads of status, priority, SLA state, tags, assignee and age,
// in the demo "Support" group so the demo agent sees them. They have no workflow: only tickets
// created through the API are changed during the live-update part. They are marked as started so
// the API's reconciler does not start 10,000 workflows in the middle of the measurement.

export interface SeededInbox {
  count: number;
  groupId: number;
  agentId: number;
  customerId: number;
  agentOpen: number;
  ms: number;
}

export async function seedInboxTickets(orm: MikroORM, count: number): Promise<SeededInbox> {
  const em = orm.em.fork();
  const started = performance.now();
  const [ids] = await em.execute<{ group_id: number; agent_id: number; agent2_id: number; customer_id: number; category_id: number }[]>(
    `select (select id from groups where name = 'Support') as group_id,
            (select id from users where email = 'agent@mehrdesk.local') as agent_id,
            (select id from users where email = 'agent2@mehrdesk.local') as agent2_id,
            (select id from users where email = 'customer@mehrdesk.local') as customer_id,
            (select id from categories order by id limit 1) as category_id`,
  );
  if (!ids?.group_id || !ids.agent_id) throw new Error('demo data missing: the launcher seeds it (core/src/db/seed.ts)');
  await em.execute(
    `insert into tickets (number, subject, body_html, requester_id, source, category_id, priority, status, group_id, assignee_id,
                          sla_state, first_response_due_at, resolution_due_at, tags, custom_fields, created_at, updated_at, workflow_started_at, version)
     select 'BEN-2026-' || lpad(g::text, 6, '0'),
            (array['VPN refuses my password', 'چاپگر طبقه دوم کار نمی‌کند', 'Invoice shows the wrong amount', 'Cannot log in after reset',
                   'درخواست دسترسی به پوشه مشترک', 'Laptop fan is very loud', 'Email bounces from partner domain', 'Wi-Fi drops every hour'])[1 + g % 8]
              || ' #' || g,
            '<p>Benchmark ticket</p>', ?, 'email', ?,
            (array['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + g % 6],
            (array['new', 'open', 'open', 'pending', 'on_hold', 'resolved', 'closed'])[1 + g % 7],
            ?, case when g % 3 = 0 then ? when g % 3 = 1 then ? else null end,
            (array['ok', 'ok', 'ok', 'ok', 'warning', 'breached'])[1 + g % 6],
            now() + ((g % 48) - 12) * interval '1 hour', now() + ((g % 96) - 24) * interval '1 hour',
            case when g % 4 = 0 then array['vpn', 'network'] when g % 4 = 1 then array['billing'] else '{}'::text[] end,
            '{}'::jsonb, now() - (g * interval '3 minutes'), now() - (g * interval '1 minute'), now(), 1
       from generate_series(1, ?) as g`,
    [ids.customer_id, ids.category_id, ids.group_id, ids.agent_id, ids.agent2_id, count],
  );
  await em.execute('analyze tickets');
  const [open] = await em.execute<{ n: string }[]>(`select count(*) as n from tickets where assignee_id = ? and status in ('new', 'open', 'pending', 'on_hold') and deleted_at is null`, [
    ids.agent_id,
  ]);
  return { count, groupId: ids.group_id, agentId: ids.agent_id, customerId: ids.customer_id, agentOpen: Number(open!.n), ms: performance.now() - started };
}
