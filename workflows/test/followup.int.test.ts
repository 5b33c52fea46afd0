import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { slaQuery, ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { listMail, waitForMail, type CaughtMail } from '@mehrdesk/scripts/mail-catcher-client';
import { workflowBundle } from '@mehrdesk/worker/create-worker';

// Customer follow-ups in the ticket workflow against the real Temporal dev server, with
// second-scale settings: the survey 2 s after a resolution (none after a reopen within the
// delay), and reminders 2 s and 4 s after entering pending, then the automatic resolution at
// 6 s (24x7 calendar), or at the business-hours instant of a calendar that is closed now.

const HISTORY_OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../.data/histories');
const DELAY_MS = 2000;

let h: Harness;
let customer: string, agent: string, admin: string;
let ruleId: number;

const q = <T>(sql: string, params: unknown[] = []) => h.orm.em.fork().execute<T[]>(sql, params);

beforeAll(async () => {
  h = await startHarness({
    env: { SURVEYS_ENABLED: 'true', SURVEY_DELAY_SECONDS: String(DELAY_MS / 1000), SURVEY_SCALE: 'binary' },
    // Resolved tickets close 8 s after resolution: after the survey went out and was rated.
    fixtures: { autoCloseAfterSeconds: 8 },
  });
  // The environment's defaults apply: no admin choice left over from another file.
  await q(`delete from settings where key = 'surveys'`);
  [customer, agent, admin] = await Promise.all([h.login(h.fx.users.customer.email), h.login(h.fx.users.agent1.email), h.login(h.fx.users.admin.email)]);
  const p = await h.call(admin, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { remindAfterSeconds: 2, remindAgainAfterSeconds: 4, autoResolveAfterSeconds: 6 });
  expect(p.status, JSON.stringify(p.body)).toBe(200);
  expect(p.body).toMatchObject({ remindAfterSeconds: 2, remindAgainAfterSeconds: 4, autoResolveAfterSeconds: 6 });
  // An unhappy customer tags the ticket (survey.received with its survey facts).
  const rule = await h.call(admin, 'POST', '/api/v1/rules', {
    name: `unhappy-${h.fx.suffix}`,
    definition: {
      trigger: 'survey.received',
      conditions: {
        all: [
          { fact: 'ticket.categoryId', operator: 'equal', value: h.fx.categoryId },
          { fact: 'survey.rating', operator: 'equal', value: 'bad' },
          { fact: 'survey.comment', operator: 'textContains', value: 'slow' },
        ],
      },
      actions: [{ type: 'add_tags', params: { tags: ['unhappy'] } }],
    },
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  ruleId = rule.body.id;
});
afterAll(async () => {
  if (ruleId) await h.call(admin, 'DELETE', `/api/v1/rules/${ruleId}`);
  await h?.close();
});

async function create(subject: string, categoryId = h.fx.categoryId) {
  const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject, body: 'follow-up test', priority: 'low', categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; number: string };
}

async function status(id: number, to: string) {
  const r = await h.call(agent, 'POST', `/api/v1/tickets/${id}/status`, { status: to });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { resolvedAt: string | null; version: number };
}

interface TimelineRow {
  type: string;
  new_value: any;
  created_at: Date;
}
const timeline = (id: number, type: string) => q<TimelineRow>('select type, new_value, created_at from timeline_events where ticket_id = ? and type = ? order by id', [id, type]);
const ms = (d: Date | string) => new Date(d).getTime();

/** The pending instant as the workflow recorded it: the SLA clocks' pause. */
async function pendingSince(id: number): Promise<number> {
  const [e] = await q<{ actual_at: Date }>(`select actual_at from sla_events where ticket_id = ? and type = 'paused' order by id desc limit 1`, [id]);
  return ms(e!.actual_at);
}

const surveyMails = (number: string) => listMail(h.mailUrl, { subject: number }).then((ms) => ms.filter((m) => m.subject.includes('How did we do?')));
/** The one-click link of a rating in a survey e-mail. */
function ratingLink(mail: CaughtMail, rating: string): URL {
  const url = (mail.text ?? '')
    .match(/https?:\/\/\S+\/portal\/survey\?token=[\w.-]+&rating=\w+/g)
    ?.map((u) => new URL(u))
    .find((u) => u.searchParams.get('rating') === rating);
  if (!url) throw new Error(`no ${rating} link in ${mail.text}`);
  return url;
}

describe.concurrent('satisfaction survey', () => {
  it('goes out the delay after a resolution, with signed one-click links; the rating fires survey.received once', async () => {
    const t = await create('Survey after resolve');
    const resolved = await status(t.id, 'resolved');
    const resolvedAt = ms(resolved.resolvedAt!);
    const [mail] = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('How did we do?'), { timeoutMs: 15_000 });
    expect(mail!.to).toEqual([h.fx.users.customer.email]);
    const [sent] = await eventually(async () => {
      const rows = await timeline(t.id, 'survey.sent');
      return rows.length ? rows : null;
    }, 'survey.sent on the timeline');
    // Never early; at the delay (plus the time to render and hand over the mail).
    expect(ms(sent!.created_at) - resolvedAt).toBeGreaterThanOrEqual(DELAY_MS);
    expect(ms(sent!.created_at) - resolvedAt).toBeLessThan(DELAY_MS + 2000);
    const [row] = await q<{ id: number; resolved_at: Date; scale: string; score: number | null; agent_id: number | null }>('select * from ticket_surveys where ticket_id = ?', [t.id]);
    expect(row).toMatchObject({ scale: 'binary', score: null });
    expect(ms(row!.resolved_at)).toBe(resolvedAt);
    expect(sent!.new_value).toEqual({ surveyId: row!.id, scale: 'binary' });

    // The e-mail's "bad" link leads to the portal page; its token works against the public API.
    const bad = ratingLink(mail!, 'bad');
    expect(`${bad.origin}${bad.pathname}`).toBe(`${h.config.PUBLIC_URL}/portal/survey`);
    const token = bad.searchParams.get('token')!;
    const shown = await h.call(null, 'GET', `/api/v1/public/surveys/${token}`);
    expect(shown.status, JSON.stringify(shown.body)).toBe(200);
    expect(shown.body).toEqual({ ticketNumber: t.number, subject: 'Survey after resolve', scale: 'binary', state: 'open', rating: null, comment: null });
    const rated = await h.call(null, 'POST', `/api/v1/public/surveys/${token}`, { rating: 'bad', comment: 'Far too slow' });
    expect(rated.status, JSON.stringify(rated.body)).toBe(200);
    expect(rated.body).toMatchObject({ state: 'rated', rating: 'bad', comment: 'Far too slow' });

    // survey.received ran the rule with the survey's facts.
    await eventually(async () => ((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.tags.includes('unhappy') ? true : null), 'the unhappy tag from the survey.received rule');
    const ticket = (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body;
    expect(ticket.satisfaction).toMatchObject({ rating: 'bad', scale: 'binary', comment: 'Far too slow' });
    // A changed mind updates the same row and does not run the rules again.
    const changed = await h.call(null, 'POST', `/api/v1/public/surveys/${token}`, { rating: 'good' });
    expect(changed.body).toMatchObject({ state: 'rated', rating: 'good', comment: 'Far too slow' });
    expect(await q('select id from ticket_surveys where ticket_id = ?', [t.id])).toHaveLength(1);
    expect((await timeline(t.id, 'survey.received')).map((e) => e.new_value)).toEqual([{ rating: 'bad', comment: 'Far too slow' }]);
    expect((await timeline(t.id, 'survey.changed')).map((e) => e.new_value)).toEqual([{ rating: 'good', comment: 'Far too slow' }]);
    const executions = await q<{ n: string }>(`select count(*) as n from rule_executions where ticket_id = ? and event_type = 'survey.received'`, [t.id]);
    expect(Number(executions[0]!.n)).toBe(1);

    // Closed after the policy's delay: the workflow ends, and still replays with this code.
    const handle = h.temporal.workflow.getHandle(ticketWorkflowId(t.id));
    await expect(handle.result()).resolves.toMatchObject({ status: 'closed' });
    expect(await surveyMails(t.number)).toHaveLength(1);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), ticketWorkflowId(t.id));
  });

  it('is not sent when the ticket is reopened within the delay; the next resolution asks, and an old link is refused', async () => {
    const t = await create('Reopened within the delay');
    const first = await status(t.id, 'resolved');
    const reply = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Still broken' });
    expect(reply.status).toBe(201);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.status).toBe('open');
    await new Promise((r) => setTimeout(r, DELAY_MS + 1500));
    expect(await timeline(t.id, 'survey.sent')).toEqual([]);
    expect(await q('select id from ticket_surveys where ticket_id = ?', [t.id])).toEqual([]);
    expect(await surveyMails(t.number)).toEqual([]);

    const second = await status(t.id, 'resolved');
    expect(ms(second.resolvedAt!)).toBeGreaterThan(ms(first.resolvedAt!));
    const [mail] = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('How did we do?'), { timeoutMs: 15_000 });
    const token = ratingLink(mail!, 'good').searchParams.get('token')!;
    const [row] = await q<{ resolved_at: Date }>('select resolved_at from ticket_surveys where ticket_id = ?', [t.id]);
    expect(ms(row!.resolved_at)).toBe(ms(second.resolvedAt!));
    // The customer answers again: the ticket reopens, and this resolution's link is closed.
    expect((await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Not quite' })).status).toBe(201);
    const refused = await h.call(null, 'POST', `/api/v1/public/surveys/${token}`, { rating: 'good' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('survey_closed');
    expect((await q<{ score: number | null }>('select score from ticket_surveys where ticket_id = ?', [t.id]))[0]!.score).toBeNull();
  });
});

describe.concurrent('pending reminders', () => {
  it('fire at their instants, then the workflow resolves the ticket and the survey follows; recorded for the replay suite', async () => {
    const t = await create('Waiting on the customer');
    await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Which printer model is it?' });
    await status(t.id, 'pending');
    const since = await pendingSince(t.id);
    const handle = h.temporal.workflow.getHandle(ticketWorkflowId(t.id));
    const view = await handle.query(slaQuery);
    expect(view.followup).toEqual({ surveyAt: null, nextReminderAt: since + 2000, autoResolveAt: since + 6000 });

    const reminders = await eventually(
      async () => {
        const rows = await timeline(t.id, 'reminder.sent');
        return rows.length === 2 ? rows : null;
      },
      'two reminders',
      15_000,
    );
    expect(reminders.map((r) => r.new_value.reminder)).toEqual([1, 2]);
    for (const [i, r] of reminders.entries()) {
      expect(ms(r.created_at) - since).toBeGreaterThanOrEqual((i + 1) * 2000);
      expect(ms(r.created_at) - since).toBeLessThan((i + 1) * 2000 + 1500);
      expect(r.new_value.autoResolveAt).toBe(new Date(since + 6000).toISOString());
    }
    const mails = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('Waiting for your reply'), { count: 2 });
    expect(mails.every((m) => m.to.join() === h.fx.users.customer.email)).toBe(true);
    expect(mails[0]!.text).toContain('we will consider the request solved');

    const resolved = await eventually(
      async () => {
        const r = (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body;
        return r.status === 'resolved' ? r : null;
      },
      'the automatic resolution',
      15_000,
    );
    expect(ms(resolved.resolvedAt) - since).toBeGreaterThanOrEqual(6000);
    expect(ms(resolved.resolvedAt) - since).toBeLessThan(7000);
    const [auto] = await timeline(t.id, 'ticket.auto_resolved');
    expect(auto!.new_value).toEqual({ pendingSince: new Date(since).toISOString(), reminders: 2 });
    const [change] = await q<{ actor_type: string; new_value: unknown }>(
      `select actor_type, new_value from timeline_events where ticket_id = ? and type = 'ticket.status_changed' order by id desc limit 1`,
      [t.id],
    );
    expect(change).toEqual({ actor_type: 'workflow', new_value: 'resolved' });

    // Like any resolution, it leads to a survey; the customer rates it from the portal.
    await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('How did we do?'));
    const asked = await h.call(customer, 'GET', `/api/v1/tickets/${t.id}/survey`);
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect(asked.body).toMatchObject({ state: 'open', scale: 'binary' });
    const rated = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/survey`, { rating: 'good', comment: 'Thanks' });
    expect(rated.status, JSON.stringify(rated.body)).toBe(200);
    await expect(handle.result()).resolves.toMatchObject({ status: 'closed' });
    expect(await timeline(t.id, 'reminder.sent')).toHaveLength(2);

    // Keep this history (reminders, auto-resolve, survey, rating signal, close) for the replay suite.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, ticketWorkflowId(t.id));
    fs.mkdirSync(HISTORY_OUT, { recursive: true });
    fs.writeFileSync(path.join(HISTORY_OUT, 'full-lifecycle-followup-v1.json'), historyToJSON(history));
  });

  it('stop when the customer answers, and start over when the ticket waits again', async () => {
    const t = await create('Customer answers');
    await status(t.id, 'pending');
    const since = await pendingSince(t.id);
    await eventually(async () => ((await timeline(t.id, 'reminder.sent')).length === 1 ? true : null), 'the first reminder', 10_000);
    const reply = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'It is the LaserJet 4000' });
    expect(reply.status).toBe(201);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.status).toBe('open');
    expect((await h.temporal.workflow.getHandle(ticketWorkflowId(t.id)).query(slaQuery)).followup).toEqual({ surveyAt: null, nextReminderAt: null, autoResolveAt: null });
    // Past the second reminder and the automatic resolution of that spell: neither happens.
    await new Promise((r) => setTimeout(r, Math.max(0, since + 7000 - Date.now())));
    expect(await timeline(t.id, 'reminder.sent')).toHaveLength(1);
    expect(await timeline(t.id, 'ticket.auto_resolved')).toEqual([]);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.status).toBe('open');

    await status(t.id, 'pending');
    const again = await pendingSince(t.id);
    expect((await h.temporal.workflow.getHandle(ticketWorkflowId(t.id)).query(slaQuery)).followup).toEqual({ surveyAt: null, nextReminderAt: again + 2000, autoResolveAt: again + 6000 });
    const second = await eventually(
      async () => {
        const rows = await timeline(t.id, 'reminder.sent');
        return rows.length === 2 ? rows[1] : null;
      },
      'the first reminder of the new spell',
      10_000,
    );
    expect(second!.new_value.reminder).toBe(1);
    expect(ms(second!.created_at)).toBeGreaterThanOrEqual(again + 2000);
  });

  it('count business hours: a ticket pending while the calendar is closed is reminded 2 s after it opens', async () => {
    // A calendar that opens at the next full minute at least 5 s away (UTC), for three hours.
    const opens = Math.ceil((Date.now() + 5000) / 60_000) * 60_000;
    const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
    const weekday = ((new Date(opens).getUTCDay() + 6) % 7) + 1;
    const cal = await h.call(admin, 'POST', '/api/v1/calendars', { name: `opens-soon-${h.fx.suffix}`, timeZone: 'UTC', shifts: [{ weekday, start: hhmm(opens), end: hhmm(opens + 3 * 3_600_000) }] });
    expect(cal.status, JSON.stringify(cal.body)).toBe(201);
    const none = { firstResponseSeconds: null, resolutionSeconds: null };
    const pol = await h.call(admin, 'POST', '/api/v1/sla-policies', {
      name: `opens-soon-${h.fx.suffix}`,
      calendarId: cal.body.id,
      targets: { low: none, normal: none, high: none, urgent: none },
      remindAfterSeconds: 2,
    });
    expect(pol.status, JSON.stringify(pol.body)).toBe(201);
    const cat = await h.call(admin, 'POST', '/api/v1/categories', { name: `opens-soon-${h.fx.suffix}`, defaultGroupId: h.fx.groups.support, slaPolicyId: pol.body.id });
    expect(cat.status, JSON.stringify(cat.body)).toBe(201);

    const t = await create('Pending out of hours', cat.body.id);
    await status(t.id, 'pending');
    expect(Date.now()).toBeLessThan(opens);
    const view = await h.temporal.workflow.getHandle(ticketWorkflowId(t.id)).query(slaQuery);
    expect(view.followup).toEqual({ surveyAt: null, nextReminderAt: opens + 2000, autoResolveAt: null });
    const [reminder] = await eventually(
      async () => {
        const rows = await timeline(t.id, 'reminder.sent');
        return rows.length ? rows : null;
      },
      'the reminder after opening',
      80_000,
      250,
    );
    expect(ms(reminder!.created_at)).toBeGreaterThanOrEqual(opens + 2000);
    expect(ms(reminder!.created_at)).toBeLessThan(opens + 3500);
  });
});
