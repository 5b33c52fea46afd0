import { describe, expect, it } from 'vitest';
import { renderEmail, ratingLabel, type TemplateVars } from './templates';
import { renderCustom, validateCustomTemplate } from './custom-templates';

// The customer follow-up e-mails: the survey request with its one-click rating links (kept
// under an admin's own text too), and the pending reminder with the automatic resolution's
// date (Jalali and right-to-left in Persian).

const LINK = 'https://desk.example.com/portal/tickets/42';
const page = (rating?: string) => `https://desk.example.com/portal/survey?token=abc.def${rating ? `&rating=${rating}` : ''}`;
const base: TemplateVars = { ticketNumber: 'HD-2026-000042', subject: 'Printer <on> fire', recipientName: 'Sara', link: LINK };
const survey = (locale: 'en' | 'fa', ratings: ('good' | 'bad' | 1 | 2 | 3 | 4 | 5)[]) => ({
  pageUrl: page(),
  choices: ratings.map((r) => ({ label: ratingLabel(locale, r), url: page(String(r)) })),
});

describe('survey_request', () => {
  it('carries one link per rating, in the text and as escaped HTML links', () => {
    const mail = renderEmail('survey_request', 'en', { ...base, survey: survey('en', ['good', 'bad']) });
    expect(mail.subject).toBe('[HD-2026-000042] How did we do? Printer <on> fire');
    expect(mail.text).toContain(`Good, I am satisfied: ${page('good')}`);
    expect(mail.text).toContain(`Bad, I am not satisfied: ${page('bad')}`);
    expect(mail.html).toContain(`<a href="${page('good').replace('&', '&amp;')}" style="font-weight:bold">Good, I am satisfied</a>`);
    expect(mail.html).toContain('Printer &lt;on&gt; fire');
    expect(mail.html).not.toContain('<on>');
  });

  it('in Persian: right to left, Persian labels for 1 … 5', () => {
    const mail = renderEmail('survey_request', 'fa', { ...base, survey: survey('fa', [1, 2, 3, 4, 5]) });
    expect(mail.html).toContain('<html lang="fa" dir="rtl">');
    expect(mail.subject).toContain('از پشتیبانی ما راضی بودید؟');
    for (const [r, label] of [
      [1, '۱ – خیلی بد'],
      [5, '۵ – عالی'],
    ] as const)
      expect(mail.text).toContain(`${label}: ${page(String(r))}`);
  });

  it("keeps the rating links under an admin's own text, which may use survey.link", async () => {
    const tpl = { subject: 'Rate {{ ticket.number }}', body: 'Dear {{ recipient.name }},\n\nTell us: {{ survey.link }}' };
    expect(await validateCustomTemplate(tpl)).toEqual([]);
    const mail = await renderCustom(tpl, 'en', { ...base, survey: survey('en', ['good', 'bad']) }, '', '');
    expect(mail.subject).toBe('Rate HD-2026-000042');
    expect(mail.text).toContain(`Tell us: ${page()}`);
    expect(mail.text).toContain(`Good, I am satisfied: ${page('good')}`);
    expect(mail.html).toContain('Bad, I am not satisfied</a>');
  });
});

describe('pending_reminder', () => {
  const resolveAt = new Date('2026-11-21T10:30:00Z'); // 30 Aban 1405

  it('names the date the ticket resolves itself, or leaves it out when it does not', () => {
    const mail = renderEmail('pending_reminder', 'en', { ...base, reminder: { count: 1, resolveAt } });
    expect(mail.subject).toBe('[HD-2026-000042] Waiting for your reply: Printer <on> fire');
    expect(mail.text).toMatch(/If we do not hear from you by 21 Nov 2026, 10:30, we will consider the request solved\./);
    const without = renderEmail('pending_reminder', 'en', { ...base, reminder: { count: 2, resolveAt: null } });
    expect(without.text).not.toContain('consider the request solved');
  });

  it('in Persian: the Jalali date with Persian digits, right to left', () => {
    const mail = renderEmail('pending_reminder', 'fa', { ...base, reminder: { count: 1, resolveAt } });
    expect(mail.html).toContain('dir="rtl"');
    expect(mail.text).toContain('۳۰ آبان ۱۴۰۵');
    expect(mail.text).toContain('درخواست حل‌شده در نظر گرفته می‌شود');
  });

  it('an admin text may use reminder.count and reminder.resolve_at', async () => {
    const tpl = { subject: 'Reminder {{ reminder.count }}', body: 'We close it on {{ reminder.resolve_at }}.' };
    expect(await validateCustomTemplate(tpl)).toEqual([]);
    const mail = await renderCustom(tpl, 'fa', { ...base, reminder: { count: 2, resolveAt } }, '', '');
    expect(mail.subject).toBe('Reminder 2');
    expect(mail.text).toContain('۳۰ آبان ۱۴۰۵');
  });
});
