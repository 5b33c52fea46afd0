import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Admin-edited notification templates: validated at save, previewed in both languages, used by
// the worker for recipients of that language, escaped into HTML, reverted to the built-in text.

let h: Harness;
let admin: string;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.login(h.fx.users.admin.email);
});
afterAll(async () => {
  for (const locale of ['en', 'fa']) await h.call(admin, 'DELETE', `/api/v1/email-templates/ticket_created/${locale}`);
  await h?.close();
});

const FA = { subject: '[{{ ticket.number }}] دریافت شد: {{ ticket.subject }}', body: '{{ recipient.name }} عزیز،\n\nدرخواست شما ثبت شد. <script>alert(1)</script>' };

describe('e-mail templates', () => {
  it('are for admins', async () => {
    const agent = await h.login(h.fx.users.agent1.email);
    expect((await h.call(agent, 'GET', '/api/v1/email-templates')).status).toBe(403);
    expect((await h.call(agent, 'PUT', '/api/v1/email-templates/ticket_created/fa', FA)).status).toBe(403);
  });

  it('refuses broken templates naming the field, and saves nothing', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ subject: 'ok', body: 'Hello {{ ticket.nope }}' }, 'body.body', /undefined variable/i],
      [{ subject: '{% if %}', body: 'x' }, 'body.subject', /.+/],
      [{ subject: 'ok', body: '{{ ticket.number | shout }}' }, 'body.body', /undefined filter/i],
    ];
    for (const [body, path, message] of cases) {
      const r = await h.call(admin, 'PUT', '/api/v1/email-templates/ticket_created/en', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.fields[0].path).toBe(path);
      expect(r.body.error.fields[0].message).toMatch(message);
    }
    expect((await h.call(admin, 'PUT', '/api/v1/email-templates/no_such_event/en', FA)).status).toBe(400);
    const list = (await h.call(admin, 'GET', '/api/v1/email-templates')).body;
    // 7 notification events plus the customer follow-ups (survey_request, pending_reminder), in two languages.
    expect(list.items).toHaveLength(9 * 2);
    expect(list.items.find((x: any) => x.key === 'ticket_created' && x.locale === 'en').custom).toBe(false);
  });

  it('previews in both languages, right-to-left for Persian', async () => {
    const fa = await h.call(admin, 'POST', '/api/v1/email-templates/ticket_created/fa/preview', FA);
    expect(fa.status, JSON.stringify(fa.body)).toBe(200);
    expect(fa.body.subject).toBe('[TKT-2026-000123] دریافت شد: Printer on fire');
    expect(fa.body.html).toContain('dir="rtl"');
    expect(fa.body.html).toContain('&lt;script&gt;');
    expect(fa.body.html).not.toContain('<script>');
    const builtIn = await h.call(admin, 'POST', '/api/v1/email-templates/sla_warning/en/preview', {});
    expect(builtIn.body.subject).toContain('SLA warning');
    expect(builtIn.body.html).toContain('dir="ltr"');
  });

  it('is used for recipients of that language once saved, and can be reverted', async () => {
    const saved = await h.call(admin, 'PUT', '/api/v1/email-templates/ticket_created/fa', FA);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ custom: true, subject: FA.subject });
    await h.orm.em.fork().execute(`update users set locale = 'fa' where id = ?`, [h.fx.users.customer2.id]);
    const token = await h.login(h.fx.users.customer2.email);
    const t = (await h.call(token, 'POST', '/api/v1/tickets', { subject: 'چاپگر کار نمی‌کند', body: 'کمک', categoryId: h.fx.categoryId })).body;
    const [mail] = await waitForMail(h.mailUrl, (m) => m.subject === `[${t.number}] دریافت شد: چاپگر کار نمی‌کند`);
    expect(mail!.html).toContain('dir="rtl"');
    expect(mail!.html).toContain('&lt;script&gt;');
    expect(mail!.text).toContain(`customer2 ${h.fx.suffix} عزیز،`);
    // The English customer still gets the built-in text.
    const en = await h.login(h.fx.users.customer.email);
    const t2 = (await h.call(en, 'POST', '/api/v1/tickets', { subject: 'Printer', body: 'help', categoryId: h.fx.categoryId })).body;
    await waitForMail(h.mailUrl, (m) => m.subject === `[${t2.number}] We received your request: Printer`);
    expect((await h.call(admin, 'DELETE', '/api/v1/email-templates/ticket_created/fa')).status).toBe(204);
    expect((await h.call(admin, 'DELETE', '/api/v1/email-templates/ticket_created/fa')).status).toBe(404);
  });
});
