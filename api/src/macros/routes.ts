import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { IllegalTransitionError, canTransition, type TicketStatus } from '@mehrdesk/core/domain';
import type { TicketFieldChanges } from '@mehrdesk/core/db';
import type { AppDeps } from '../deps';
import { HttpError, conflict, notFound, unprocessable } from '../http/errors';
import { bodyVersion, IdParams, pathId } from '../http/params';
import { defineRoute } from '../http/route';
import { auditChange, without } from '../audit/record';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import { checkFieldReferences } from '@mehrdesk/usecases/tickets/bulk-change';
import { addTicketMessage, applyFieldChanges, type ChangeCtx } from '@mehrdesk/usecases/tickets/change-ticket';
import { FieldChangesBody, TicketDto } from '../tickets/schemas';
import { toTicketDto, visibleTicket } from '../tickets/service';
import { loadTicketRow } from '@mehrdesk/usecases/tickets/ticket-row';

// Macros (T7): canned replies or notes with optional field changes. Admins manage them, staff
// list and apply them; applying adds the text and changes the fields through the ticket's
// workflow, exactly as the agent doing both by hand would.

const MacroBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    body: z.string().min(1).max(100_000).nullable().default(null).describe('HTML reply or note (sanitised); null for a macro that only changes fields'),
    internal: z.boolean().default(false).describe('Add the text as an internal note instead of a public reply'),
    set: FieldChangesBody.optional().describe('Field changes applied after the text'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.body === null && m.set === undefined) ctx.addIssue({ code: 'custom', path: ['body'], message: 'A macro needs a body, field changes (set), or both' });
    if (m.body === null && m.internal) ctx.addIssue({ code: 'custom', path: ['internal'], message: 'An internal note needs a body' });
  })
  .meta({ id: 'MacroRequest' });

const MacroDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    body: z.string().nullable(),
    internal: z.boolean(),
    set: z.record(z.string(), z.unknown()).describe('TicketFieldChanges; {} when the macro changes no field'),
    createdBy: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Macro' });

const ApplyParams = z.object({ id: pathId, macroId: pathId }).strict();
const ApplyBody = z
  .object({ version: bodyVersion.optional().describe('The ticket version you read; a stale one is refused with 409 before anything changes') })
  .strict()
  .meta({ id: 'ApplyMacroRequest' });
const ApplyResultDto = z.object({ ticket: TicketDto, messageId: z.number().int().nullable().describe('The reply or note added; null for a macro without text') }).meta({ id: 'ApplyMacroResult' });

interface MacroRow {
  id: number;
  name: string;
  body_html: string | null;
  internal: boolean;
  changes: TicketFieldChanges;
  created_by_id: number | null;
  created_at: Date;
  updated_at: Date;
}

const toDto = (m: MacroRow): z.infer<typeof MacroDto> => ({
  id: m.id,
  name: m.name,
  body: m.body_html,
  internal: m.internal,
  set: m.changes as Record<string, unknown>,
  createdBy: m.created_by_id,
  createdAt: new Date(m.created_at).toISOString(),
  updatedAt: new Date(m.updated_at).toISOString(),
});

/** A macro as the audit log records it (admins' changes are audited as `macro.*`). */
const audited = (m: MacroRow) => without(toDto(m), 'createdAt', 'updatedAt');

async function loadMacro(em: EntityManager, id: number): Promise<MacroRow> {
  const [m] = await em.execute<MacroRow[]>('select * from macros where id = ?', [id]);
  if (!m) throw notFound(`Macro ${id}`);
  return m;
}

/** Sanitised body and checked references of a macro about to be saved. */
async function prepare(em: EntityManager, body: z.infer<typeof MacroBody>): Promise<{ html: string | null; changes: TicketFieldChanges }> {
  let html: string | null = null;
  if (body.body !== null) {
    const clean = sanitizeRichText(body.body);
    if (!clean.text) throw unprocessable('Body is empty after sanitising', [{ path: 'body.body', message: 'Contains no visible content' }]);
    html = clean.html;
  }
  const changes = body.set ?? {};
  await checkFieldReferences(em, changes, 'body.set');
  return { html, changes };
}

function nameTaken(err: unknown): never {
  if (err instanceof Error && err.message.includes('macros_name_unique'))
    throw new HttpError(409, 'already_exists', 'A macro with this name exists', [{ path: 'body.name', message: 'Already taken' }]);
  throw err;
}

