import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ticketWorkflowId, TICKET_WORKFLOW_TYPE } from '@mehrdesk/workflows/contracts';
import { loadPolicySnapshot } from '@mehrdesk/core/services/policies';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { workflowBundle } from '@mehrdesk/worker/create-worker';
import { loadTicketRow, workflowInputFrom } from '@mehrdesk/usecases/tickets/ticket-row';

// The lifecycle workflow against the real Temporal dev server, with SLA targets of seconds:
// normal = 4 s first response / 10 s resolution, warnings at 50 %, 24x7 calendar.

const HISTORY_OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../.data/histories');

let h: Harness;
let customer: string, agent: string, admin: string;

beforeAll(async () => {
  h = await startHarness({
    fixtures: {
      targets: {
        normal: { firstResponseSeconds: 4, resolutionSeconds: 10 },
        high: { firstResponseSeconds: 3, resolutionSeconds: 10 },
        low: { firstResponseSeconds: 60, resolutionSeconds: 600 },
      },
      warningFraction: 0.5,
      autoCloseAfterSeconds: 3,
      escalation: [
        { on: 'warning', clock: 'any', action: 'notify_supervisor' },
        { on: 'breach', clock: 'any', action: 'notify_supervisor' },
        { on: 'breach', clock: 'first_response', action: 'raise_priority' },
        { on: 'breach', clock: 'resolution', action: 'reassign_to_escalation_group' },
      ],
    },
  });
  [customer, agent, admin] = await Promise.all([h.login(h.fx.users.customer.email), h.login(h.fx.users.agent1.email), h.login(h.fx.users.admin.email)]);
});
afterAll(() => h?.close());

async function create(priority = 'normal') {
  const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: `SLA ${priority}`, body: 'clock test', priority, categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

interface SlaEventRow {
  clock: string;
  type: string;
  target_at: Date | null;
  actual_at: Date;
  met: boolean | null;
}
const slaEvents = (ticketId: number) => h.orm.em.fork().execute<SlaEventRow[]>('select clock, type, target_at, actual_at, met from sla_events where ticket_id = ? order by id', [ticketId]);
// Read as admin: escalation may move a ticket out of the agent's groups.
const row = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}`)).body;
const sla = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}/sla`)).body;

