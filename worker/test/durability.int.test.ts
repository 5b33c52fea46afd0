import { afterAll, beforeAll, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { listMail, type CaughtMail } from '@mehrdesk/scripts/mail-catcher-client';
import { spawnManaged, type ManagedProcess } from '@mehrdesk/scripts/stack/processes';

// Durability: SIGKILL the worker process while 50 tickets have running SLA timers, keep it dead
// across the warning instants, restart it, kill it again while breaches are being processed,
// restart again, and show that every warning/breach fired exactly once and no e-mail was sent
// twice (email_log, the SMTP catcher and the ticket timeline all agree).

const TICKETS = 50;
const FIRST_RESPONSE_S = 15;
const RESOLUTION_S = 25;
const WARNING_FRACTION = 0.5;
const CLOCKS = ['first_response', 'resolution'] as const;

/** Per ticket: template → expected email_log rows, and the subject marker of each message. */
const EXPECTED_MAIL: Record<string, { n: number; markers: string[] }> = {
  ticket_created: { n: 1, markers: ['We received your request'] },
  ticket_assigned: { n: 1, markers: ['Assigned to you'] },
  sla_warning: { n: 2, markers: ['SLA warning: first response', 'SLA warning: resolution'] },
  sla_breach: { n: 2, markers: ['SLA breached: first response', 'SLA breached: resolution'] },
};
const MAILS_PER_TICKET = Object.values(EXPECTED_MAIL).reduce((a, e) => a + e.n, 0);

let h: Harness;
let customer: string;
let supervisor: string;
const workers: ManagedProcess[] = [];
const t0 = Date.now();
const stamp = (what: string) => console.log(`[durability +${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);

beforeAll(async () => {
  h = await startHarness({
    worker: false,
    fixtures: {
      targets: Object.fromEntries((['low', 'normal', 'high', 'urgent'] as const).map((p) => [p, { firstResponseSeconds: FIRST_RESPONSE_S, resolutionSeconds: RESOLUTION_S }])),
      warningFraction: WARNING_FRACTION,
      escalation: [
        { on: 'warning', clock: 'any', action: 'notify_supervisor' },
        { on: 'breach', clock: 'any', action: 'notify_supervisor' },
      ],
      calendar: { timeZone: 'UTC', alwaysOpen: true, shifts: [] },
    },
  });
  [customer, supervisor] = await Promise.all([h.login(h.fx.users.customer.email), h.login(h.fx.users.supervisor.email)]);
});

afterAll(async () => {
  // Child workers first (even when the test failed half-way), then the harness.
  await Promise.all(workers.map((w) => (w.running ? w.stop(5_000) : undefined)));
  await h?.close();
});

/** A real worker process (not in-process), polling this file's private task queue. */
async function spawnWorker(label: string): Promise<ManagedProcess> {
  const w = spawnManaged(label, process.execPath, ['--import', 'tsx', 'worker/src/main.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE, LOG_LEVEL: 'warn' },
    quietStop: true,
  });
  workers.push(w);
  await eventually(
    async () => {
      if (!w.running) throw new Error(`${label} exited during start-up:\n${w.recentOutput()}`);
      return (await pollerIdentities('workflow')).some((id) => id.startsWith(`${w.pid}@`)) && (await pollerIdentities('activity')).some((id) => id.startsWith(`${w.pid}@`));
    },
    `${label} (pid ${w.pid}) to poll ${h.config.TEMPORAL_TASK_QUEUE}`,
    60_000,
    200,
  );
  stamp(`${label} (pid ${w.pid}) is polling`);
  return w;
}

async function pollerIdentities(type: 'workflow' | 'activity'): Promise<string[]> {
  const res = await h.temporal.workflowService.describeTaskQueue({
    namespace: h.config.TEMPORAL_NAMESPACE,
    taskQueue: { name: h.config.TEMPORAL_TASK_QUEUE, kind: 1 /* NORMAL */ },
    taskQueueType: type === 'workflow' ? 1 : 2, // TASK_QUEUE_TYPE_WORKFLOW / _ACTIVITY
  });
  return (res.pollers ?? []).map((p) => p.identity ?? '');
}

async function sigkill(w: ManagedProcess, why: string) {
  expect(w.running, `${w.name} should still be running before it is killed`).toBe(true);
  process.kill(w.pid!, 'SIGKILL');
  const info = await w.exited;
  expect(info.signal).toBe('SIGKILL');
  stamp(`SIGKILLed ${w.name} (pid ${w.pid}) ${why}`);
}

/** Activities picked up by a worker (optionally: whose identity starts with `worker`) and not completed, by type. */
async function startedActivities(ids: number[], worker?: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const descriptions = await Promise.all(ids.map((id) => h.temporal.workflow.getHandle(`ticket-${id}`).describe()));
  for (const d of descriptions)
    for (const a of d.raw.pendingActivities ?? [])
      if (a.state === 2 /* PENDING_ACTIVITY_STATE_STARTED */ && (worker === undefined || (a.lastWorkerIdentity ?? '').startsWith(worker)))
        out[a.activityType?.name ?? '?'] = (out[a.activityType?.name ?? '?'] ?? 0) + 1;
  return out;
}

const q = <T>(sql: string, params: unknown[] = []) => h.orm.em.fork().execute<T[]>(sql, params);

describe('worker crash durability', () => {
  it(`fires every SLA warning/breach exactly once and sends no duplicate e-mail across two SIGKILLs (${TICKETS} tickets)`, async () => {
    const w1 = await spawnWorker('worker-1');

    // 50 tickets at once, so their timers are close together.
    const created = await Promise.all(
      Array.from({ length: TICKETS }, async (_, i) => {
        const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: `Durability ${i}`, body: `ticket ${i} of ${TICKETS}`, categoryId: h.fx.categoryId });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return r.body as { id: number; number: string; createdAt: string; firstResponseDueAt: string; resolutionDueAt: string };
      }),
    );
    const ids = created.map((t) => t.id);
    const idArray = `{${ids.join(',')}}`; // a Postgres int[] literal (array params would be expanded to a list)
    const numbers = new Map(created.map((t) => [t.number, t.id]));
    const firstCreated = Math.min(...created.map((t) => Date.parse(t.createdAt)));
    const lastCreated = Math.max(...created.map((t) => Date.parse(t.createdAt)));
    stamp(`created ${TICKETS} tickets within ${lastCreated - firstCreated} ms`);
    // Progress trace, printed only if the test fails.
    const trace: string[] = [];
    const monitor = setInterval(() => {
      void q<{ started: string; sending: string; sent: string; warnings: string; breaches: string }>(
        `select (select count(*) from tickets where id = any(?::int[]) and workflow_started_at is not null) as started,
                (select count(*) from email_log where ticket_id = any(?::int[]) and status = 'sending') as sending,
                (select count(*) from email_log where ticket_id = any(?::int[]) and status = 'sent') as sent,
                (select count(*) from sla_events where ticket_id = any(?::int[]) and type = 'warning') as warnings,
                (select count(*) from sla_events where ticket_id = any(?::int[]) and type = 'breach') as breaches`,
        Array(5).fill(idArray),
      ).then(
        ([r]) =>
          trace.push(
            `+${((Date.now() - t0) / 1000).toFixed(1)} s ${Object.entries(r!)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
          ),
        () => {},
      );
    }, 1000).unref();
    onTestFinished(() => clearInterval(monitor));
    onTestFailed(() => console.log(`progress (workers spawned: ${workers.map((w) => w.name).join(', ')}):\n${trace.join('\n')}`));
    expect(new Set(ids).size).toBe(TICKETS);

    await eventually(
      async () => {
        const [r] = await q<{ n: string }>('select count(*) as n from tickets where id = any(?::int[]) and workflow_started_at is not null', [idArray]);
        return Number(r!.n) === TICKETS;
      },
      `all ${TICKETS} workflows to start`,
      30_000,
      200,
    );
    stamp('all workflows started');

    // --- Kill #1: a few seconds before the first warning is due; stay dead across every warning.
    const firstWarningAt = firstCreated + FIRST_RESPONSE_S * 1000 * WARNING_FRACTION;
    const lastWarningAt = lastCreated + RESOLUTION_S * 1000 * WARNING_FRACTION;
    const killAt = firstWarningAt - 3_000;
    expect(Date.now(), 'workflows took too long to start: the first warning would be due before the kill').toBeLessThan(firstWarningAt);
    if (killAt > Date.now()) await sleep(killAt - Date.now());
    const [{ n: warningsBefore }] = (await q<{ n: string }>(`select count(*) as n from sla_events where ticket_id = any(?::int[]) and type in ('warning', 'breach')`, [idArray])) as [{ n: string }];
    expect(Number(warningsBefore), 'no warning may fire before the first kill').toBe(0);
    await sigkill(w1, 'before the warnings are due');

    await sleep(Math.max(0, lastWarningAt + 500 - Date.now()));
    const [{ n: whileDead }] = (await q<{ n: string }>(`select count(*) as n from sla_events where ticket_id = any(?::int[]) and type in ('warning', 'breach')`, [idArray])) as [{ n: string }];
    expect(Number(whileDead), 'nothing can be recorded while no worker runs').toBe(0);
    stamp(`every warning instant passed with no worker (${TICKETS * 2} warnings overdue)`);

    const w2 = await spawnWorker('worker-2');

    // --- Kill #2: while breaches are being processed: once the first breach row is there and
    // activities are running on the worker. Activities still started on the dead worker after the
    // kill are lost for sure and must be retried; should every running one have finished just
    // before the kill, start another worker and try again (at most 3 times).
    await eventually(
      async () => {
        const [r] = await q<{ n: string }>(`select count(*) as n from sla_events where ticket_id = any(?::int[]) and type = 'breach'`, [idArray]);
        return Number(r!.n) > 0;
      },
      'the first breach row',
      30_000,
      20,
    );
    let victim = w2;
    let orphaned: Record<string, number> = {};
    for (let round = 1; ; round++) {
      const running = await eventually(
        async () => {
          const r = await startedActivities(ids);
          return Object.keys(r).length > 0 ? r : null;
        },
        'activities running on the worker',
        30_000,
        0,
      );
      await sigkill(victim, `while breaches were being processed (running just before: ${JSON.stringify(running)})`);
      orphaned = await startedActivities(ids, `${victim.pid}@`);
      const atKill = await q<{ type: string; n: string }>(`select type, count(*) as n from sla_events where ticket_id = any(?::int[]) group by type order by type`, [idArray]);
      const [mailAtKill] = await q<{ sending: string; sent: string }>(
        `select count(*) filter (where status = 'sending') as sending, count(*) filter (where status = 'sent') as sent from email_log where ticket_id = any(?::int[])`,
        [idArray],
      );
      stamp(
        `kill #2.${round}: cut short ${JSON.stringify(orphaned)}; sla_events ${atKill.map((r) => `${r.type}=${r.n}`).join(' ')}; ` +
          `email_log sending=${mailAtKill!.sending} sent=${mailAtKill!.sent}`,
      );
      if (Object.keys(orphaned).length > 0 || round === 3) break;
      victim = await spawnWorker(`worker-2.${round + 1}`);
    }
    // Database work runs as local activities inside workflow tasks, so a kill may catch no
    // remote activity; the evidence that kills cut work short is checked at the end instead.
    await spawnWorker('worker-3');

    // Every ticket gets both breaches (in-flight activities come back after their start-to-close timeout).
    await eventually(
      async () => {
        const [r] = await q<{ n: string }>(`select count(distinct (ticket_id, clock)) as n from sla_events where ticket_id = any(?::int[]) and type = 'breach'`, [idArray]);
        return Number(r!.n) === TICKETS * 2 || null;
      },
      'both breaches of every ticket',
      90_000,
      250,
    );
    stamp('every ticket has both breach events');

    // Settle: every e-mail decided (sent, or unconfirmed when a kill hit its SMTP hand-off) and
    // no activity left pending in any workflow.
    await eventually(
      async () => {
        const [r] = await q<{ total: string; sent: string }>(
          `select count(*) as total, count(*) filter (where status in ('sent', 'unconfirmed')) as sent from email_log where ticket_id = any(?::int[])`,
          [idArray],
        );
        if (Number(r!.total) !== TICKETS * MAILS_PER_TICKET || Number(r!.sent) !== Number(r!.total)) return null;
        const pending = await Promise.all(ids.map(async (id) => (await h.temporal.workflow.getHandle(`ticket-${id}`).describe()).raw.pendingActivities?.length ?? 0));
        return pending.every((n) => n === 0);
      },
      `${TICKETS * MAILS_PER_TICKET} e-mails sent and no pending activities`,
      100_000,
      500,
    );
    stamp('e-mail settled');
    await sleep(1_000); // anything still arriving at the catcher now would be a duplicate

    // --- sla_events: exactly one warning and one breach per clock per ticket, breach after target.
    const slaRows = await q<{ ticket_id: number; clock: string; type: string; n: string; late: string; min_actual: Date; min_target: Date }>(
      `select ticket_id, clock, type, count(*) as n, count(*) filter (where actual_at < target_at) as late, min(actual_at) as min_actual, min(target_at) as min_target
         from sla_events where ticket_id = any(?::int[]) group by ticket_id, clock, type`,
      [idArray],
    );
    const sla = new Map(slaRows.map((r) => [`${r.ticket_id}:${r.clock}:${r.type}`, r]));
    const slaProblems: string[] = [];
    for (const id of ids)
      for (const clock of CLOCKS)
        for (const type of ['warning', 'breach']) {
          const r = sla.get(`${id}:${clock}:${type}`);
          if (!r || Number(r.n) !== 1) slaProblems.push(`ticket ${id} ${clock} ${type}: ${r?.n ?? 0} rows`);
          else if (Number(r.late) > 0) slaProblems.push(`ticket ${id} ${clock} ${type}: actual ${r.min_actual.toISOString()} before target ${r.min_target.toISOString()}`);
        }
    for (const r of slaRows) if (r.type !== 'warning' && r.type !== 'breach') slaProblems.push(`ticket ${r.ticket_id} unexpected ${r.clock} ${r.type} x${r.n}`);
    expect(slaProblems).toEqual([]);

    // Targets are the deadlines the API computed at creation.
    const targets = await q<{ ticket_id: number; clock: string; target_at: Date }>(`select ticket_id, clock, target_at from sla_events where ticket_id = any(?::int[]) and type = 'breach'`, [idArray]);
    const byId = new Map(created.map((t) => [t.id, t]));
    for (const r of targets) {
      const t = byId.get(r.ticket_id)!;
      expect(new Date(r.target_at).getTime()).toBe(Date.parse(r.clock === 'first_response' ? t.firstResponseDueAt : t.resolutionDueAt));
    }

    // --- email_log: exactly the expected rows per ticket and template, all sent, to the right people.
    const logRows = await q<{
      ticket_id: number;
      template: string;
      to_address: string;
      message_id: string;
      status: string;
      attempts: number;
      idempotency_key: string;
      subject: string;
      created_at: Date;
      sent_at: Date | null;
    }>('select ticket_id, template, to_address, message_id, status, attempts, idempotency_key, subject, created_at, sent_at from email_log where ticket_id = any(?::int[])', [idArray]);
    // `unconfirmed` only where a kill interrupted the SMTP hand-off; such a message was never resent.
    const unconfirmed = logRows.filter((r) => r.status === 'unconfirmed');
    expect(logRows.filter((r) => r.status !== 'sent' && r.status !== 'unconfirmed')).toEqual([]);
    stamp(`e-mail rows: ${logRows.length - unconfirmed.length} sent, ${unconfirmed.length} unconfirmed`);
    const logCounts = new Map<string, number>();
    for (const r of logRows) logCounts.set(`${r.ticket_id}:${r.template}`, (logCounts.get(`${r.ticket_id}:${r.template}`) ?? 0) + 1);
    const logProblems: string[] = [];
    for (const id of ids)
      for (const [template, { n }] of Object.entries(EXPECTED_MAIL))
        if ((logCounts.get(`${id}:${template}`) ?? 0) !== n) logProblems.push(`ticket ${id} ${template}: ${logCounts.get(`${id}:${template}`) ?? 0} rows, expected ${n}`);
    for (const k of logCounts.keys()) if (!(k.split(':')[1]! in EXPECTED_MAIL)) logProblems.push(`unexpected ${k}`);
    expect(logProblems).toEqual([]);
    for (const r of logRows.filter((x) => x.template.startsWith('sla_'))) expect(r.to_address).toBe(h.fx.users.supervisor.email);
    for (const r of logRows.filter((x) => x.template === 'ticket_created')) expect(r.to_address).toBe(h.fx.users.customer.email);
    for (const r of logRows.filter((x) => x.template === 'ticket_assigned')) expect([h.fx.users.agent1.email, h.fx.users.agent2.email]).toContain(r.to_address);
    expect(new Set(logRows.map((r) => r.message_id)).size).toBe(logRows.length);

    // --- The SMTP catcher: exactly one message per email_log row (no Message-ID twice). A kill
    // between the catcher accepting a message and `email_log.status = 'sent'` shows up here.
    const mail = (await listMail(h.mailUrl, { to: h.fx.suffix })).filter((m) => numbers.has(m.headers['x-mehrdesk-ticket'] ?? ''));
    const byMessageId = new Map<string, CaughtMail[]>();
    for (const m of mail) byMessageId.set(m.messageId ?? '(none)', [...(byMessageId.get(m.messageId ?? '(none)') ?? []), m]);
    const logByMessageId = new Map(logRows.map((r) => [r.message_id, r]));
    const dupes = [...byMessageId.entries()]
      .filter(([, ms]) => ms.length > 1)
      .map(([id, ms]) => `${id} x${ms.length}: ${ms[0]!.subject} (received ${ms.map((m) => m.receivedAt).join(', ')}; email_log ${JSON.stringify(logByMessageId.get(id))})`);
    expect(dupes, 'Message-IDs delivered more than once').toEqual([]);
    // Every sent row was caught exactly once; an unconfirmed one at most once (the catcher may
    // or may not have accepted it before the kill).
    const caught = new Set(byMessageId.keys());
    expect(
      logRows.filter((r) => r.status === 'sent' && !caught.has(r.message_id)).map((r) => r.idempotency_key),
      'sent but never caught',
    ).toEqual([]);
    expect(
      [...caught].filter((id) => !logByMessageId.has(id)),
      'caught but not in email_log',
    ).toEqual([]);
    expect(mail.length).toBeGreaterThanOrEqual(logRows.length - unconfirmed.length);
    const mailProblems: string[] = [];
    for (const [num] of numbers)
      for (const { markers } of Object.values(EXPECTED_MAIL))
        for (const marker of markers) {
          const n = mail.filter((m) => m.headers['x-mehrdesk-ticket'] === num && m.subject.startsWith(`[${num}] ${marker}`)).length;
          const allowedMissing = unconfirmed.some((r) => numbers.get(num) === r.ticket_id && r.subject.startsWith(`[${num}] ${marker}`));
          if (n > 1 || (n === 0 && !allowedMissing)) mailProblems.push(`${num} "${marker}": ${n} messages`);
        }
    expect(mailProblems).toEqual([]);

    // --- Timeline (API): one sla.warning and one sla.breach per clock per ticket.
    const timelineProblems: string[] = [];
    await Promise.all(
      ids.map(async (id) => {
        const tl = await h.call(supervisor, 'GET', `/api/v1/tickets/${id}/timeline`);
        expect(tl.status).toBe(200);
        for (const type of ['sla.warning', 'sla.breach'])
          for (const clock of CLOCKS) {
            const n = tl.body.items.filter((e: { type: string; field: string | null }) => e.type === type && e.field === clock).length;
            if (n !== 1) timelineProblems.push(`ticket ${id} ${type} ${clock}: ${n}`);
          }
      }),
    );
    expect(timelineProblems).toEqual([]);

    // --- What the crashes cost: retried activities and workflow tasks lost with the killed workers.
    const retried: Record<string, number> = {};
    const wfTaskTimeouts: Record<string, number> = {};
    let wfTaskFailures = 0;
    await Promise.all(
      ids.map(async (id) => {
        const history = await h.temporal.workflow.getHandle(`ticket-${id}`).fetchHistory();
        const scheduled = new Map<string, string>();
        for (const e of history.events ?? []) {
          const s = e.activityTaskScheduledEventAttributes;
          if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
          const st = e.activityTaskStartedEventAttributes;
          if (st && (st.attempt ?? 1) > 1) {
            const name = scheduled.get(String(st.scheduledEventId)) ?? '?';
            retried[name] = (retried[name] ?? 0) + 1;
          }
          const to = e.workflowTaskTimedOutEventAttributes;
          if (to) {
            const kind = to.timeoutType === 1 ? 'startToClose' : to.timeoutType === 2 ? 'scheduleToStart (sticky queue of a dead worker)' : String(to.timeoutType);
            wfTaskTimeouts[kind] = (wfTaskTimeouts[kind] ?? 0) + 1;
          }
          if (e.workflowTaskFailedEventAttributes) wfTaskFailures++;
        }
      }),
    );
    const mailRetries = logRows.filter((r) => r.attempts > 1).length;
    stamp(
      `retried activities: ${JSON.stringify(retried)}; email_log rows with attempts > 1: ${mailRetries}; ` + `workflow task timeouts: ${JSON.stringify(wfTaskTimeouts)}, failures: ${wfTaskFailures}`,
    );
    const cutShort = Object.values(retried).reduce((a, b) => a + b, 0) + (wfTaskTimeouts.startToClose ?? 0);
    expect(cutShort, 'the kills should have cut at least one activity or running workflow task (with its local activities) short').toBeGreaterThan(0);
  }, 170_000);
});