export function macroRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['macros'];

  defineRoute(r, registry, {
    method: 'get',
    path: '/macros',
    summary: 'Macros, by name (staff)',
    tags,
    action: 'ticket.update',
    response: z.object({ items: z.array(MacroDto) }),
    handler: async ({ em }) => ({ items: (await em.execute<MacroRow[]>('select * from macros order by name, id')).map(toDto) }),
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/macros/:id',
    summary: 'One macro (staff)',
    tags,
    action: 'ticket.update',
    params: IdParams,
    response: MacroDto,
    errors: [404],
    handler: async ({ em, params }) => toDto(await loadMacro(em, params.id)),
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/macros',
    summary: 'Create a macro (admins)',
    tags,
    action: 'admin.manage',
    body: MacroBody,
    status: 201,
    response: MacroDto,
    errors: [409, 422],
    handler: async ({ em, req, body, user }) => {
      const { html, changes } = await prepare(em, body);
      const m = await em
        .transactional(async (tx) => {
          const [row] = await tx.execute<MacroRow[]>(
            `insert into macros (name, body_html, internal, changes, created_by_id, created_at, updated_at)
             values (?, ?, ?, ?::jsonb, ?, now(), now()) returning *`,
            [body.name, html, body.internal, JSON.stringify(changes), user.id],
          );
          await auditChange(tx, req, { action: 'macro.created', targetType: 'macro', targetId: row!.id, after: audited(row!) });
          return row!;
        })
        .catch(nameTaken);
      return toDto(m);
    },
  });

  defineRoute(r, registry, {
    method: 'put',
    path: '/macros/:id',
    summary: 'Replace a macro (admins)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: MacroBody,
    response: MacroDto,
    errors: [404, 409, 422],
    handler: async ({ em, req, params, body }) => {
      const before = await loadMacro(em, params.id);
      const { html, changes } = await prepare(em, body);
      const m = await em
        .transactional(async (tx) => {
          const [row] = await tx.execute<MacroRow[]>('update macros set name = ?, body_html = ?, internal = ?, changes = ?::jsonb, updated_at = now() where id = ? returning *', [
            body.name,
            html,
            body.internal,
            JSON.stringify(changes),
            params.id,
          ]);
          if (!row) throw notFound(`Macro ${params.id}`);
          await auditChange(tx, req, { action: 'macro.updated', targetType: 'macro', targetId: params.id, before: audited(before), after: audited(row) });
          return row;
        })
        .catch(nameTaken);
      return toDto(m);
    },
  });

  defineRoute(r, registry, {
    method: 'delete',
    path: '/macros/:id',
    summary: 'Delete a macro (admins)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    status: 204,
    errors: [404],
    handler: async ({ em, req, params }) => {
      await em.transactional(async (tx) => {
        const gone = await tx.execute<MacroRow[]>('delete from macros where id = ? returning *', [params.id]);
        if (gone.length === 0) throw notFound(`Macro ${params.id}`);
        await auditChange(tx, req, { action: 'macro.deleted', targetType: 'macro', targetId: params.id, before: audited(gone[0]!) });
      });
      return undefined;
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/macros/:macroId/apply',
    summary: 'Apply a macro: add its reply or note, then its field changes, through the ticket workflow',
    tags: ['tickets'],
    action: 'ticket.update',
    params: ApplyParams,
    body: ApplyBody,
    response: ApplyResultDto,
    errors: [404, 409, 422, 503],
    handler: async ({ em, params, body, user, requestId }) => {
      const macro = await loadMacro(em, params.macroId);
      const row = await visibleTicket(em, user, params.id);
      if (body.version !== undefined && body.version !== row.version)
        throw conflict('version_conflict', `Ticket ${row.number} was changed meanwhile: version ${body.version} is stale, current is ${row.version}`);
      const set = macro.changes ?? {};
      const changes = Object.values(set).some((v) => v !== undefined);
      await checkFieldReferences(em, set, 'macro.set');
      // Refuse an impossible status before the text is added, judging from the status the
      // reply itself leads to (an agent's first public reply opens a new ticket).
      if (set.status) {
        const from: TicketStatus = macro.body_html && !macro.internal && row.status === 'new' ? 'open' : row.status;
        if (set.status !== from && !canTransition(from, set.status)) throw conflict('illegal_transition', new IllegalTransitionError(from, set.status).message);
      }
      const ctx: ChangeCtx = { em, user, requestId };
      const messageId = macro.body_html ? await addTicketMessage(deps, ctx, row, { body: macro.body_html, internal: macro.internal, idempotencyKey: `macro:${macro.id}:${randomUUID()}` }) : null;
      const after = changes ? await applyFieldChanges(deps, ctx, row.id, set) : (await loadTicketRow(em, row.id))!;
      return { ticket: toTicketDto(after, deps.config.TEMPORAL_UI_URL, deps.config.TEMPORAL_NAMESPACE), messageId };
    },
  });

  return r;
}
