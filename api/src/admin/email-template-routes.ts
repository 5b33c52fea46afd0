import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { LOCALES } from '@mehrdesk/core/domain';
import { SAMPLE_VARIABLES, TEMPLATE_KEYS, TemplateRenderError, renderCustom, validateCustomTemplate } from '@mehrdesk/usecases/email/custom-templates';
import { renderEmail, slaVariables, type TemplateVars } from '@mehrdesk/usecases/email/templates';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { auditChange } from '../audit/record';

// Notification templates per event and language (C1): built-in texts, replaceable by admins
// with Liquid templates that are validated at save and can be previewed in both languages.
// Saving and reverting are audited (`email_template.*`, target `<key>/<locale>`) with the text
// before and after (null: the built-in text).

const KeyParams = z.object({ key: z.enum(TEMPLATE_KEYS as [string, ...string[]]), locale: z.enum(LOCALES) }).strict();
const TemplateBody = z
  .object({
    subject: z.string().trim().min(1).max(500),
    body: z.string().trim().min(1).max(20_000).describe('Plain text with Liquid variables; blank lines separate paragraphs'),
  })
  .strict()
  .meta({ id: 'EmailTemplateRequest' });
const TemplateDto = z
  .object({ key: z.string(), locale: z.enum(LOCALES), custom: z.boolean(), subject: z.string().nullable(), body: z.string().nullable(), updatedAt: z.string().nullable() })
  .meta({ id: 'EmailTemplate' });
const PreviewDto = z.object({ subject: z.string(), text: z.string(), html: z.string(), variables: z.record(z.string(), z.unknown()) }).meta({ id: 'EmailPreview' });

const SAMPLE: TemplateVars = {
  ticketNumber: SAMPLE_VARIABLES.ticket.number,
  subject: SAMPLE_VARIABLES.ticket.subject,
  recipientName: SAMPLE_VARIABLES.recipient.name,
  actorName: SAMPLE_VARIABLES.actor.name,
  body: SAMPLE_VARIABLES.message.body,
  clock: 'first_response',
  dueAt: new Date('2026-11-21T14:00:00Z'),
  link: SAMPLE_VARIABLES.ticket.link,
};

interface Row {
  key: string;
  locale: 'en' | 'fa';
  subject: string;
  body: string;
  updated_at: Date;
}

export function emailTemplateRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: e-mail templates'];

  async function checked(body: z.infer<typeof TemplateBody>) {
    const problems = await validateCustomTemplate(body);
    if (problems.length)
      throw badRequest(
        'Invalid template',
        problems.map((p) => ({ path: `body.${p.field}`, message: p.message })),
      );
  }

  /** Renders a validated draft; a limit it breaks only this time (the time limit on a busy machine) is still the template's fault. */
  async function previewed(draft: { subject: string; body: string }, locale: (typeof LOCALES)[number], sla: { clockName: string; due: string }) {
    try {
      return await renderCustom(draft, locale, SAMPLE, sla.clockName, sla.due);
    } catch (err) {
      if (err instanceof TemplateRenderError) throw badRequest('Invalid template', [{ path: `body.${err.field}`, message: err.reason }]);
      throw err;
    }
  }

  defineRoute(r, registry, {
    method: 'get',
    path: '/email-templates',
    summary: 'Every notification template in every language (custom or built-in)',
    tags,
    action: 'admin.manage',
    response: z.object({ items: z.array(TemplateDto), variables: z.record(z.string(), z.unknown()) }),
    handler: async ({ em }) => {
      const rows = await em.execute<Row[]>('select key, locale, subject, body, updated_at from email_templates');
      const items = TEMPLATE_KEYS.flatMap((key) =>
        LOCALES.map((locale) => {
          const c = rows.find((x) => x.key === key && x.locale === locale);
          return { key, locale, custom: !!c, subject: c?.subject ?? null, body: c?.body ?? null, updatedAt: c ? new Date(c.updated_at).toISOString() : null };
        }),
      );
      return { items, variables: SAMPLE_VARIABLES };
    },
  });
  defineRoute(r, registry, {
    method: 'put',
    path: '/email-templates/:key/:locale',
    summary: 'Replace the text of one template (validated: syntax, variables, filters)',
    tags,
    action: 'admin.manage',
    params: KeyParams,
    body: TemplateBody,
    response: TemplateDto,
    handler: async ({ em, req, params, body, user }) => {
      await checked(body);
      const row = await em.transactional(async (tx) => {
        const [before] = await tx.execute<Row[]>('select subject, body from email_templates where key = ? and locale = ? for update', [params.key, params.locale]);
        await tx.execute(
          `insert into email_templates (key, locale, subject, body, updated_by, updated_at) values (?, ?, ?, ?, ?, now())
           on conflict (key, locale) do update set subject = excluded.subject, body = excluded.body, updated_by = excluded.updated_by, updated_at = now()`,
          [params.key, params.locale, body.subject, body.body, user.id],
        );
        const [after] = await tx.execute<Row[]>('select key, locale, subject, body, updated_at from email_templates where key = ? and locale = ?', [params.key, params.locale]);
        await auditChange(tx, req, {
          action: 'email_template.updated',
          targetType: 'email_template',
          targetId: `${params.key}/${params.locale}`,
          before: before ? { subject: before.subject, body: before.body } : null,
          after: { subject: after!.subject, body: after!.body },
        });
        return after;
      });
      return { key: row!.key, locale: row!.locale, custom: true, subject: row!.subject, body: row!.body, updatedAt: new Date(row!.updated_at).toISOString() };
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/email-templates/:key/:locale',
    summary: 'Go back to the built-in text',
    tags,
    action: 'admin.manage',
    params: KeyParams,
    status: 204,
    errors: [404],
    handler: async ({ em, req, params }) => {
      await em.transactional(async (tx) => {
        const rows = await tx.execute<Row[]>('delete from email_templates where key = ? and locale = ? returning subject, body', [params.key, params.locale]);
        if (rows.length === 0) throw notFound(`Custom template ${params.key}/${params.locale}`);
        await auditChange(tx, req, {
          action: 'email_template.reverted',
          targetType: 'email_template',
          targetId: `${params.key}/${params.locale}`,
          before: { subject: rows[0]!.subject, body: rows[0]!.body },
        });
      });
      return undefined;
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/email-templates/:key/:locale/preview',
    summary: 'Render a draft (or the current text) with sample values',
    tags,
    action: 'admin.manage',
    params: KeyParams,
    body: TemplateBody.partial().strict(),
    response: PreviewDto,
    handler: async ({ em, params, body }) => {
      const [saved] = await em.execute<Row[]>('select subject, body from email_templates where key = ? and locale = ?', [params.key, params.locale]);
      const draft = body.subject || body.body ? { subject: body.subject ?? saved?.subject ?? '', body: body.body ?? saved?.body ?? '' } : (saved ?? null);
      if (draft) await checked(draft);
      const sla = slaVariables(params.locale, SAMPLE);
      const out = draft ? await previewed(draft, params.locale, sla) : renderEmail(params.key as never, params.locale, SAMPLE);
      return { ...out, variables: SAMPLE_VARIABLES };
    },
  });
  return r;
}
