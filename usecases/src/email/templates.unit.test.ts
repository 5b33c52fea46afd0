import type { Locale } from '@mehrdesk/core/domain';
import type { EmailTemplate } from '@mehrdesk/workflows/activity-contracts';
import { describe, expect, it } from 'vitest';
import { renderEmail, type TemplateVars } from './templates';

const TEMPLATES: EmailTemplate[] = ['ticket_created', 'ticket_assigned', 'agent_reply', 'customer_reply', 'sla_warning', 'sla_breach', 'ticket_closed'];
const LOCALES: Locale[] = ['en', 'fa'];
const ALL = TEMPLATES.flatMap((template) => LOCALES.map((locale) => ({ template, locale })));

const LINK = 'https://desk.example.com/tickets/42';
const DUE = new Date('2026-11-21T10:30:00Z'); // 30 Aban 1405 in the Persian calendar

function vars(over: Partial<TemplateVars> = {}): TemplateVars {
  return {
    ticketNumber: 'HD-2026-000042',
    subject: 'Printer on fire',
    recipientName: 'Sara',
    actorName: 'Reza',
    body: 'Have you tried turning it off and on again?',
    clock: 'first_response',
    dueAt: DUE,
    link: LINK,
    ...over,
  };
}

/** Any Arabic-script letter (Persian text). */
const PERSIAN = /[\u0600-\u06FF]/;
const PERSIAN_DIGITS = /[۰-۹]/;

// The expected subject of every template, without the date (checked separately below).
const SUBJECTS: Record<Locale, Record<EmailTemplate, string>> = {
  en: {
    ticket_created: '[HD-2026-000042] We received your request: Printer on fire',
    ticket_assigned: '[HD-2026-000042] Assigned to you: Printer on fire',
    agent_reply: 'Re: [HD-2026-000042] Printer on fire',
    customer_reply: '[HD-2026-000042] Customer replied: Printer on fire',
    sla_warning: '[HD-2026-000042] SLA warning: first response due ',
    sla_breach: '[HD-2026-000042] SLA breached: first response',
    ticket_closed: '[HD-2026-000042] Closed: Printer on fire',
  },
  fa: {
    ticket_created: '[HD-2026-000042] درخواست شما دریافت شد: Printer on fire',
    ticket_assigned: '[HD-2026-000042] به شما واگذار شد: Printer on fire',
    agent_reply: 'پاسخ: [HD-2026-000042] Printer on fire',
    customer_reply: '[HD-2026-000042] پاسخ مشتری: Printer on fire',
    sla_warning: '[HD-2026-000042] هشدار SLA: اولین پاسخ تا ',
    sla_breach: '[HD-2026-000042] نقض SLA: اولین پاسخ',
    ticket_closed: '[HD-2026-000042] بسته شد: Printer on fire',
  },
};

