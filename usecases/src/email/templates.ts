import type { AnyEmailTemplate } from '@mehrdesk/workflows/activity-contracts';
import { escapeHtml, type Locale } from '@mehrdesk/core/domain';

// Notification e-mails in English and Persian. Variables are escaped for HTML; Persian mail is
// laid out right-to-left and shows dates in the Persian (Jalali) calendar.

export interface TemplateVars {
  ticketNumber: string;
  subject: string;
  recipientName: string;
  actorName?: string;
  body?: string;
  clock?: string;
  dueAt?: Date | null;
  link: string;
  timeZone?: string;
  /** survey_request: the one-click rating links (good / bad, or 1 … 5) and the survey page. */
  survey?: { pageUrl: string; choices: EmailAction[] };
  /** pending_reminder: which reminder this is, and when the ticket resolves itself unless answered. */
  reminder?: { count: number; resolveAt: Date | null };
}

/** A link shown as its own line under the text (the survey's rating links). */
export interface EmailAction {
  label: string;
  url: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function formatDate(d: Date | null | undefined, locale: Locale, timeZone = 'UTC'): string {
  if (!d) return '';
  const tag = locale === 'fa' ? 'fa-IR-u-ca-persian' : 'en-GB';
  return new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

type Strings = { subject: string; lines: string[] };
type Catalogue = Record<AnyEmailTemplate, (v: TemplateVars, date: string) => Strings>;

const CLOCK = {
  en: { first_response: 'first response', resolution: 'resolution' },
  fa: { first_response: 'اولین پاسخ', resolution: 'حل مشکل' },
} as const;
const clockName = (locale: Locale, c?: string) => (c && Object.hasOwn(CLOCK[locale], c) ? CLOCK[locale][c as keyof (typeof CLOCK)['en']] : (c ?? ''));

const en: Catalogue = {
  ticket_created: (v) => ({
    subject: `[${v.ticketNumber}] We received your request: ${v.subject}`,
    lines: [`Hello ${v.recipientName},`, `Your request "${v.subject}" has been received as ${v.ticketNumber}. We will get back to you soon.`],
  }),
  ticket_assigned: (v) => ({ subject: `[${v.ticketNumber}] Assigned to you: ${v.subject}`, lines: [`Hello ${v.recipientName},`, `Ticket ${v.ticketNumber} "${v.subject}" has been assigned to you.`] }),
  agent_reply: (v) => ({ subject: `Re: [${v.ticketNumber}] ${v.subject}`, lines: [`${v.actorName ?? 'Support'} replied:`, v.body ?? ''] }),
  customer_reply: (v) => ({ subject: `[${v.ticketNumber}] Customer replied: ${v.subject}`, lines: [`${v.actorName ?? 'The customer'} wrote:`, v.body ?? ''] }),
  sla_warning: (v, d) => ({
    subject: `[${v.ticketNumber}] SLA warning: ${clockName('en', v.clock)}${d ? ` due ${d}` : ''}`,
    lines: [`The ${clockName('en', v.clock)} target of ${v.ticketNumber} "${v.subject}" ${d ? `is due at ${d}` : 'is close to its deadline'}.`],
  }),
  sla_breach: (v, d) => ({
    subject: `[${v.ticketNumber}] SLA breached: ${clockName('en', v.clock)}`,
    lines: [`The ${clockName('en', v.clock)} target of ${v.ticketNumber} "${v.subject}" was breached (due ${d}).`],
  }),
  ticket_closed: (v) => ({ subject: `[${v.ticketNumber}] Closed: ${v.subject}`, lines: [`Hello ${v.recipientName},`, `Your request ${v.ticketNumber} has been closed. Reply to open a new request.`] }),
  survey_request: (v) => ({
    subject: `[${v.ticketNumber}] How did we do? ${v.subject}`,
    lines: [
      `Hello ${v.recipientName},`,
      `Your request ${v.ticketNumber} "${v.subject}" has been resolved. How satisfied are you with the support you received?`,
      'Choose a rating below; you can add a comment on the next page.',
    ],
  }),
  pending_reminder: (v) => {
    const by = formatDate(v.reminder?.resolveAt, 'en', v.timeZone);
    return {
      subject: `[${v.ticketNumber}] Waiting for your reply: ${v.subject}`,
      lines: [
        `Hello ${v.recipientName},`,
        `We need your answer on ${v.ticketNumber} "${v.subject}" to carry on.`,
        ...(by ? [`If we do not hear from you by ${by}, we will consider the request solved.`] : []),
        'Reply to this e-mail or open the ticket.',
      ],
    };
  },
};

const fa: Catalogue = {
  ticket_created: (v) => ({
    subject: `[${v.ticketNumber}] درخواست شما دریافت شد: ${v.subject}`,
    lines: [`${v.recipientName} گرامی،`, `درخواست «${v.subject}» با شمارهٔ ${v.ticketNumber} ثبت شد. به‌زودی پاسخ می‌دهیم.`],
  }),
  ticket_assigned: (v) => ({ subject: `[${v.ticketNumber}] به شما واگذار شد: ${v.subject}`, lines: [`${v.recipientName} گرامی،`, `تیکت ${v.ticketNumber} «${v.subject}» به شما واگذار شد.`] }),
  agent_reply: (v) => ({ subject: `پاسخ: [${v.ticketNumber}] ${v.subject}`, lines: [`${v.actorName ?? 'پشتیبانی'} پاسخ داد:`, v.body ?? ''] }),
  customer_reply: (v) => ({ subject: `[${v.ticketNumber}] پاسخ مشتری: ${v.subject}`, lines: [`${v.actorName ?? 'مشتری'} نوشت:`, v.body ?? ''] }),
  sla_warning: (v, d) => ({
    subject: `[${v.ticketNumber}] هشدار SLA: ${clockName('fa', v.clock)}${d ? ` تا ${d}` : ''}`,
    lines: [`مهلت ${clockName('fa', v.clock)} تیکت ${v.ticketNumber} «${v.subject}» ${d ? `در ${d} به پایان می‌رسد` : 'رو به پایان است'}.`],
  }),
  sla_breach: (v, d) => ({ subject: `[${v.ticketNumber}] نقض SLA: ${clockName('fa', v.clock)}`, lines: [`مهلت ${clockName('fa', v.clock)} تیکت ${v.ticketNumber} «${v.subject}» گذشت (مهلت: ${d}).`] }),
  ticket_closed: (v) => ({ subject: `[${v.ticketNumber}] بسته شد: ${v.subject}`, lines: [`${v.recipientName} گرامی،`, `درخواست ${v.ticketNumber} بسته شد. برای درخواست تازه پاسخ دهید.`] }),
  survey_request: (v) => ({
    subject: `[${v.ticketNumber}] از پشتیبانی ما راضی بودید؟ ${v.subject}`,
    lines: [
      `${v.recipientName} گرامی،`,
      `درخواست ${v.ticketNumber} «${v.subject}» حل شد. از پشتیبانی‌ای که دریافت کردید چقدر راضی هستید؟`,
      'یکی از گزینه‌های زیر را انتخاب کنید؛ در صفحهٔ بعد می‌توانید نظرتان را هم بنویسید.',
    ],
  }),
  pending_reminder: (v) => {
    const by = formatDate(v.reminder?.resolveAt, 'fa', v.timeZone);
    return {
      subject: `[${v.ticketNumber}] منتظر پاسخ شما هستیم: ${v.subject}`,
      lines: [
        `${v.recipientName} گرامی،`,
        `برای ادامهٔ رسیدگی به درخواست ${v.ticketNumber} «${v.subject}» به پاسخ شما نیاز داریم.`,
        ...(by ? [`اگر تا ${by} پاسخی دریافت نکنیم، درخواست حل‌شده در نظر گرفته می‌شود.`] : []),
        'به همین ایمیل پاسخ دهید یا تیکت را باز کنید.',
      ],
    };
  },
};

const RATING_LABELS = {
  en: { good: 'Good, I am satisfied', bad: 'Bad, I am not satisfied', 1: '1 – Very poor', 2: '2 – Poor', 3: '3 – Fair', 4: '4 – Good', 5: '5 – Excellent' },
  fa: { good: 'خوب، راضی هستم', bad: 'بد، راضی نیستم', 1: '۱ – خیلی بد', 2: '۲ – بد', 3: '۳ – متوسط', 4: '۴ – خوب', 5: '۵ – عالی' },
} as const;

/** The label of a rating link in the recipient's language. */
export const ratingLabel = (locale: Locale, rating: keyof (typeof RATING_LABELS)['en']): string => RATING_LABELS[locale][rating];

export function renderEmail(template: AnyEmailTemplate, locale: Locale, vars: TemplateVars): RenderedEmail {
  const date = formatDate(vars.dueAt, locale, vars.timeZone);
  const { subject, lines } = (locale === 'fa' ? fa : en)[template](vars, date);
  return wrapEmail(locale, subject, lines, vars.link, undefined, vars.survey?.choices ?? []);
}

/** Localised values custom (admin-edited) templates get for the reminder variables. */
export function reminderVariables(locale: Locale, vars: TemplateVars): { count: number; resolveAt: string } {
  return { count: vars.reminder?.count ?? 0, resolveAt: formatDate(vars.reminder?.resolveAt, locale, vars.timeZone) };
}

/** Localised values custom (admin-edited) templates get for the SLA variables. */
export function slaVariables(locale: Locale, vars: TemplateVars): { clockName: string; due: string } {
  return { clockName: clockName(locale, vars.clock), due: formatDate(vars.dueAt, locale, vars.timeZone) };
}

/**
 * Text lines → the text part and an escaped HTML part (right-to-left for Persian). `actions`
 * (the survey's rating links) follow the text as links of their own, whatever the template
 * says, so an edited text cannot lose them.
 */
export function wrapEmail(locale: Locale, subject: string, lines: string[], link: string, label?: string, actions: EmailAction[] = []): RenderedEmail {
  const vars = { link };
  const linkLabel = label ?? (locale === 'fa' ? 'مشاهدهٔ تیکت' : 'View ticket');
  const dir = locale === 'fa' ? 'rtl' : 'ltr';
  const text = [...lines, ...(actions.length ? ['', ...actions.map((a) => `${a.label}: ${a.url}`)] : []), '', `${linkLabel}: ${vars.link}`].join('\n');
  const paragraphs =
    lines.map((l) => `<p style="margin:0 0 12px;white-space:pre-wrap">${escapeHtml(l)}</p>`).join('') +
    actions.map((a) => `<p style="margin:0 0 8px"><a href="${escapeHtml(a.url)}" style="font-weight:bold">${escapeHtml(a.label)}</a></p>`).join('');
  const html =
    `<!doctype html><html lang="${locale}" dir="${dir}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    `<body dir="${dir}" style="font-family:Tahoma,Arial,sans-serif;text-align:${dir === 'rtl' ? 'right' : 'left'}">` +
    `${paragraphs}<p><a href="${escapeHtml(vars.link)}">${escapeHtml(linkLabel)}</a></p></body></html>`;
  return { subject: subject.replace(/[\r\n]+/g, ' '), text, html };
}
