import { Liquid } from 'liquidjs';
import type { Locale } from '@mehrdesk/core/domain';
import { EDITABLE_EMAIL_TEMPLATES, type AnyEmailTemplate } from '@mehrdesk/workflows/activity-contracts';
import { reminderVariables, wrapEmail, type RenderedEmail, type TemplateVars } from './templates';

// Admin-edited notification texts (C1). Admins write a Liquid subject and a plain-text body;
// the HTML part is generated from the body (escaped, paragraphs, right-to-left for Persian), so
// an edited template can never inject markup. Unknown variables or filters are errors at save
// time, never a half-rendered e-mail later.

export const TEMPLATE_KEYS: readonly AnyEmailTemplate[] = EDITABLE_EMAIL_TEMPLATES;

/** The variables a template may use (documented in the API and used for previews). */
export const SAMPLE_VARIABLES = {
  ticket: { number: 'TKT-2026-000123', subject: 'Printer on fire', link: 'https://support.example.com/tickets/123' },
  recipient: { name: 'Cyrus Customer' },
  actor: { name: 'Arash Agent' },
  message: { body: 'We are on it.' },
  sla: { clock: 'first response', due: '21 Nov 2026, 14:00' },
  /** survey_request: the survey page (the rating links are added under the text in any case). */
  survey: { link: 'https://support.example.com/portal/survey?token=…' },
  /** pending_reminder: 1 or 2, and when the ticket resolves itself (empty when it does not). */
  reminder: { count: 1, resolve_at: '24 Nov 2026, 14:00' },
};

const engine = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true, cache: 200 });

export interface CustomTemplate {
  subject: string;
  body: string;
}

export interface TemplateProblem {
  field: 'subject' | 'body';
  message: string;
}

/** Parse and render against the sample variables: any syntax error or unknown name is reported. */
export async function validateCustomTemplate(t: CustomTemplate): Promise<TemplateProblem[]> {
  const problems: TemplateProblem[] = [];
  for (const field of ['subject', 'body'] as const) {
    try {
      await engine.parseAndRender(t[field], SAMPLE_VARIABLES);
    } catch (err) {
      problems.push({ field, message: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
    }
  }
  return problems;
}

function variablesOf(vars: TemplateVars, clockName: string, due: string, reminder: { count: number; resolveAt: string }) {
  return {
    ticket: { number: vars.ticketNumber, subject: vars.subject, link: vars.link },
    recipient: { name: vars.recipientName },
    actor: { name: vars.actorName ?? '' },
    message: { body: vars.body ?? '' },
    sla: { clock: clockName, due },
    survey: { link: vars.survey?.pageUrl ?? '' },
    reminder: { count: reminder.count, resolve_at: reminder.resolveAt },
  };
}

export async function renderCustom(t: CustomTemplate, locale: Locale, vars: TemplateVars, clockName: string, due: string): Promise<RenderedEmail> {
  const v = variablesOf(vars, clockName, due, reminderVariables(locale, vars));
  const subject = (await engine.parseAndRender(t.subject, v)).replace(/[\r\n]+/g, ' ').trim();
  const body: string = await engine.parseAndRender(t.body, v);
  return wrapEmail(
    locale,
    subject,
    body
      .split(/\n{2,}/)
      .map((p: string) => p.trim())
      .filter(Boolean),
    vars.link,
    undefined,
    vars.survey?.choices ?? [],
  );
}

export function isTemplateKey(key: string): key is AnyEmailTemplate {
  return (TEMPLATE_KEYS as readonly string[]).includes(key);
}
