import { z } from 'zod';
import { bodyId, bodyVersion, pathId } from '../http/params';
import { instant } from '../http/instant';
import { PRIORITIES, SLA_STATES, SOURCES, STATUSES, MESSAGE_KINDS, MESSAGE_REVIEW_STATUSES } from '@mehrdesk/core/domain';
import { TICKET_SORTS } from './list-order';
import { SatisfactionDto } from '../surveys/schemas';
import { UPLOAD_FILES_CEILING } from '@mehrdesk/core/config';

// Request and response shapes of the ticket endpoints: validators, handler types and OpenAPI
// components at once. Request bodies are strict: an unknown field is an error, not ignored.

const id = pathId;
export const nullableId = bodyId.nullable();
export const tagList = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[\p{L}\p{N}_.:-]{1,64}$/u, 'tags are 1-64 letters, digits, _ . : -'),
  )
  .max(50);

export const TicketIdParams = z.object({ id }).strict();

/** Files uploaded first (POST /uploads) and attached to the new ticket or message. */
export const attachmentIds = z.array(bodyId).max(UPLOAD_FILES_CEILING).describe('Ids of your pending uploads (POST /uploads) to attach; at most the maxFilesPerMessage of GET /uploads/limits');

export const CreateTicketBody = z
  .object({
    subject: z.string().trim().min(1).max(300),
    body: z.string().min(1).max(100_000).describe('HTML; sanitised before storage'),
    priority: z.enum(PRIORITIES).default('normal'),
    categoryId: bodyId.optional(),
    source: z.enum(SOURCES).optional().describe('Staff only; customers get "portal"'),
    groupId: bodyId.optional().describe('Staff only'),
    assigneeId: bodyId.optional().describe('Staff only; otherwise chosen by the group strategy'),
    requesterId: bodyId.optional().describe('Staff only'),
    requesterEmail: z.string().trim().toLowerCase().email().max(254).optional().describe('Staff only: a guest requester, created as a customer if unknown'),
    requesterName: z.string().trim().min(1).max(200).optional(),
    tags: tagList.optional(),
    attachmentIds: attachmentIds.optional(),
  })
  .strict()
  .meta({ id: 'CreateTicketRequest' });

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().describe('Retrying with the same key returns the same ticket'),
});

export const PatchTicketBody = z
  .object({
    version: bodyVersion.describe('The version you read; a stale one is refused with 409'),
    status: z.enum(STATUSES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    assigneeId: nullableId.optional(),
    groupId: nullableId.optional(),
    tags: tagList.optional().describe('Replaces the whole tag set'),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.priority !== undefined || b.assigneeId !== undefined || b.groupId !== undefined || b.tags !== undefined, {
    message: 'Nothing to change: give at least one of status, priority, assigneeId, groupId, tags',
  })
  .meta({ id: 'PatchTicketRequest' });

const optionalVersion = { version: bodyVersion.optional() };
export const StatusBody = z
  .object({ status: z.enum(STATUSES), ...optionalVersion })
  .strict()
  .meta({ id: 'ChangeStatusRequest' });
export const PriorityBody = z
  .object({ priority: z.enum(PRIORITIES), ...optionalVersion })
  .strict()
  .meta({ id: 'ChangePriorityRequest' });
export const AssigneeBody = z
  .object({ assigneeId: nullableId, ...optionalVersion })
  .strict()
  .meta({ id: 'ChangeAssigneeRequest' });

export const MessageBody = z
  .object({
    body: z.string().min(1).max(100_000).describe('HTML; sanitised before storage'),
    internal: z.boolean().default(false).describe('Internal note, never shown to customers (staff only)'),
    attachmentIds: attachmentIds.optional(),
  })
  .strict()
  .meta({ id: 'AddMessageRequest' });

const csv = <T extends z.ZodType<unknown, string>>(item: T, max = 20) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1).max(max));

export const ListTicketsQuery = z
  .object({
    status: csv(z.enum(STATUSES)).optional(),
    priority: csv(z.enum(PRIORITIES)).optional(),
    slaState: csv(z.enum(SLA_STATES)).optional(),
    groupId: id.optional(),
    assigneeId: z.union([z.literal('me'), z.literal('none'), id]).optional(),
    requesterId: id.optional(),
    tag: z.string().max(64).optional(),
    createdFrom: instant.optional(),
    createdTo: instant.optional(),
    updatedFrom: instant.optional().describe('Changed at or after (e.g. refetch after a live `resync`)'),
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('Words in the subject, number, conversation, requester (and, for staff, internal notes): the same matching as GET /search; at most 1,000 most recently changed matches'),
    ids: csv(id, 100).optional().describe('Only these tickets (comma-separated, at most 100): e.g. to ask whether a changed ticket matches `q`'),
    sort: z.enum(TICKET_SORTS).default('-createdAt').describe('Order; `-` means descending. dueAt is the nearest running SLA deadline (tickets without one last)'),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page (with the same sort)'),
  })
  .strict()
  .meta({ id: 'ListTicketsQuery' });

