import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLink } from '@mehrdesk/core/services/signed-links';
import { signSurveyLink } from '@mehrdesk/core/services/surveys';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { openSse } from '@mehrdesk/scripts/testing/sse';

// Satisfaction surveys through the API: admin settings, the signed e-mail links (refused when
// tampered, for another purpose, expired, about another resolution or another account, and
// then nothing changes), the portal's ticket survey with customer isolation, the CSAT report
// and reminder settings on SLA policies. Surveys are real: the worker sends them 1 s after a
// resolution.

let h: Harness;
let admin: string, agent: string, customer: string, customer2: string;

const q = <T>(sql: string, params: unknown[] = []) => h.orm.em.fork().execute<T[]>(sql, params);

beforeAll(async () => {
  h = await startHarness({
    env: {
      SURVEYS_ENABLED: 'true',
      SURVEY_DELAY_SECONDS: '1',
      SURVEY_SCALE: 'binary',
      CLIENT_KEY_SECRET: `surveys-${randomBytes(16).toString('hex')}`,
      RATE_LIMIT_PUBLIC_SURVEY_PER_HOUR: '100000',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
  await q(`delete from settings where key = 'surveys'`);
  [admin, agent, customer, customer2] = (await Promise.all([h.fx.users.admin, h.fx.users.agent1, h.fx.users.customer, h.fx.users.customer2].map((u) => h.login(u.email)))) as [
    string,
    string,
    string,
    string,
  ];
});
afterAll(async () => {
  // Other files see the environment's defaults again.
  await q(`delete from settings where key = 'surveys'`).catch(() => undefined);
  await h?.close();
});

interface Surveyed {
  id: number;
  number: string;
  resolvedAt: number;
  survey: { id: number; scale: string };
  token: string;
}

/** A ticket of `customer`, resolved by the agent, with the survey the worker sent for it. */
async function surveyedTicket(subject = 'Printer', as = customer, userId = h.fx.users.customer.id): Promise<Surveyed> {
  const r = await h.call(as, 'POST', '/api/v1/tickets', { subject, body: 'help', categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const res = await h.call(agent, 'POST', `/api/v1/tickets/${r.body.id}/status`, { status: 'resolved' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const resolvedAt = Date.parse(res.body.resolvedAt);
  // Sent: the row, then (after the e-mail) the timeline entry.
  await eventually(async () => (await q(`select id from timeline_events where ticket_id = ? and type = 'survey.sent'`, [r.body.id])).length > 0, 'the survey', 15_000);
  const [survey] = await q<{ id: number; scale: string }>('select id, scale from ticket_surveys where ticket_id = ?', [r.body.id]);
  if (!survey) throw new Error('survey.sent without a survey row');
  const token = signSurveyLink(h.config.PORTAL_LINK_SECRET, { userId, ticketId: r.body.id, resolvedAt, expiresAtSec: Math.floor(Date.now() / 1000) + 3600 });
  return { id: r.body.id, number: r.body.number, resolvedAt, survey, token };
}

const snapshot = async (ticketId: number) => ({
  surveys: await q('select score, comment, rated_at from ticket_surveys where ticket_id = ? order by id', [ticketId]),
  timeline: (await q<{ n: string }>(`select count(*) as n from timeline_events where ticket_id = ? and type like 'survey.%'`, [ticketId]))[0]!.n,
});

describe('survey settings', () => {
  it('are the environment defaults until an admin chooses; validated; admins only', async () => {
    const got = await h.call(admin, 'GET', '/api/v1/settings/surveys');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ enabled: true, delaySeconds: 1, scale: 'binary', source: 'default' });
    for (const [body, path] of [
      [{ enabled: true, delaySeconds: 0, scale: 'binary' }, 'body.delaySeconds'],
      [{ enabled: true, delaySeconds: 1e12, scale: 'binary' }, 'body.delaySeconds'],
      [{ enabled: true, delaySeconds: 1.5, scale: 'binary' }, 'body.delaySeconds'],
      [{ enabled: 'yes', delaySeconds: 60, scale: 'binary' }, 'body.enabled'],
      [{ enabled: true, delaySeconds: 60, scale: 'stars' }, 'body.scale'],
      [{ enabled: true, delaySeconds: 60, scale: 'binary', extra: 1 }, 'body.extra'],
      [{ enabled: true, scale: 'binary' }, 'body.delaySeconds'],
    ] as const) {
      const r = await h.call(admin, 'PUT', '/api/v1/settings/surveys', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    expect((await h.call(agent, 'PUT', '/api/v1/settings/surveys', { enabled: false, delaySeconds: 60, scale: 'binary' })).status).toBe(403);
    expect((await h.call(customer, 'GET', '/api/v1/settings/surveys')).status).toBe(403);
    expect((await h.call(admin, 'GET', '/api/v1/settings/surveys')).body.source).toBe('default');
  });
});

describe('survey links', () => {
  it('show and rate the survey without a login; refused when tampered, for another purpose, expired, another resolution or another account — and nothing changes', async () => {
    const t = await surveyedTicket('Links');
    const shown = await h.call(null, 'GET', `/api/v1/public/surveys/${t.token}`);
    expect(shown.status, JSON.stringify(shown.body)).toBe(200);
    expect(shown.body).toEqual({ ticketNumber: t.number, subject: 'Links', scale: 'binary', state: 'open', rating: null, comment: null });
    expect(shown.headers.get('cache-control')).toBe('no-store');
    const before = await snapshot(t.id);

    const [payload, mac] = t.token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const reSigned = (over: Record<string, unknown>) => `${Buffer.from(JSON.stringify({ ...claims, ...over })).toString('base64url')}.${mac}`;
    const refusals: [string, string, number, string][] = [
      ['tampered signature', `${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`, 403, 'link_invalid'],
      ['payload moved to another ticket', reSigned({ t: t.id + 1 }), 403, 'link_invalid'],
      ['payload with a later expiry', reSigned({ x: claims.x + 1 }), 403, 'link_invalid'],
      ['not a token', 'not-a-token', 403, 'link_invalid'],
      ['overlong', 'a'.repeat(700), 400, 'bad_request'],
      [
        'another purpose',
        signLink(h.config.PORTAL_LINK_SECRET, { purpose: 'magic', userId: h.fx.users.customer.id, ticketId: t.id, binding: String(t.resolvedAt), expiresAt: claims.x }),
        403,
        'link_invalid',
      ],
      ['another secret', signSurveyLink('x'.repeat(40), { userId: h.fx.users.customer.id, ticketId: t.id, resolvedAt: t.resolvedAt, expiresAtSec: claims.x }), 403, 'link_invalid'],
      [
        'expired',
        signSurveyLink(h.config.PORTAL_LINK_SECRET, { userId: h.fx.users.customer.id, ticketId: t.id, resolvedAt: t.resolvedAt, expiresAtSec: Math.floor(Date.now() / 1000) - 1 }),
        410,
        'link_expired',
      ],
      [
        'another resolution of the ticket',
        signSurveyLink(h.config.PORTAL_LINK_SECRET, { userId: h.fx.users.customer.id, ticketId: t.id, resolvedAt: t.resolvedAt - 1, expiresAtSec: claims.x }),
        409,
        'survey_closed',
      ],
      ['another customer', signSurveyLink(h.config.PORTAL_LINK_SECRET, { userId: h.fx.users.customer2.id, ticketId: t.id, resolvedAt: t.resolvedAt, expiresAtSec: claims.x }), 409, 'survey_closed'],
    ];
    for (const [what, token, status, code] of refusals) {
      for (const method of ['GET', 'POST'] as const) {
        const r = await h.call(null, method, `/api/v1/public/surveys/${encodeURIComponent(token)}`, method === 'POST' ? { rating: 'good' } : undefined);
        expect(r.status, `${what} (${method}): ${JSON.stringify(r.body)}`).toBe(status);
        expect(r.body.error.code, what).toBe(code);
      }
    }
    // Signed in as another customer (or staff), the link is not yours.
    for (const token of [customer2, agent]) {
      const r = await h.call(token, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'bad' });
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({ code: 'link_invalid', message: 'This survey link belongs to another account' });
    }
    expect(await snapshot(t.id)).toEqual(before);

    // Wrong shapes name the field.
    for (const [body, path] of [
      [{ rating: 'meh' }, 'body.rating'],
      [{ rating: 4 }, 'body.rating'],
      [{ rating: 'good', comment: 'x'.repeat(2001) }, 'body.comment'],
      [{ rating: 'good', extra: true }, 'body.extra'],
      [{}, 'body.rating'],
    ] as const) {
      const r = await h.call(null, 'POST', `/api/v1/public/surveys/${t.token}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    expect(await snapshot(t.id)).toEqual(before);

    // The requester signed in may use it; so may anyone holding the link without signing in.
    const rated = await h.call(customer, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'good', comment: '  Quick and kind  ' });
    expect(rated.status, JSON.stringify(rated.body)).toBe(200);
    expect(rated.body).toMatchObject({ state: 'rated', rating: 'good', comment: 'Quick and kind' });
    const again = await h.call(null, 'GET', `/api/v1/public/surveys/${t.token}`);
    expect(again.body).toMatchObject({ state: 'rated', rating: 'good', comment: 'Quick and kind' });
    // Clearing the comment.
    expect((await h.call(null, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'good', comment: null })).body.comment).toBeNull();

    // Reopened: the link of that resolution is closed.
    expect((await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'open' })).status).toBe(200);
    const closed = await h.call(null, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'bad' });
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('survey_closed');
    expect((await q<{ score: number }>('select score from ticket_surveys where ticket_id = ?', [t.id]))[0]!.score).toBe(1);
  });

  it('a rating is announced live to open ticket pages (the ticket version unchanged)', async () => {
    const t = await surveyedTicket('Live');
    const stream = await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${agent}` });
    try {
      await stream.next((f) => f.event === 'ready', 'ready');
      const [row] = await q<{ version: number }>('select version from tickets where id = ?', [t.id]);
      expect((await h.call(null, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'bad', comment: 'slow' })).status).toBe(200);
      const frame = await stream.next((f) => f.event === 'ticket.updated' && f.data?.ticketId === t.id, 'the rating event', 10_000);
      expect(frame.data).toMatchObject({ fields: ['satisfaction'], version: row!.version });
    } finally {
      stream.close();
    }
  });

  it('a first rating is a webhook event its subscribers get a delivery of', async () => {
    const sub = await h.call(admin, 'POST', '/api/v1/webhooks', { name: `csat ${randomBytes(3).toString('hex')}`, url: 'http://127.0.0.1:9/csat', events: ['survey.received'] });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    try {
      const t = await surveyedTicket('Webhook');
      expect((await h.call(null, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'good' })).status).toBe(200);
      const deliveries = await eventually(
        async () => {
          const rows = await q<{ event_type: string }>('select event_type from webhook_deliveries where subscription_id = ? and ticket_id = ?', [sub.body.id, t.id]);
          return rows.length ? rows : null;
        },
        'the webhook delivery',
        15_000,
      );
      expect(deliveries.map((d) => d.event_type)).toEqual(['survey.received']);
    } finally {
      await h.call(admin, 'DELETE', `/api/v1/webhooks/${sub.body.id}`);
    }
  });

  it('are rate limited per client (429 with Retry-After), and a refused request writes nothing', async () => {
    const limited = await startHarness({ worker: false, env: { RATE_LIMIT_PUBLIC_SURVEY_PER_HOUR: '2', CLIENT_KEY_SECRET: `surveys-limit-${randomBytes(16).toString('hex')}` } });
    try {
      const t = await surveyedTicket('Limited');
      const before = await snapshot(t.id);
      expect((await limited.call(null, 'GET', `/api/v1/public/surveys/${t.token}`)).status).toBe(200);
      expect((await limited.call(null, 'GET', `/api/v1/public/surveys/${t.token}`)).status).toBe(200);
      const third = await limited.call(null, 'POST', `/api/v1/public/surveys/${t.token}`, { rating: 'good' });
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('rate_limited');
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await snapshot(t.id)).toEqual(before);
    } finally {
      await limited.close();
    }
  });
});

describe('the ticket survey (portal) and isolation', () => {
  it('the requester reads and rates; another customer can neither read nor rate; staff read it', async () => {
    const t = await surveyedTicket('Isolation');
    const mine = await h.call(customer, 'GET', `/api/v1/tickets/${t.id}/survey`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ ticketNumber: t.number, state: 'open', scale: 'binary' });
    const before = await snapshot(t.id);
    expect((await h.call(customer2, 'GET', `/api/v1/tickets/${t.id}/survey`)).status).toBe(404);
    expect((await h.call(customer2, 'POST', `/api/v1/tickets/${t.id}/survey`, { rating: 'bad' })).status).toBe(404);
    const staff = await h.call(agent, 'POST', `/api/v1/tickets/${t.id}/survey`, { rating: 'good' });
    expect(staff.status).toBe(403);
    expect(staff.body.error.message).toBe('Only the customer who asked rates the support');
    expect(await snapshot(t.id)).toEqual(before);
    expect((await h.call(agent, 'GET', `/api/v1/tickets/${t.id}/survey`)).body.state).toBe('open');

    const rated = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/survey`, { rating: 'bad', comment: 'Slow' });
    expect(rated.status).toBe(200);
    expect(rated.body).toMatchObject({ state: 'rated', rating: 'bad', comment: 'Slow' });
    const ticket = await h.call(agent, 'GET', `/api/v1/tickets/${t.id}`);
    expect(ticket.body.satisfaction).toEqual({ rating: 'bad', scale: 'binary', comment: 'Slow', ratedAt: expect.any(String) });
    const timeline = await h.call(agent, 'GET', `/api/v1/tickets/${t.id}/timeline`);
    expect(timeline.body.items.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['survey.sent', 'survey.received']));
    // The ticket list carries the rating too.
    const listed = await h.call(agent, 'GET', `/api/v1/tickets?ids=${t.id}`);
    expect(listed.body.items[0].satisfaction).toMatchObject({ rating: 'bad' });

    // No survey for an unresolved ticket: 404.
    const open = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'Open', body: 'x', categoryId: h.fx.categoryId });
    expect((await h.call(customer, 'GET', `/api/v1/tickets/${open.body.id}/survey`)).status).toBe(404);
    expect(open.body.satisfaction).toBeNull();
  });

  it('the five-point scale takes 1 … 5 only; turned off, no survey goes out', async () => {
    expect((await h.call(admin, 'PUT', '/api/v1/settings/surveys', { enabled: true, delaySeconds: 1, scale: 'five' })).body).toEqual({
      enabled: true,
      delaySeconds: 1,
      scale: 'five',
      source: 'admin',
    });
    const t = await surveyedTicket('Five');
    expect(t.survey.scale).toBe('five');
    for (const rating of ['good', 0, 6, 2.5]) {
      const r = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/survey`, { rating });
      expect(r.status, String(rating)).toBe(400);
      expect(r.body.error.fields[0].path).toBe('body.rating');
    }
    expect((await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/survey`, { rating: 4 })).body).toMatchObject({ scale: 'five', rating: 4 });

    expect((await h.call(admin, 'PUT', '/api/v1/settings/surveys', { enabled: false, delaySeconds: 1, scale: 'binary' })).status).toBe(200);
    const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'Off', body: 'x', categoryId: h.fx.categoryId });
    await h.call(agent, 'POST', `/api/v1/tickets/${r.body.id}/status`, { status: 'resolved' });
    await new Promise((res) => setTimeout(res, 2500));
    expect(await q('select id from ticket_surveys where ticket_id = ?', [r.body.id])).toEqual([]);
    await h.call(admin, 'PUT', '/api/v1/settings/surveys', { enabled: true, delaySeconds: 1, scale: 'binary' });
  });
});

describe('CSAT report', () => {
  it('lists ratings with ticket, customer, agent and comment, filters them, pages with a cursor, and sums up the period', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const a = await surveyedTicket('CSAT a');
    const b = await surveyedTicket('CSAT b');
    const c = await surveyedTicket('CSAT c', customer2, h.fx.users.customer2.id);
    await h.call(customer, 'POST', `/api/v1/tickets/${a.id}/survey`, { rating: 'good', comment: 'Great' });
    await h.call(customer, 'POST', `/api/v1/tickets/${b.id}/survey`, { rating: 'bad' });
    await h.call(customer2, 'POST', `/api/v1/tickets/${c.id}/survey`, { rating: 'good' });
    const base = `/api/v1/admin/csat?from=${encodeURIComponent(from)}&groupId=${h.fx.groups.support}`;

    const all = await h.call(admin, 'GET', base);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.items.map((i: { ticketId: number }) => i.ticketId)).toEqual([c.id, b.id, a.id]);
    const first = all.body.items[2];
    const [assigned] = await q<{ assignee_id: number | null }>('select assignee_id from tickets where id = ?', [a.id]);
    expect(first).toMatchObject({
      ticketNumber: a.number,
      subject: 'CSAT a',
      customer: { id: h.fx.users.customer.id, email: h.fx.users.customer.email },
      scale: 'binary',
      rating: 'good',
      comment: 'Great',
      groupId: h.fx.groups.support,
    });
    expect(first.agent?.id ?? null).toBe(assigned!.assignee_id);
    expect(all.body.summary).toMatchObject({ rated: 3, sent: 3, positive: 2, negative: 1, averageScore: null, fiveCount: 0 });
    expect(all.body.summary.positiveShare).toBeCloseTo(2 / 3);
    expect(all.body.nextCursor).toBeNull();

    const bad = await h.call(admin, 'GET', `${base}&rating=bad`);
    expect(bad.body.items.map((i: { ticketId: number }) => i.ticketId)).toEqual([b.id]);
    expect(bad.body.summary).toMatchObject({ rated: 1, positive: 0, negative: 1, sent: 3 });

    const page1 = await h.call(admin, 'GET', `${base}&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await h.call(admin, 'GET', `${base}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((i: { ticketId: number }) => i.ticketId)).toEqual([a.id]);
    expect(page2.body.nextCursor).toBeNull();

    const future = await h.call(admin, 'GET', `/api/v1/admin/csat?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}&groupId=${h.fx.groups.support}`);
    expect(future.body).toMatchObject({ items: [], summary: { rated: 0, positiveShare: null } });

    for (const [query, path, status] of [
      ['cursor=not-a-cursor', 'query.cursor', 422],
      [`cursor=${Buffer.from(JSON.stringify([1e20, 1])).toString('base64url')}`, 'query.cursor', 422],
      ['from=2026-02-30T00:00:00Z', 'query.from', 400],
      ['rating=excellent', 'query.rating', 400],
      ['agentId=0', 'query.agentId', 400],
      ['limit=1000', 'query.limit', 400],
      ['unknown=1', 'query.unknown', 400],
    ] as const) {
      const r = await h.call(admin, 'GET', `/api/v1/admin/csat?${query}`);
      expect(r.status, query).toBe(status);
      expect(r.body.error.fields[0].path).toBe(path);
    }
    expect((await h.call(agent, 'GET', '/api/v1/admin/csat')).status).toBe(403);
  });
});

describe('reminder settings on SLA policies', () => {
  it('are optional, stored and validated (positive, bounded, in order, placeable in the calendar)', async () => {
    const got = await h.call(admin, 'GET', `/api/v1/sla-policies/${h.fx.policyId}`);
    expect(got.body).toMatchObject({ remindAfterSeconds: null, remindAgainAfterSeconds: null, autoResolveAfterSeconds: null });
    for (const [body, path] of [
      [{ remindAfterSeconds: 0 }, 'body.remindAfterSeconds'],
      [{ remindAfterSeconds: -5 }, 'body.remindAfterSeconds'],
      [{ remindAfterSeconds: 1.5 }, 'body.remindAfterSeconds'],
      [{ remindAfterSeconds: 10 ** 12 }, 'body.remindAfterSeconds'],
      [{ remindAfterSeconds: 'soon' }, 'body.remindAfterSeconds'],
      [{ remindAgainAfterSeconds: 3600 }, 'body.remindAgainAfterSeconds'],
      [{ remindAfterSeconds: 7200, remindAgainAfterSeconds: 3600 }, 'body.remindAgainAfterSeconds'],
      [{ remindAfterSeconds: 3600, remindAgainAfterSeconds: 7200, autoResolveAfterSeconds: 7200 }, 'body.autoResolveAfterSeconds'],
      [{ remindAfterSeconds: 3600, autoResolveAfterSeconds: 60 }, 'body.autoResolveAfterSeconds'],
    ] as const) {
      const r = await h.call(admin, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    const ok = await h.call(admin, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { remindAfterSeconds: 86_400, remindAgainAfterSeconds: 3 * 86_400, autoResolveAfterSeconds: 7 * 86_400 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ remindAfterSeconds: 86_400, remindAgainAfterSeconds: 3 * 86_400, autoResolveAfterSeconds: 7 * 86_400 });
    // A later change is checked against what is stored: the first reminder may not pass the second.
    const late = await h.call(admin, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { remindAfterSeconds: 4 * 86_400 });
    expect(late.status).toBe(400);
    expect(late.body.error.fields[0].path).toBe('body.remindAgainAfterSeconds');
    const off = await h.call(admin, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { remindAfterSeconds: null, remindAgainAfterSeconds: null, autoResolveAfterSeconds: null });
    expect(off.body).toMatchObject({ remindAfterSeconds: null, remindAgainAfterSeconds: null, autoResolveAfterSeconds: null });
  });
});
