import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Admin input can never stall the API (issue 12): a Liquid template that loops a million times
// and rule regexes whose RE2 programs are huge are refused quickly with a 400 naming the field,
// while /healthz, probed every 20 ms meanwhile, keeps answering within 100 ms. The API runs in
// this process, so a blocked event loop delays the probes and shows in their latencies.

let h: Harness;
let admin: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.login(h.fx.users.admin.email);
});
afterAll(async () => {
  await h?.call(admin, 'DELETE', '/api/v1/email-templates/ticket_created/en');
  await h?.close();
});

const LOOP = '{% for i in (1..1000) %}{% for j in (1..1000) %}{{ i }}{% endfor %}{% endfor %}';
const HUGE_REGEXES = ['[\\p{L}]{1000}', '\\pL{1000}', '.{1000}.{1000}', '\\w{1000}\\w{1000}\\w{1000}'];

/** Runs `work` while probing /healthz every 20 ms; returns the probes' latencies and the largest gap between probe starts. */
async function whileProbing(work: () => Promise<void>): Promise<{ latencies: number[]; maxGap: number }> {
  // One request first, so no probe pays for opening the connection.
  await (await fetch(`${h.baseUrl}/healthz`)).text();
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  let last = performance.now();
  let maxGap = 0;
  const probe = async () => {
    const started = performance.now();
    const res = await fetch(`${h.baseUrl}/healthz`);
    await res.text();
    expect(res.status).toBe(200);
    latencies.push(performance.now() - started);
  };
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    inFlight.push(probe());
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
    await Promise.all(inFlight);
  }
  return { latencies, maxGap };
}

const STALL_MS = 400;

function expectResponsive({ latencies, maxGap }: { latencies: number[]; maxGap: number }) {
  expect(latencies.length).toBeGreaterThan(0);
  expect(Math.max(...latencies), `healthz latencies ${latencies.map(Math.round).join(', ')}`).toBeLessThan(STALL_MS);
  // A probe that could not even be sent (timer late) is a stall too.
  expect(maxGap).toBeLessThan(STALL_MS);
}

describe('admin input that would stall the event loop', () => {
  it('a template looping 1,000 × 1,000 times is refused (save and preview) naming the field, healthz stays fast', async () => {
    const replies: { status: number; body: any; ms: number }[] = [];
    const probes = await whileProbing(async () => {
      for (const [method, path] of [
        ['PUT', '/api/v1/email-templates/ticket_created/en'],
        ['POST', '/api/v1/email-templates/ticket_created/en/preview'],
      ] as const) {
        const started = performance.now();
        const r = await h.call(admin, method, path, { subject: 'Hello {{ recipient.name }}', body: LOOP });
        replies.push({ ...r, ms: performance.now() - started });
      }
    });
    for (const r of replies) {
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.fields).toEqual([{ path: 'body.body', message: expect.stringMatching(/longer than \d+ ms to render/) }]);
      expect(r.ms).toBeLessThan(1000);
    }
    expectResponsive(probes);
    // Nothing was saved: the built-in text still applies.
    const list = (await h.call(admin, 'GET', '/api/v1/email-templates')).body;
    expect(list.items.find((x: any) => x.key === 'ticket_created' && x.locale === 'en').custom).toBe(false);
  });

  it('a template rendering to more than a subject line can hold is refused naming the subject', async () => {
    const r = await h.call(admin, 'PUT', '/api/v1/email-templates/ticket_created/en', {
      subject: '{% for i in (1..200) %}{{ ticket.subject }}{% endfor %}',
      body: 'Hello',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.fields).toEqual([{ path: 'body.subject', message: expect.stringMatching(/renders to \d+ characters; at most 998/) }]);
  });

  it('rule regexes whose compiled program would be huge are refused naming the condition value, healthz stays fast', async () => {
    const replies: { pattern: string; status: number; body: any; ms: number }[] = [];
    const probes = await whileProbing(async () => {
      for (const pattern of HUGE_REGEXES) {
        const definition = {
          trigger: 'ticket.created',
          conditions: { all: [{ fact: 'ticket.subject', operator: 'matchesRegex', value: { pattern, flags: 'i' } }] },
          actions: [{ type: 'add_tags', params: { tags: ['never'] } }],
        };
        const started = performance.now();
        const r = await h.call(admin, 'POST', '/api/v1/rules', { name: `huge ${pattern}`, definition });
        replies.push({ pattern, ...r, ms: performance.now() - started });
      }
    });
    for (const r of replies) {
      expect(r.status, `${r.pattern}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error.fields).toEqual([
        expect.objectContaining({ path: 'body.definition.conditions.all.0.value.pattern', pointer: '/definition/conditions/all/0/value/pattern', message: expect.stringMatching(/too complex/) }),
      ]);
      expect(r.ms).toBeLessThan(1000);
    }
    expectResponsive(probes);
    expect((await h.call(admin, 'GET', '/api/v1/rules')).body.items.filter((x: any) => x.name.startsWith('huge '))).toEqual([]);
  });

  it('patterns admins really use are still accepted', async () => {
    for (const pattern of ['^\\[?TKT-\\d{4}-\\d{6}\\]?', '(?i)urgent|asap', '\\b(refund|chargeback)\\b', '[\\p{Arabic}]+', '\\d{3}-\\d{4}', '\\p{L}+']) {
      const definition = {
        trigger: 'ticket.created',
        conditions: {
          all: [
            { fact: 'ticket.categoryId', operator: 'equal', value: h.fx.categoryId },
            { fact: 'ticket.subject', operator: 'matchesRegex', value: pattern },
          ],
        },
        actions: [{ type: 'add_tags', params: { tags: ['matched'] } }],
      };
      const r = await h.call(admin, 'POST', '/api/v1/rules', { name: `real ${pattern}`, definition, enabled: false });
      expect(r.status, `${pattern}: ${JSON.stringify(r.body)}`).toBe(201);
      expect((await h.call(admin, 'DELETE', `/api/v1/rules/${r.body.id}`)).status).toBe(204);
    }
  });
});