export const TicketDto = z
  .object({
    id: z.number().int(),
    number: z.string(),
    subject: z.string(),
    bodyHtml: z.string(),
    status: z.enum(STATUSES),
    priority: z.enum(PRIORITIES),
    source: z.enum(SOURCES),
    requester: z.object({ id: z.number().int(), name: z.string(), email: z.string() }),
    organizationId: z.number().int().nullable(),
    categoryId: z.number().int().nullable(),
    groupId: z.number().int().nullable(),
    assigneeId: z.number().int().nullable(),
    tags: z.array(z.string()),
    slaState: z.enum(SLA_STATES),
    firstResponseDueAt: z.string().nullable(),
    resolutionDueAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    firstRespondedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    satisfaction: SatisfactionDto.nullable().describe('The latest satisfaction rating of the ticket (any resolution); null when never rated'),
    version: z.number().int(),
    workflowId: z.string(),
    links: z.object({ temporalUi: z.string() }),
  })
  .meta({ id: 'Ticket' });
export type TicketDtoT = z.infer<typeof TicketDto>;

export const TicketListDto = z.object({ items: z.array(TicketDto), nextCursor: z.string().nullable() }).meta({ id: 'TicketList' });

export const AttachmentDto = z
  .object({ id: z.number().int(), filename: z.string(), contentType: z.string(), size: z.number().int(), url: z.string().describe('GET it with the same token') })
  .meta({ id: 'Attachment' });

export const MessageDto = z
  .object({
    id: z.number().int(),
    ticketId: z.number().int(),
    kind: z.enum(MESSAGE_KINDS),
    channel: z.enum(SOURCES),
    author: z.object({ id: z.number().int(), name: z.string(), role: z.string() }).nullable(),
    bodyHtml: z.string(),
    bodyText: z.string(),
    attachments: z.array(AttachmentDto),
    createdAt: z.string(),
    review: z
      .object({ status: z.enum(MESSAGE_REVIEW_STATUSES), from: z.string() })
      .nullable()
      .describe('Inbound mail from someone not on the ticket, kept as an internal note: held until staff publish (a public reply by `from`) or dismiss it; null otherwise'),
  })
  .meta({ id: 'Message' });

export const PublishHeldBody = z
  .object({ addParticipant: z.boolean().default(false).describe('Also make the sender a participant: their later mail threads as replies') })
  .strict()
  .meta({ id: 'PublishHeldMessageRequest' });

export const HeldMessageParams = z.object({ id, messageId: id }).strict();

export const TimelineEventDto = z
  .object({
    id: z.number().int(),
    type: z.string(),
    actor: z.object({ type: z.string(), id: z.number().int().nullable(), name: z.string().nullable() }),
    field: z.string().nullable(),
    oldValue: z.unknown(),
    newValue: z.unknown(),
    meta: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .meta({ id: 'TimelineEvent' });

export const SlaClockDto = z.object({
  name: z.string(),
  state: z.enum(['running', 'paused', 'met', 'breached']),
  targetSeconds: z.number(),
  dueAt: z.string().nullable(),
  warnAt: z.string().nullable(),
  remainingSeconds: z.number().describe('Business seconds left now; negative when breached'),
  warned: z.boolean(),
  breached: z.boolean(),
  breachedAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  met: z.boolean().nullable(),
});

export const SlaDto = z
  .object({
    ticketId: z.number().int(),
    state: z.enum(SLA_STATES),
    policy: z.object({ id: z.number().int(), name: z.string(), timeZone: z.string() }).nullable(),
    clocks: z.array(SlaClockDto),
    autoCloseAt: z.string().nullable(),
    observedAt: z.string(),
  })
  .meta({ id: 'Sla' });

/** Field changes applied to tickets by bulk actions and macros (through each ticket's workflow). */
export const FieldChangesBody = z
  .object({
    status: z.enum(STATUSES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    assigneeId: nullableId.optional().describe('An agent, or null to unassign'),
    groupId: nullableId.optional(),
    addTags: tagList.min(1).optional(),
    removeTags: tagList.min(1).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (Object.values(b).every((v) => v === undefined)) ctx.addIssue({ code: 'custom', message: 'Nothing to change: give at least one of status, priority, assigneeId, groupId, addTags, removeTags' });
    const added = new Set(b.addTags ?? []);
    for (const [i, t] of (b.removeTags ?? []).entries()) if (added.has(t)) ctx.addIssue({ code: 'custom', path: ['removeTags', i], message: `tag ${t} is both added and removed` });
  })
  .meta({ id: 'TicketFieldChanges' });