describe.concurrent('SLA clocks', () => {
  it('fires warning then breach exactly once, escalates, and notifies the supervisor', async () => {
    const t = await create();
    const created = Date.parse(t.createdAt);
    const breach = await eventually(async () => (await slaEvents(t.id)).find((e) => e.clock === 'first_response' && e.type === 'breach'), 'first-response breach', 15_000);
    const events = await slaEvents(t.id);
    const fr = events.filter((e) => e.clock === 'first_response');
    expect(fr.map((e) => e.type)).toEqual(['warning', 'breach']);
    // Warning at 50 % of 4 s, breach at 4 s; each recorded no earlier than its target.
    expect(new Date(fr[0]!.target_at!).getTime() - created).toBeGreaterThanOrEqual(1900);
    expect(new Date(fr[0]!.target_at!).getTime() - created).toBeLessThan(2600);
    expect(new Date(breach.target_at!).getTime() - created).toBeGreaterThanOrEqual(3900);
    expect(new Date(breach.actual_at).getTime()).toBeGreaterThanOrEqual(new Date(breach.target_at!).getTime());

    // raise_priority on first-response breach.
    const raised = await eventually(async () => ((await row(t.id)).priority === 'high' ? row(t.id) : null), 'priority raised');
    expect(raised.slaState).toBe('breached');
    const listed = await h.call(admin, 'GET', `/api/v1/tickets?slaState=breached&requesterId=${h.fx.users.customer.id}&limit=100`);
    expect(listed.body.items.map((x: { id: number }) => x.id)).toContain(t.id);

    // Resolution breach at 10 s → reassigned to the escalation group's least-loaded agent.
    const moved = await eventually(
      async () => {
        const r = await row(t.id);
        return r.groupId === h.fx.groups.tier2 ? r : null;
      },
      'reassignment to tier 2',
      20_000,
    );
    expect(moved.assigneeId).toBe(h.fx.users.tier2.id);
    const timeline = (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/timeline`)).body.items;
    const byWorkflow = timeline.filter((e: { actor: { type: string } }) => e.actor.type === 'workflow').map((e: { type: string }) => e.type);
    expect(byWorkflow).toEqual(expect.arrayContaining(['sla.warning', 'sla.breach', 'ticket.priority_changed', 'ticket.groupId_changed', 'ticket.assigneeId_changed']));

    const mails = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && /SLA (warning|breached)/.test(m.subject), { count: 4, timeoutMs: 15_000 });
    expect(mails.every((m) => m.to.join().includes(h.fx.users.supervisor.email))).toBe(true);
    const all = await slaEvents(t.id);
    expect(all.filter((e) => e.type === 'breach')).toHaveLength(2);
    expect(all.filter((e) => e.type === 'warning')).toHaveLength(2);
  });

  it('pauses while pending and resumes, shifting the deadline by the paused time', async () => {
    const t = await create();
    const created = Date.parse(t.createdAt);
    const p = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    const pausedView = await sla(t.id);
    expect(pausedView.clocks.map((c: { state: string }) => c.state)).toEqual(['paused', 'paused']);
    await new Promise((r) => setTimeout(r, 3000));
    const o = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'open' });
    expect(o.status).toBe(200);
    const events = await slaEvents(t.id);
    const paused = events.find((e) => e.type === 'paused' && e.clock === 'first_response')!;
    const resumed = events.find((e) => e.type === 'resumed' && e.clock === 'first_response')!;
    const pausedFor = new Date(resumed.actual_at).getTime() - new Date(paused.actual_at).getTime();
    expect(pausedFor).toBeGreaterThanOrEqual(3000);
    const fr = (await sla(t.id)).clocks.find((c: { name: string }) => c.name === 'first_response');
    // Due = created + 4 s + paused time (± scheduling slack of the two updates).
    expect(Math.abs(Date.parse(fr.dueAt) - (created + 4000 + pausedFor))).toBeLessThan(300);
    expect(Date.parse((await row(t.id)).firstResponseDueAt)).toBe(Date.parse(fr.dueAt));
    const breach = await eventually(async () => (await slaEvents(t.id)).find((e) => e.clock === 'first_response' && e.type === 'breach'), 'shifted breach', 15_000);
    expect(new Date(breach.actual_at).getTime()).toBeGreaterThanOrEqual(Date.parse(fr.dueAt));
  });

  it('stops the first-response clock at the first agent reply', async () => {
    const t = await create();
    const r = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Looking into it' });
    expect(r.status).toBe(201);
    const view = await sla(t.id);
    const fr = view.clocks.find((c: { name: string }) => c.name === 'first_response');
    expect(fr).toMatchObject({ state: 'met', met: true, breached: false });
    expect(view.clocks.find((c: { name: string }) => c.name === 'resolution').state).toBe('running');
    await new Promise((res) => setTimeout(res, 5000)); // past the 4 s target
    const events = await slaEvents(t.id);
    expect(events.filter((e) => e.clock === 'first_response').map((e) => [e.type, e.met])).toEqual([['met', true]]);
    expect((await row(t.id)).firstRespondedAt).not.toBeNull();
  });

  it('auto-closes a resolved ticket after the policy delay and ends its workflow', async () => {
    const t = await create('low');
    await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Fixed, please confirm' });
    const res = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'resolved' });
    expect(res.status).toBe(200);
    expect(res.body.resolvedAt).not.toBeNull();
    const view = await sla(t.id);
    expect(Date.parse(view.autoCloseAt) - Date.parse(res.body.resolvedAt)).toBeGreaterThanOrEqual(2900);
    const closed = await eventually(async () => ((await row(t.id)).status === 'closed' ? row(t.id) : null), 'auto-close', 15_000);
    expect(Date.parse(closed.closedAt) - Date.parse(closed.resolvedAt)).toBeGreaterThanOrEqual(3000);
    const handle = h.temporal.workflow.getHandle(ticketWorkflowId(t.id));
    await expect(handle.result()).resolves.toMatchObject({ status: 'closed' });
    await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('Closed'));
    // Keep this history: the replay suite checks that new workflow code still replays it.
    const history = await handle.fetchHistory();
    // New tickets run the workflow type born with every patch: no markers, no repeated search attributes.
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(TICKET_WORKFLOW_TYPE);
    expect(history.events?.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toEqual([]);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, ticketWorkflowId(t.id));
    fs.mkdirSync(HISTORY_OUT, { recursive: true });
    fs.writeFileSync(path.join(HISTORY_OUT, 'full-lifecycle.json'), historyToJSON(history));
  });

  it('reopens when the customer replies to a resolved ticket, cancelling auto-close', async () => {
    const t = await create('low');
    await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'resolved' });
    const reply = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Still broken!' });
    expect(reply.status).toBe(201);
    const after = await row(t.id);
    expect(after.status).toBe('open');
    expect(after.resolvedAt).toBeNull();
    expect((await sla(t.id)).autoCloseAt).toBeNull();
    await new Promise((r) => setTimeout(r, 4000));
    expect((await row(t.id)).status).toBe('open');
    const res = (await sla(t.id)).clocks.find((c: { name: string }) => c.name === 'resolution');
    expect(res.state).toBe('running');
  });
});

describe('operability', () => {
  it('lets ops find the workflow by ticket number, status, priority and assignee', async () => {
    const t = await create('low');
    const [assignee] = await h.orm.em.fork().execute<{ email: string }[]>('select email from users where id = ?', [t.assigneeId]);
    const query = `TicketNumber = "${t.number}" AND TicketStatus = "new" AND TicketPriority = "low" AND TicketAssignee = "${assignee!.email}"`;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of h.temporal.workflow.list({ query })) ids.push(w.workflowId);
        return ids.length ? ids : null;
      },
      'visibility search',
      15_000,
      250,
    );
    expect(found).toEqual([ticketWorkflowId(t.id)]);
    await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'on_hold' });
    await eventually(
      async () => {
        for await (const w of h.temporal.workflow.list({ query: `TicketNumber = "${t.number}" AND TicketStatus = "on_hold"` })) return w;
        return null;
      },
      'status search attribute update',
      15_000,
      250,
    );
  });

  it('continues as new when history grows, carrying the whole state', async () => {
    // A ticket row plus a workflow started with a tiny history limit (production relies on
    // Temporal's own suggestion, which only comes after thousands of events).
    const t = await create('low');
    const wfId = ticketWorkflowId(t.id);
    const original = h.temporal.workflow.getHandle(wfId);
    await original.terminate('replaced by a short-history run for this test');
    const em = h.orm.em.fork();
    const stored = (await loadTicketRow(em, t.id))!;
    const input = { ...workflowInputFrom(stored, await loadPolicySnapshot(em, stored.sla_policy_id!), 'test'), historyLimit: 40 };
    await h.temporal.workflow.start(TICKET_WORKFLOW_TYPE, { workflowId: wfId, taskQueue: h.config.TEMPORAL_TASK_QUEUE, args: [input] });
    const firstRun = (await h.temporal.workflow.getHandle(wfId).describe()).runId;
    let version = stored.version;
    for (let i = 0; i < 8; i++) {
      const r = await h.call(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { version, status: i % 2 ? 'open' : 'pending' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      version = r.body.version;
    }
    const latest = await eventually(
      async () => {
        const d = await h.temporal.workflow.getHandle(wfId).describe();
        return d.runId !== firstRun ? d : null;
      },
      'continue-as-new',
      15_000,
    );
    expect(latest.status.name).toBe('RUNNING');
    // State carried over: version, status and SLA clocks (consumed time, not reset).
    const view = await sla(t.id);
    expect(view.clocks).toHaveLength(2);
    const next = await h.call(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { version, priority: 'high' });
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.version).toBe(version + 1);
    const stale = await h.call(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { version, priority: 'urgent' });
    expect(stale.status).toBe(409);
  });
});
