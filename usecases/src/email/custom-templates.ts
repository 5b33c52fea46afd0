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

/**
 * Limits of one render, the same when an admin saves or previews a template and when the worker
 * sends it: liquidjs renders on the event loop, so without them `{% for i in (1..1000) %}{% for j
 * in (1..1000) %}` held the API for ~2 s. Real templates render in well under a millisecond.
 */
export const TEMPLATE_LIMITS = {
  /** Rendering time of the subject, and again of the body (liquidjs checks it between nodes, so loops stop). */
  renderMs: 20,
  /** liquidjs "memory": sizes of ranges and of the strings and arrays filters build. */
  memory: 1_000_000,
  /** Characters parsed in one call (the API accepts 500 + 20,000). */
  parse: 50_000,
  /** Rendered subject: email_log.subject and an RFC 5322 line hold 998. */
  subjectChars: 998,
  /** Rendered body: room for a quoted message (at most 100,000) and then some. */
  bodyChars: 250_000,
} as const;

const engine = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  cache: 200,
  parseLimit: TEMPLATE_LIMITS.parse,
  renderLimit: TEMPLATE_LIMITS.renderMs,
  memoryLimit: TEMPLATE_LIMITS.memory,
});

export interface CustomTemplate {
  subject: string;
  body: string;
}

export interface TemplateProblem {
  field: 'subject' | 'body';
  message: string;
}

/**
 * A custom template that cannot be rendered: a syntax error, an unknown name, or one of
 * TEMPLATE_LIMITS broken. The same template and values fail the same way, so a send that throws
 * it is not worth retrying.
 */
export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
  constructor(
    readonly field: 'subject' | 'body',
    readonly reason: string,
  ) {
    super(`custom e-mail template ${field}: ${reason}`);
  }
}

/** Parse and render against the sample variables: any syntax error, unknown name or broken limit is reported. */
export async function validateCustomTemplate(t: CustomTemplate): Promise<TemplateProblem[]> {
  const problems: TemplateProblem[] = [];
  for (const field of ['subject', 'body'] as const) {
    try {
      await renderField(field, t[field], SAMPLE_VARIABLES);
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) throw err;
      problems.push({ field, message: err.reason });
    }
  }
  return problems;
}

/** Renders one field within TEMPLATE_LIMITS (time and memory: the engine's options; size: here). */
async function renderField(field: 'subject' | 'body', source: string, scope: object): Promise<string> {
  let out: unknown;
  try {
    out = await engine.parseAndRender(source, scope);
  } catch (err) {
    throw new TemplateRenderError(field, liquidReason(err));
  }
  const text = String(out);
  const max = field === 'subject' ? TEMPLATE_LIMITS.subjectChars : TEMPLATE_LIMITS.bodyChars;
  if (text.length > max) throw new TemplateRenderError(field, `renders to ${text.length} characters; at most ${max} are allowed`);
  return text;
}

/** liquidjs's message (first line), with its DoS limits said in words an admin can act on. */
function liquidReason(err: unknown): string {
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  if (message.includes('template render limit exceeded')) return `takes longer than ${TEMPLATE_LIMITS.renderMs} ms to render (are loops too long?)`;
  if (message.includes('memory alloc limit exceeded')) return `builds more than ${TEMPLATE_LIMITS.memory} items or characters while rendering (are loops or ranges too large?)`;
  if (message.includes('parse length limit exceeded')) return `is longer than ${TEMPLATE_LIMITS.parse} characters`;
  return message;
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

/** Renders with the same limits as validation; throws TemplateRenderError when the template cannot be rendered. */
export async function renderCustom(t: CustomTemplate, locale: Locale, vars: TemplateVars, clockName: string, due: string): Promise<RenderedEmail> {
  const v = variablesOf(vars, clockName, due, reminderVariables(locale, vars));
  const subject = (await renderField('subject', t.subject, v)).replace(/[\r\n]+/g, ' ').trim();
  const body = await renderField('body', t.body, v);
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
