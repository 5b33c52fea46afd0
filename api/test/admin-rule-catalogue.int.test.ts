import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// GET /rules/catalogue: admins only, served before '/rules/:id' (which would read "catalogue"
// as an id), and every fact/operator/action it offers is one the rule endpoints accept.

let h: Harness;
let admin: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.login(h.fx.users.admin.email);
});
afterAll(() => h?.close());

describe('rule catalogue', () => {
  it('is for admins only', async () => {
    expect((await h.call(null, 'GET', '/api/v1/rules/catalogue')).status).toBe(401);
    for (const u of [h.fx.users.supervisor, h.fx.users.agent1, h.fx.users.customer]) expect((await h.call(await h.login(u.email), 'GET', '/api/v1/rules/catalogue')).status).toBe(403);
  });

  it('lists triggers, facts with operators, actions with JSON Schema params and e-mail templates', async () => {
    const r = await h.call(admin, 'GET', '/api/v1/rules/catalogue');
    expect(r.status).toBe(200);
    const cat = r.body;
    expect(cat.triggers.map((t: any) => t.name)).toContain('schedule');
    expect(cat.limits).toMatchObject({ maxDepth: 6, maxActions: 20, maxScheduleMinutes: 1440 });
    const priority = cat.facts.find((f: any) => f.name === 'ticket.priority');
    expect(priority).toMatchObject({ type: { kind: 'enum', values: ['low', 'normal', 'high', 'urgent'] }, reference: null });
    expect(priority.operators).toContainEqual({ name: 'in', value: 'enumList' });
    expect(cat.facts.find((f: any) => f.name === 'message.text').triggers).toEqual(['message.received']);
    expect(cat.facts.find((f: any) => f.name === 'hoursSince').params.required).toEqual(['event']);
    expect(cat.actions.find((a: any) => a.type === 'assign_group').references).toEqual({ groupId: 'group' });
    expect(cat.emailTemplates).toContain('ticket_created');
  });

  it('a rule built from catalogue entries only is accepted, dry-run included', async () => {
    const cat = (await h.call(admin, 'GET', '/api/v1/rules/catalogue')).body;
    const subject = cat.facts.find((f: any) => f.name === 'ticket.subject');
    const op = subject.operators.find((o: any) => o.name === 'textContains');
    const setPriority = cat.actions.find((a: any) => a.type === 'set_priority');
    const definition = {
      trigger: cat.triggers[0].name,
      conditions: { all: [{ fact: subject.name, operator: op.name, value: 'urgent' }] },
      actions: [{ type: setPriority.type, params: { priority: setPriority.params.properties.priority.enum.at(-1) } }],
    };
    const created = await h.call(admin, 'POST', '/api/v1/rules', { name: `catalogue-${h.fx.suffix}`, enabled: false, definition });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.definition).toEqual(definition);
    await h.call(admin, 'DELETE', `/api/v1/rules/${created.body.id}`);
  });
});
