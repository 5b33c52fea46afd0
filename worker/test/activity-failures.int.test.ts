import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WorkflowUpdateStage } from '@temporalio/client';
import { createLogger } from '@mehrdesk/core/logger';
import { addMessageUpdate, changeTicketUpdate, ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import { workflowBundle } from '@mehrdesk/worker/create-worker';
import { createTicketActivities } from '@mehrdesk/worker/activities/ticket-activities';
import { createWebhookActivities } from '@mehrdesk/worker/activities/webhook-activities';
import { createMailer } from '@mehrdesk/worker/email/mailer';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Activities that can never succeed must not hold a ticket hostage: a planted permanent
// failure is refused, recorded on the ticket's timeline and in activity_failures, and the next
// reply and status change go through; an invalid recipient fails once and shows on the ticket;
// a ticket frozen by the code before the fix (a NUL byte retried forever) heals once the fixed
// worker takes over, with no database work by hand.

let h: Harness;
let customer: string;
let agent: string;
let admin: string;
const MARKER = 'PLANTED-PERMANENT-FAILURE';

beforeAll(async () => {
  h = await startHarness();
  [customer, agent, admin] = await Promise.all([h.login(h.fx.users.customer.email), h.login(h.fx.users.agent1.email), h.login(h.fx.users.admin.email)]);
  // A real PostgreSQL error that no retry can fix (check_violation, SQLSTATE 23514), raised for
  // messages carrying the marker.
  await h.orm.em.fork().execute(`
    create or replace function planted_failure() returns trigger language plpgsql as $$
    begin
      if new.body_text like '%${MARKER}%' then raise exception 'planted permanent failure' using errcode = 'check_violation'; end if;
      return new;
    end $$;
    drop trigger if exists planted_failure on messages;
    create trigger planted_failure before insert on messages for each row execute function planted_failure();`);
});
afterAll(async () => {
  await h?.orm.em.fork().execute('drop trigger if exists planted_failure on messages; drop function if exists planted_failure();');
  await h?.close();
});

async function newTicket(token = customer) {
  const r = await h.call(token, 'POST', '/api/v1/tickets', { subject: 'Failure handling', body: '<p>help</p>', categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await eventually(async () => {
    const [row] = await h.orm.em.fork().execute<{ workflow_started_at: Date | null }[]>('select workflow_started_at from tickets where id = ?', [r.body.id]);
    return row?.workflow_started_at;
  }, 'workflow start');
  return r.body as { id: number; number: string };
}

const timeline = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}/timeline`)).body.items as { type: string; meta: Record<string, unknown> }[];
const failures = (id: number) =>
  h.orm.em.fork().execute<{ activity: string; error_type: string; message: string }[]>('select activity, error_type, message from activity_failures where ticket_id = ? order by id', [id]);

describe('activity failures that retrying cannot fix', () => {
  it('refuses the reply, records the failure, and the ticket stays workable', async () => {
    const t = await newTicket();
    const planted = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: `<p>${MARKER}</p>` });
    expect(planted.status, JSON.stringify(planted.body)).toBe(422);
    expect(planted.body.error.code).toBe('change_not_stored');
    expect(planted.body.error.message).toMatch(/ConstraintViolation/);

    expect(await failures(t.id)).toEqual([expect.objectContaining({ activity: 'persistMessage', error_type: 'ConstraintViolation', message: expect.stringMatching(/planted permanent failure/) })]);
    const recorded = (await timeline(t.id)).filter((e) => e.type === 'system.activity_failed');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.meta).toMatchObject({ activity: 'persistMessage', errorType: 'ConstraintViolation', context: 'message' });

    // Not frozen: the next reply and a status change go through at once.
    const reply = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: '<p>We are on it</p>' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const status = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' });
    expect(status.status, JSON.stringify(status.body)).toBe(200);
    expect((await h.call(agent, 'GET', `/api/v1/tickets/${t.id}`)).body.status).toBe('pending');
  });

  it("records a rule action that fails for good and still runs the rule's other actions", async () => {
    // A second category keeps this rule away from the other tests' tickets.
    const [cat] = await h.orm.em
      .fork()
      .execute<{ id: number }[]>('insert into categories (name, default_group_id, sla_policy_id) values (?, ?, ?) returning id', [`rules-${h.fx.suffix}`, h.fx.groups.support, h.fx.policyId]);
    const rule = await h.call(admin, 'POST', '/api/v1/rules', {
      name: `planted ${h.fx.suffix}`,
      definition: {
        trigger: 'ticket.created',
        conditions: { all: [{ fact: 'ticket.categoryId', operator: 'equal', value: cat!.id }] },
        actions: [
          { type: 'add_note', params: { body: MARKER } },
          { type: 'set_priority', params: { priority: 'high' } },
        ],
      },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    try {
      const created = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'Rule failure', body: '<p>x</p>', categoryId: cat!.id });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.id as number;
      await eventually(async () => (await h.call(agent, 'GET', `/api/v1/tickets/${id}`)).body.priority === 'high', 'the second action');
      const recorded = await eventually(async () => (await timeline(id)).find((e) => e.type === 'system.activity_failed'), 'failure on the timeline');
      expect(recorded.meta).toMatchObject({ activity: 'persistMessage', errorType: 'ConstraintViolation', context: `rule ${rule.body.id} add_note` });
      expect((await h.call(agent, 'POST', `/api/v1/tickets/${id}/messages`, { body: '<p>Still workable</p>' })).status).toBe(201);
    } finally {
      await h.call(admin, 'DELETE', `/api/v1/rules/${rule.body.id}`);
    }
  });

  it('counts recorded failures in the API metrics', async () => {
    const res = await fetch(`${h.baseUrl}/metrics`);
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith('mehrdesk_activity_failures_total{') && l.includes('error_type="ConstraintViolation"') && l.includes('activity="persistMessage"'));
    expect(line, 'metric line').toBeDefined();
    expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(1);
  });

  it('lists failures for admins, who mark them handled', async () => {
    expect((await h.call(agent, 'GET', '/api/v1/activity-failures')).status).toBe(403);
    const open = await h.call(admin, 'GET', '/api/v1/activity-failures?acknowledged=false');
    expect(open.status).toBe(200);
    const planted = open.body.items.find((f: { errorType: string; activity: string }) => f.errorType === 'ConstraintViolation' && f.activity === 'persistMessage');
    expect(planted).toMatchObject({ ticketNumber: expect.stringMatching(/^TKT-/), acknowledgedAt: null });
    const ack = await h.call(admin, 'POST', `/api/v1/activity-failures/${planted.id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: planted.id, acknowledgedBy: h.fx.users.admin.id, acknowledgedAt: expect.any(String) });
    const after = await h.call(admin, 'GET', '/api/v1/activity-failures?acknowledged=false');
    expect(after.body.items.map((f: { id: number }) => f.id)).not.toContain(planted.id);
    expect((await h.call(admin, 'POST', '/api/v1/activity-failures/2147483647/acknowledge')).status).toBe(404);
  });

  it.each([
    ['refused before any SMTP connection', (sfx: string) => `broken address ${sfx}@example.com`, /not an e-mail address/],
    ['refused by the SMTP server (501)', (sfx: string) => `bracket-${sfx}@[example`, /501/],
  ])('fails an e-mail to an invalid recipient once and shows it on the ticket: %s', async (_what, address, reason) => {
    const [bad] = await h.orm.em
      .fork()
      .execute<{ id: number }[]>(`insert into users (email, name, role, locale, active, available, created_at) values (?, 'Broken Address', 'customer', 'en', true, false, now()) returning id`, [
        address(h.fx.suffix),
      ]);
    const created = await h.call(agent, 'POST', '/api/v1/tickets', { subject: 'Bad recipient', body: '<p>x</p>', requesterId: bad!.id, categoryId: h.fx.categoryId });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as number;
    const row = await eventually(async () => {
      const [r] = await h.orm.em
        .fork()
        .execute<{ status: string; attempts: number; last_error: string }[]>(`select status, attempts, last_error from email_log where ticket_id = ? and template = 'ticket_created'`, [id]);
      return r?.status === 'failed' ? r : null;
    }, 'failed e-mail row');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(reason);
    const recorded = await eventually(async () => (await timeline(id)).find((e) => e.type === 'system.activity_failed'), 'failure on the timeline');
    // A new ticket's e-mails go in one activity; the failure names the one that cannot be sent.
    expect(recorded.meta).toMatchObject({ activity: 'sendTicketEmails', errorType: 'InvalidRecipient', context: 'e-mail ticket_created' });
    // The ticket itself is unaffected.
    expect((await h.call(agent, 'POST', `/api/v1/tickets/${id}/status`, { status: 'open' })).status).toBe(200);
  });

  it('heals a ticket frozen by the code before the fix once the fixed worker runs', async () => {
    const t = await newTicket();
    await h.stopWorker();
    // The worker as it was: activities unclassified, and a message insert that sends NUL bytes
    // to PostgreSQL as they came (08P01 on every attempt, retried without end).
    const log = createLogger('old-worker', 'silent');
    const mailer = createMailer(h.config.SMTP_URL);
    const deps = { config: h.config, orm: h.orm, mailer, log };
    const current = createTicketActivities(deps);
    const connection = await NativeConnection.connect({ address: h.config.TEMPORAL_ADDRESS });
    const old = await Worker.create({
      connection,
      taskQueue: h.config.TEMPORAL_TASK_QUEUE,
      namespace: h.config.TEMPORAL_NAMESPACE,
      workflowBundle: await workflowBundle(),
      activities: {
        ...current,
        ...createWebhookActivities(deps),
        async persistMessage(input: Parameters<typeof current.persistMessage>[0]) {
          await h.orm.em
            .fork()
            .execute(`insert into messages (ticket_id, kind, channel, body_html, body_text, idempotency_key, created_at) values (?, ?, ?, ?, ?, ?, now())`, [
              input.ticketId,
              input.kind,
              input.channel,
              input.bodyHtml,
              input.bodyText,
              input.idempotencyKey,
            ]);
          return current.persistMessage(input);
        },
      },
    });
    const oldRun = old.run();
    const handle = h.temporal.workflow.getHandle(ticketWorkflowId(t.id));
    const requestId = `heal-${t.id}`;
    const actor = { type: 'user' as const, id: h.fx.users.customer.id, role: 'customer' as const };
    // Sent straight to the workflow: the API refuses NUL now, as it should.
    const reply = await handle.startUpdate(addMessageUpdate, {
      args: [{ actor, requestId, kind: 'public', channel: 'portal', bodyHtml: '<p>nul\u0000byte</p>', bodyText: 'nul\u0000byte', idempotencyKey: requestId }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    const change = await handle.startUpdate(changeTicketUpdate, {
      args: [{ actor: { type: 'user', id: h.fx.users.agent1.id, role: 'agent' }, requestId: `${requestId}:status`, status: 'open' }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await sleep(4000);
    // Frozen: neither the reply nor the status change has happened.
    const [frozen] = await h.orm.em
      .fork()
      .execute<{ status: string; n: number }[]>('select status, (select count(*)::int from messages where ticket_id = t.id) as n from tickets t where id = ?', [t.id]);
    expect(frozen).toEqual({ status: 'new', n: 1 });

    old.shutdown();
    await oldRun;
    await connection.close();
    mailer.close();
    await h.startWorker();

    const replied = await reply.result();
    expect(replied.messageId).toBeGreaterThan(0);
    expect((await change.result()).ticket.status).toBe('open');
    const [stored] = await h.orm.em.fork().execute<{ body_text: string }[]>('select body_text from messages where id = ?', [replied.messageId]);
    expect(stored!.body_text).toBe('nulbyte');
    // And the ticket takes new work as usual.
    expect((await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: '<p>Back to normal</p>' })).status).toBe(201);
    expect((await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' })).status).toBe(200);
  });
});
