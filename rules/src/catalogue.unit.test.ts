import { describe, expect, it } from 'vitest';
import { ruleCatalogue } from './catalogue';
import { validateRule } from './validate';

// The catalogue is what the visual editor offers; everything it offers must be accepted by
// validateRule, and what it refuses to offer must be refused.

const cat = ruleCatalogue();

const sample: Record<string, unknown> = {
  string: 'x',
  nonEmptyString: 'x',
  stringList: ['x'],
  number: 1,
  numberList: [1, 2],
  boolean: true,
  true: true,
  id: 1,
  idList: [1],
  idOrNull: null,
  idOrNullList: [1, null],
  epochMs: 1_700_000_000_000,
  regex: { pattern: '^a', flags: 'i' },
  scalar: 'x',
  scalarList: ['x'],
};

function enumSample(type: { kind: string; values?: readonly string[] }, spec: string) {
  if (spec === 'enumValue') return type.values![0];
  if (spec === 'enumList') return [type.values![0]];
  return sample[spec];
}

describe('rule catalogue', () => {
  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(cat))).toEqual(cat);
  });

  it('lists every trigger, with schedule and SLA triggers flagged', () => {
    expect(cat.triggers.map((t) => t.name)).toEqual(['ticket.created', 'ticket.updated', 'message.received', 'sla.warning', 'sla.breached', 'survey.received', 'schedule']);
    expect(cat.triggers.filter((t) => t.sla).map((t) => t.name)).toEqual(['sla.warning', 'sla.breached']);
    expect(cat.triggers.find((t) => t.schedule)?.name).toBe('schedule');
  });

  it('every operator it offers for a fact, with a value of the operand kind it names, validates', () => {
    let checked = 0;
    for (const fact of cat.facts) {
      const trigger = fact.triggers?.[0] ?? 'ticket.updated';
      const variants = fact.operators
        ? [{ params: fact.params ? paramsFor(fact.name) : undefined, type: fact.type!, operators: fact.operators }]
        : cat.trackedFields.map((f) => ({ params: { field: f.name }, type: f.type, operators: f.operators }));
      for (const v of variants)
        for (const op of v.operators) {
          const def = {
            trigger,
            conditions: { all: [{ fact: fact.name, ...(v.params ? { params: v.params } : {}), operator: op.name, value: enumSample(v.type, op.value) }] },
            actions: [{ type: 'close', params: {} }],
          };
          const r = validateRule(def);
          expect(r.ok, `${fact.name} ${op.name}: ${JSON.stringify(r.ok ? null : r.errors)}`).toBe(true);
          checked++;
        }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('an operator it does not offer for a fact is refused at the operator', () => {
    const subject = cat.facts.find((f) => f.name === 'ticket.subject')!;
    expect(subject.operators!.map((o) => o.name)).not.toContain('equal');
    const r = validateRule({ trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.subject', operator: 'equal', value: 'x' }] }, actions: [{ type: 'close', params: {} }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.pointer).toBe('/conditions/all/0/operator');
  });

  it('names the record kind of id facts, tracked fields and action params', () => {
    expect(cat.facts.find((f) => f.name === 'ticket.groupId')!.reference).toBe('group');
    expect(cat.facts.find((f) => f.name === 'ticket.assigneeId')!.reference).toBe('user');
    expect(cat.facts.find((f) => f.name === 'previous')!.type).toBeNull();
    expect(cat.trackedFields.find((f) => f.name === 'categoryId')!.reference).toBe('category');
    const refs = Object.fromEntries(cat.actions.map((a) => [a.type, a.references]));
    expect(refs.assign_agent).toEqual({ userId: 'user' });
    expect(refs.call_webhook).toEqual({ subscriptionId: 'webhook_subscription' });
    expect(refs.send_email).toEqual({ template: 'email_template' });
    expect(refs.close).toEqual({});
    expect(cat.facts.find((f) => f.name === 'ticket.tags')!.suggest).toBe('tags');
    expect(cat.trackedFields.find((f) => f.name === 'tags')!.suggest).toBe('tags');
    expect(cat.actions.find((a) => a.type === 'add_tags')!.suggest).toEqual({ tags: 'tags' });
  });

  it('describes action params as JSON Schema (enums, required, no extra keys)', () => {
    const setPriority = cat.actions.find((a) => a.type === 'set_priority')!.params;
    expect(setPriority).toMatchObject({ type: 'object', required: ['priority'], additionalProperties: false, properties: { priority: { enum: ['low', 'normal', 'high', 'urgent'] } } });
    expect(cat.actions.map((a) => a.type)).toHaveLength(14);
  });
});

function paramsFor(fact: string): Record<string, unknown> {
  if (fact === 'ticket.customField') return { key: 'plan' };
  if (fact === 'hoursSince') return { event: 'created', business: true };
  if (fact === 'changed') return { field: 'status' };
  throw new Error(`no sample params for ${fact}`);
}
