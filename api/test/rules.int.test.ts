import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleScheduleId } from '@mehrdesk/workflows/contracts';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Automation rules end to end: admin API (versions, restore, reorder, validation pointers,
// dry-run, execution log) and rules acting inside the ticket workflow (timeline "by rule",
// loop protection, chain cap) and on a Temporal Schedule. Every rule is scoped to this file's
// category so tickets of other test files never match.

let h: Harness;
let admin: string, agent: string, customer: string;
const created: number[] = [];

beforeAll(async () => {
  h = await startHarness();
  [admin, agent, customer] = (await Promise.all([h.fx.users.admin, h.fx.users.agent1, h.fx.users.customer].map((u) => h.login(u.email)))) as [string, string, string];
});
afterAll(async () => {
  for (const id of created) await h.call(admin, 'DELETE', `/api/v1/rules/${id}`);
  await h?.close();
});

const mine = () => ({ fact: 'ticket.categoryId', operator: 'equal', value: h.fx.categoryId });

async function createRule(name: string, definition: unknown) {
  const r = await h.call(admin, 'POST', '/api/v1/rules', { name, definition });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  created.push(r.body.id);
  return r.body;
}

async function ticket(subject = 'Invoice wrong', priority = 'normal') {
  const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject, body: 'please check my invoice', priority, categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; version: number; number: string };
}

const row = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}`)).body;
const timeline = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}/timeline`)).body.items as any[];

describe('saving rules', () => {
  it('refuses invalid definitions with 400 and JSON pointers, writing nothing', async () => {
    const before = (await h.call(admin, 'GET', '/api/v1/rules')).body.items.length;
    const bad = await h.call(admin, 'POST', '/api/v1/rules', {
      name: 'broken',
      definition: {
        trigger: 'ticket.created',
        conditions: {
          all: [
            { fact: 'ticket.priority', operator: 'greaterThan', value: 'high' },
            { fact: 'ticket.nope', operator: 'equal', value: 1 },
          ],
        },
        actions: [{ type: 'set_priority', params: { priority: 'critical' } }],
      },
    });
    expect(bad.status).toBe(400);
    const pointers = bad.body.error.fields.map((f: { pointer: string }) => f.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/definition/conditions/all/0/operator', '/definition/conditions/all/1/fact', '/definition/actions/0/params/priority']));
    const unknownGroup = await h.call(admin, 'POST', '/api/v1/rules', {
      name: 'x',
      definition: { trigger: 'ticket.created', conditions: { all: [mine()] }, actions: [{ type: 'set_group', params: { groupId: 99999999 } }] },
    });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body.error.fields).toEqual([expect.objectContaining({ pointer: '/definition/actions/0/params/groupId' })]);
    expect((await h.call(admin, 'GET', '/api/v1/rules')).body.items.length).toBe(before);
    expect((await h.call(agent, 'POST', '/api/v1/rules', { name: 'x', definition: {} })).status).toBe(403);
  });

  it('versions every save, restores any version, reorders and toggles', async () => {
    const def = (p: string) => ({
      trigger: 'ticket.created',
      conditions: { all: [mine(), { fact: 'ticket.subject', operator: 'textContains', value: 'never-matches-xyz' }] },
      actions: [{ type: 'set_priority', params: { priority: p } }],
    });
    const r = await createRule('versioned', def('high'));
    expect(r.version).toBe(1);
    const v2 = await h.call(admin, 'PUT', `/api/v1/rules/${r.id}`, { definition: def('urgent'), comment: 'more urgent', expectedVersion: 1 });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.version).toBe(2);
    const stale = await h.call(admin, 'PUT', `/api/v1/rules/${r.id}`, { definition: def('low'), expectedVersion: 1 });
    expect(stale.status).toBe(409);
    const versions = (await h.call(admin, 'GET', `/api/v1/rules/${r.id}/versions`)).body.items;
    expect(versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(versions[0]).toMatchObject({ comment: 'more urgent', author: { id: h.fx.users.admin.id } });
    const restored = await h.call(admin, 'POST', `/api/v1/rules/${r.id}/versions/1/restore`);
    expect(restored.status).toBe(201);
    expect(restored.body.version).toBe(3);
    expect(restored.body.definition.actions[0].params.priority).toBe('high');
    expect((await h.call(admin, 'GET', `/api/v1/rules/${r.id}/versions/3`)).body.restoredFrom).toBe(1);

    const other = await createRule('second', def('low'));
    const all = (await h.call(admin, 'GET', '/api/v1/rules')).body.items.map((x: any) => x.id);
    const reordered = [other.id, ...all.filter((x: number) => x !== other.id)];
    const ro = await h.call(admin, 'POST', '/api/v1/rules/reorder', { ids: reordered });
    expect(ro.status, JSON.stringify(ro.body)).toBe(200);
    expect((await h.call(admin, 'GET', '/api/v1/rules')).body.items.map((x: any) => x.id)).toEqual(reordered);
    expect((await h.call(admin, 'POST', '/api/v1/rules/reorder', { ids: [other.id] })).status).toBe(400);
    const off = await h.call(admin, 'PATCH', `/api/v1/rules/${r.id}`, { enabled: false });
    expect(off.body.enabled).toBe(false);
  });
});