describe.each(ALL)('$template ($locale)', ({ template, locale }) => {
  const mail = renderEmail(template, locale, vars());

  it('has the expected subject', () => {
    if (template === 'sla_warning') expect(mail.subject.startsWith(SUBJECTS[locale][template])).toBe(true);
    else expect(mail.subject).toBe(SUBJECTS[locale][template]);
  });

  it('is a complete HTML document in the right language and direction', () => {
    const dir = locale === 'fa' ? 'rtl' : 'ltr';
    expect(mail.html.startsWith('<!doctype html>')).toBe(true);
    expect(mail.html).toContain(`<html lang="${locale}" dir="${dir}">`);
    expect(mail.html).toContain(`<body dir="${dir}"`);
    expect(mail.html).toContain(`text-align:${locale === 'fa' ? 'right' : 'left'}`);
    expect(mail.html).toContain('<meta charset="utf-8">');
    expect(mail.html.endsWith('</body></html>')).toBe(true);
  });

  it('Persian mail is Persian, English mail is not', () => {
    expect(PERSIAN.test(mail.subject)).toBe(locale === 'fa');
    expect(PERSIAN.test(mail.text)).toBe(locale === 'fa');
  });

  it('links to the ticket in both parts', () => {
    const label = locale === 'fa' ? 'مشاهدهٔ تیکت' : 'View ticket';
    expect(mail.text.split('\n').at(-1)).toBe(`${label}: ${LINK}`);
    expect(mail.html).toContain(`<a href="${LINK}">${label}</a>`);
  });

  it('names the ticket in the subject and has no line breaks in it', () => {
    expect(mail.subject).toContain('HD-2026-000042');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('escapes a script subject in HTML, keeps it literal in the text part and the subject', () => {
    const evil = '<script>alert(1)</script>';
    const m = renderEmail(template, locale, vars({ subject: evil }));
    expect(m.html).not.toContain('<script');
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // SLA subjects do not repeat the ticket subject; all others do, in the subject and the <title>.
    if (!['sla_breach', 'sla_warning'].includes(template)) {
      expect(m.subject).toContain(evil);
      expect(m.html).toMatch(/<title>[^<]*&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
    }
    // Templates whose body repeats the subject keep it verbatim in the plain-text part.
    if (['ticket_created', 'ticket_assigned', 'sla_warning', 'sla_breach'].includes(template)) {
      expect(m.text).toContain(evil);
    }
    expect(m.text).not.toContain('&lt;');
  });

  it('strips CR/LF from the subject (no header injection)', () => {
    const injected = 'Hi\r\nBcc: victim@example.com\nX-Evil: 1\r';
    const m = renderEmail(template, locale, vars({ subject: injected, ticketNumber: 'HD-1\r\nBcc: a@b.c', clock: 'resolution\r\nX: y' }));
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.subject).toContain('HD-1 Bcc: a@b.c');
  });
});

describe('variables', () => {
  it('escapes every HTML metacharacter in variables, including quotes in the link', () => {
    const m = renderEmail('agent_reply', 'en', vars({ body: `a & b < c > d "e" 'f'`, link: 'https://x.test/?a=1&b="><img src=x>' }));
    expect(m.html).toContain('a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;');
    expect(m.html).toContain('<a href="https://x.test/?a=1&amp;b=&quot;&gt;&lt;img src=x&gt;">');
    expect(m.html).not.toContain('<img');
    expect(m.text).toContain(`a & b < c > d "e" 'f'`);
  });

  it('reply mails quote the reply body and the author, with a default author', () => {
    const en = renderEmail('agent_reply', 'en', vars());
    expect(en.text.split('\n').slice(0, 2)).toEqual(['Reza replied:', 'Have you tried turning it off and on again?']);
    expect(renderEmail('agent_reply', 'en', vars({ actorName: undefined })).text).toMatch(/^Support replied:/);
    expect(renderEmail('agent_reply', 'fa', vars({ actorName: undefined })).text).toMatch(/^پشتیبانی پاسخ داد:/);
    expect(renderEmail('customer_reply', 'en', vars({ actorName: undefined })).text).toMatch(/^The customer wrote:/);
    expect(renderEmail('customer_reply', 'fa', vars({ actorName: undefined })).text).toMatch(/^مشتری نوشت:/);
  });

  it('greets the recipient by name', () => {
    expect(renderEmail('ticket_created', 'en', vars()).text).toMatch(/^Hello Sara,\n/);
    expect(renderEmail('ticket_created', 'fa', vars()).text).toMatch(/^Sara گرامی،\n/);
  });

  it('multi-line bodies keep their line breaks in HTML (pre-wrap) and text', () => {
    const m = renderEmail('customer_reply', 'en', vars({ body: 'line 1\nline 2' }));
    expect(m.text).toContain('line 1\nline 2');
    expect(m.html).toContain('white-space:pre-wrap">line 1\nline 2</p>');
  });

  it.each([
    ['en', 'resolution', 'resolution'],
    ['fa', 'resolution', 'حل مشکل'],
    ['fa', 'first_response', 'اولین پاسخ'],
    ['en', 'custom_clock', 'custom_clock'],
  ] as const)('%s clock name %s → %s', (locale, clock, label) => {
    expect(renderEmail('sla_breach', locale, vars({ clock })).subject).toContain(label);
  });
});

describe('SLA dates', () => {
  it('Persian: Jalali calendar with Persian digits (2026-11-21 = 30 Aban 1405)', () => {
    const m = renderEmail('sla_warning', 'fa', vars());
    expect(m.subject).toContain('۱۴۰۵');
    expect(m.subject).toContain('آبان');
    expect(m.subject).toContain('۳۰');
    expect(m.subject).toContain('۱۰:۳۰'); // UTC by default
    const datepart = m.subject.replace('HD-2026-000042', '');
    expect(datepart).not.toMatch(/\d/); // no Latin digits, no Gregorian year
    expect(m.text).toContain('۱۴۰۵');
    const breach = renderEmail('sla_breach', 'fa', vars());
    expect(breach.text).toContain('۱۴۰۵');
  });

  it('Persian: honours the recipient time zone (Tehran is UTC+03:30)', () => {
    const m = renderEmail('sla_warning', 'fa', vars({ timeZone: 'Asia/Tehran' }));
    expect(m.subject).toContain('۱۴:۰۰');
  });

  it('English: Gregorian calendar with Latin digits', () => {
    const m = renderEmail('sla_warning', 'en', vars());
    expect(m.subject).toContain('2026');
    expect(m.subject).toContain('Nov');
    expect(m.subject).toContain('10:30');
    expect(PERSIAN_DIGITS.test(m.subject)).toBe(false);
    expect(renderEmail('sla_warning', 'en', vars({ timeZone: 'Asia/Tehran' })).subject).toContain('14:00');
  });

  it('no dueAt: no date and no "Invalid Date"', () => {
    for (const locale of LOCALES) {
      for (const dueAt of [null, undefined]) {
        const m = renderEmail('sla_warning', locale, vars({ dueAt }));
        expect(m.subject).not.toMatch(/invalid|NaN|1970|۱۳۴۸/i);
        expect(PERSIAN_DIGITS.test(m.subject)).toBe(false);
        expect(m.subject.replace('HD-2026-000042', '')).not.toMatch(/\d/);
      }
    }
  });
});