describe('rules in the ticket workflow', () => {
  it('applies matching actions, recorded "by rule", logged, and a dry-run predicts the same', async () => {
    const rule = await createRule('VIP invoices', {
      trigger: 'ticket.created',
      conditions: {
        all: [
          mine(),
          {
            any: [
              { fact: 'ticket.subject', operator: 'textContains', value: 'INVOICE' },
              { fact: 'ticket.priority', operator: 'equal', value: 'urgent' },
            ],
          },
        ],
      },
      actions: [
        { type: 'set_priority', params: { priority: 'high' } },
        { type: 'add_tags', params: { tags: ['billing'] } },
        { type: 'add_note', params: { body: 'Routed by automation' } },
      ],
    });
    // Dry-run the saved rule against a ticket that would match, before it acts on anything.
    const probe = await ticket('Invoice probe');
    const dry = await h.call(admin, 'POST', '/api/v1/rules/dry-run', { ticketId: probe.id, ruleId: rule.id, event: { type: 'ticket.created' } });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body.results[0]).toMatchObject({ ruleId: rule.id, matched: true });
    expect(dry.body.results[0].conditions.find((c: any) => c.fact === 'ticket.subject')).toMatchObject({ operator: 'textContains', value: 'INVOICE', result: true });
    expect(dry.body.results[0].actions.map((a: any) => a.type)).toEqual(['set_priority', 'add_tags', 'add_note']);

    const t = await ticket('My invoice is wrong');
    const after = await eventually(async () => {
      const r = await row(t.id);
      return r.priority === 'high' && r.tags.includes('billing') ? r : null;
    }, 'rule actions applied');
    expect(after.tags).toEqual(['billing']);
    const tl = await timeline(t.id);
    const byRule = tl.filter((e) => e.actor.type === 'rule');
    expect(byRule.map((e) => e.type)).toEqual(expect.arrayContaining(['ticket.priority_changed', 'ticket.tags_changed']));
    expect(byRule[0].meta.rule).toMatchObject({ id: rule.id, version: 1, name: 'VIP invoices' });
    // The note is the rule's last action, persisted after the field changes seen above.
    const notes = await eventually(async () => {
      const items = (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/messages`)).body.items.filter((m: any) => m.kind === 'internal');
      return items.length ? items : null;
    }, 'the rule note');
    expect(notes.map((m: any) => m.bodyText)).toEqual(['Routed by automation']);

    const log = await h.call(admin, 'GET', `/api/v1/rules/executions?ruleId=${rule.id}&ticketId=${t.id}`);
    expect(log.body.items[0]).toMatchObject({ matched: true, eventType: 'ticket.created', ruleVersion: 1 });
    expect(log.body.items[0].durationMs).toBeGreaterThanOrEqual(0);
    const counters = (await h.call(admin, 'GET', `/api/v1/rules/${rule.id}`)).body.counters;
    expect(counters.matches).toBeGreaterThanOrEqual(1);

    const plain = await ticket('Something else entirely');
    await eventually(async () => (await h.call(admin, 'GET', `/api/v1/rules/executions?ruleId=${rule.id}&ticketId=${plain.id}`)).body.items[0], 'evaluation logged');
    expect((await row(plain.id)).priority).toBe('normal');
    expect((await h.call(admin, 'GET', `/api/v1/rules/executions?ruleId=${rule.id}&ticketId=${plain.id}`)).body.items[0].matched).toBe(false);
    await h.call(admin, 'PATCH', `/api/v1/rules/${rule.id}`, { enabled: false });
  });

  it('does not let rules ping-pong, and caps chains of rules triggering rules', async () => {
    const tag = `pp-${h.fx.suffix}`;
    const scoped = (extra: object) => ({ all: [mine(), { fact: 'ticket.tags', operator: 'contains', value: tag }, extra] });
    const a = await createRule('ping', {
      trigger: 'ticket.updated',
      conditions: scoped({ fact: 'ticket.priority', operator: 'equal', value: 'high' }),
      actions: [{ type: 'set_priority', params: { priority: 'urgent' } }],
    });
    const b = await createRule('pong', {
      trigger: 'ticket.updated',
      conditions: scoped({ fact: 'ticket.priority', operator: 'equal', value: 'urgent' }),
      actions: [{ type: 'set_priority', params: { priority: 'high' } }],
    });
    const t = await ticket('ping pong');
    const r = await h.call(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { version: t.version, tags: [tag], priority: 'high' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // ping fires (→ urgent), pong fires (→ high); ping may not fire again in this chain.
    await eventually(async () => (await timeline(t.id)).filter((e) => e.actor.type === 'rule').length >= 2, 'both rules acted');
    await new Promise((res) => setTimeout(res, 1500));
    const byRule = (await timeline(t.id)).filter((e) => e.actor.type === 'rule');
    expect(byRule.map((e) => [e.meta.rule.name, e.newValue])).toEqual([
      ['ping', 'urgent'],
      ['pong', 'high'],
    ]);
    for (const x of [a, b]) await h.call(admin, 'PATCH', `/api/v1/rules/${x.id}`, { enabled: false });

    // Six rules in a row, each enabling the next through a tag: the chain stops at the cap.
    const chainTag = (i: number) => `chain-${i}-${h.fx.suffix}`;
    for (let i = 0; i < 6; i++)
      await createRule(`chain ${i}`, {
        trigger: 'ticket.updated',
        conditions: { all: [mine(), { fact: 'ticket.tags', operator: 'contains', value: chainTag(i) }] },
        actions: [{ type: 'add_tags', params: { tags: [chainTag(i + 1)] } }],
      });
    const c = await ticket('chain');
    await h.call(agent, 'PATCH', `/api/v1/tickets/${c.id}`, { version: c.version, tags: [chainTag(0)] });
    const limit = await eventually(async () => (await timeline(c.id)).find((e) => e.type === 'rules.chain_limit'), 'chain limit recorded');
    expect(limit.newValue.depth).toBe(5);
    expect((await row(c.id)).tags).not.toContain(chainTag(6));
  });
});

describe('time-based automation', () => {
  it('runs on a Temporal Schedule and acts once per ticket and condition window', async () => {
    const rule = await createRule('pending reminder', {
      trigger: 'schedule',
      schedule: { everyMinutes: 1 },
      conditions: {
        all: [mine(), { fact: 'ticket.status', operator: 'equal', value: 'pending' }, { fact: 'hoursSince', params: { event: 'status_changed' }, operator: 'greaterThanInclusive', value: 0 }],
      },
      actions: [{ type: 'add_note', params: { body: 'Reminder: waiting on the customer' } }],
    });
    const schedule = h.temporal.schedule.getHandle(ruleScheduleId(rule.id));
    const desc = await schedule.describe();
    expect(desc.spec.intervals?.[0]?.every).toBe(60_000);
    expect(desc.action.type).toBe('startWorkflow');

    const t = await ticket('waiting');
    const p = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' });
    expect(p.status).toBe(200);
    const notes = async () => (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/messages`)).body.items.filter((m: any) => m.bodyText === 'Reminder: waiting on the customer').length;
    // Overlap policy SKIP: wait for a run to finish before triggering the next one.
    const idle = () => eventually(async () => (await schedule.describe()).info.runningActions.length === 0, 'schedule run finished');
    await schedule.trigger();
    await eventually(async () => (await notes()) === 1, 'first reminder');
    await idle();
    const runsBefore = (await schedule.describe()).info.recentActions.length;
    await schedule.trigger(); // same pending spell: no second reminder
    await eventually(async () => (await schedule.describe()).info.recentActions.length > runsBefore, 'second run started');
    await idle();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await notes()).toBe(1);
    expect((await h.call(admin, 'GET', `/api/v1/rules/executions?ruleId=${rule.id}`)).body.items).toHaveLength(1);
    const o = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'open' });
    await h.call(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { version: o.body.version, status: 'pending' });
    await idle();
    await schedule.trigger(); // a new pending spell is a new condition window
    await eventually(async () => (await notes()) === 2, 'reminder in the new pending spell');

    await h.call(admin, 'PATCH', `/api/v1/rules/${rule.id}`, { enabled: false });
    expect((await schedule.describe()).state.paused).toBe(true);
    await h.call(admin, 'DELETE', `/api/v1/rules/${rule.id}`);
    await expect(schedule.describe()).rejects.toThrow();
  });
});
