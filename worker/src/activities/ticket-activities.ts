import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Transporter } from 'nodemailer';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { toStorableText, type Locale, type Role, type TicketSource } from '@mehrdesk/core/domain';
import { publishLiveEvent, scopeOf } from '@mehrdesk/core/live-events';
import { chooseAssignee } from '@mehrdesk/core/services/assignment';
import { linkUploads } from '@mehrdesk/core/attachments/uploads';
import {
  EMAIL_TEMPLATES,
  type AnyEmailTemplate,
  type PersistMessageInput,
  type SendTicketEmailInput,
  type SendTicketEmailResult,
  type SendTicketEmailsFailure,
  type SendTicketEmailsInput,
  type TicketActivities,
} from '@mehrdesk/workflows/activity-contracts';
import { renderEmail, slaVariables, type TemplateVars } from '@mehrdesk/usecases/email/templates';
import { messageDomain, outgoingMail } from '../email/mailer';
import { permanentSmtpFailure, recipientProblem, type SmtpFailureType } from '../email/smtp-failures';
import { renderCustom } from '@mehrdesk/usecases/email/custom-templates';
import { applyChangeTx, assigneeLabel, insertTimeline, TicketRowMissing, writeSla } from './ticket-writes';
import { createRuleActivities } from './rule-activities';
import { createFollowupActivities } from './followup-activities';
import { recordActivityFailure } from './failure-record';
import { channelsForUsers, notifyInApp, type InAppNotification } from '../notifications/in-app';
import { magicLinkUrl } from '@mehrdesk/core/services/signed-links';

export interface ActivityDeps {
  orm: MikroORM;
  mailer: Transporter;
  config: Config;
  log: Logger;
}

/** Activity logger carrying the API request id and the workflow it serves. */
function activityLog(deps: ActivityDeps, requestId: string) {
  const info = Context.current().info;
  return deps.log.child({ requestId, workflowId: info.workflowExecution?.workflowId, activity: info.activityType, attempt: info.attempt });
}

export function createTicketActivities(deps: ActivityDeps): TicketActivities {
  const { orm } = deps;
  return {
    async applyTicketChange(input) {
      activityLog(deps, input.requestId).debug({ ticketId: input.ticketId, set: input.set }, 'apply ticket change');
      return orm.em.fork().transactional((em) => applyChangeTx(em, input.ticketId, input.idempotencyKey, input.actor, input));
    },

    async persistMessage(raw) {
      // Updates queued before the entry points refused NUL (tickets frozen by that) are stored now, stripped.
      const input = storableMessage(raw);
      activityLog(deps, input.requestId).debug({ ticketId: input.ticketId, kind: input.kind }, 'persist message');
      return orm.em.fork().transactional(async (em) => {
        const inserted = await em.execute<{ id: number; created_at: Date }[]>(
          `insert into messages (ticket_id, author_id, kind, channel, body_html, body_text, email_message_id, in_reply_to, "references", idempotency_key, review_status, held_from, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, now())
           on conflict (idempotency_key) do nothing returning id, created_at`,
          [
            input.ticketId,
            input.actor.id,
            input.kind,
            input.channel,
            input.bodyHtml,
            input.bodyText,
            input.email?.messageId ?? null,
            input.email?.inReplyTo ?? null,
            JSON.stringify(input.email?.references ?? []),
            input.idempotencyKey,
            input.heldForReview ? 'held' : null,
            input.heldForReview?.from.slice(0, 254) ?? null,
          ],
        );
        if (inserted.length === 0) {
          // A retry of a message that was already stored (with its ticket change, same transaction).
          const [m] = await em.execute<{ id: number; created_at: Date }[]>('select id, created_at from messages where idempotency_key = ?', [input.idempotencyKey]);
          const [t] = await em.execute<{ version: number }[]>('select version from tickets where id = ?', [input.ticketId]);
          return { messageId: m!.id, createdAt: new Date(m!.created_at).toISOString(), version: t!.version, assigneeLabel: await assigneeLabel(em, input.ticketId) };
        }
        const msg = inserted[0]!;
        await insertTimeline(em, input.ticketId, input.idempotencyKey, input.actor, [
          input.heldForReview
            ? { type: 'message.held', field: null, from: null, to: { messageId: msg.id }, meta: { kind: input.kind, channel: input.channel, from: input.heldForReview.from } }
            : {
                type: input.kind === 'internal' ? 'message.note_added' : 'message.reply_added',
                field: null,
                from: null,
                to: { messageId: msg.id },
                meta: { kind: input.kind, channel: input.channel },
              },
        ]);
        await linkAttachments(em, input, msg.id);
        let result = { version: 0, assigneeLabel: '' };
        if (input.change) result = await applyChangeTx(em, input.ticketId, `${input.idempotencyKey}:change`, input.actor, input.change);
        else {
          const [t] = await em.execute<{ version: number }[]>('update tickets set updated_at = now() where id = ? returning version', [input.ticketId]);
          if (!t) throw new TicketRowMissing(`ticket ${input.ticketId} does not exist`);
          result = { version: t.version, assigneeLabel: await assigneeLabel(em, input.ticketId) };
        }
        await announceMessage(em, input, msg.id);
        return { messageId: msg.id, createdAt: new Date(msg.created_at).toISOString(), ...result };
      });
    },

    async recordSla(input) {
      activityLog(deps, input.requestId).info({ ticketId: input.ticketId, state: input.sla.slaState, events: input.sla.events.map((e) => `${e.clock}:${e.type}`) }, 'sla recorded');
      await orm.em.fork().transactional((em) => writeSla(em, input.ticketId, input.idempotencyKey, input.sla));
    },

    async pickAssignee(input) {
      return orm.em.fork().transactional((em) => chooseAssignee(em, input.groupId, { exclude: input.excludeUserIds }));
    },

    async escalationGroupOf({ groupId }) {
      const [row] = await orm.em.fork().execute<{ escalation_group_id: number | null }[]>('select escalation_group_id from groups where id = ?', [groupId]);
      return row?.escalation_group_id ?? null;
    },

    async markWorkflowStarted({ ticketId }) {
      await orm.em.fork().execute('update tickets set workflow_started_at = coalesce(workflow_started_at, now()) where id = ?', [ticketId]);
    },

    sendTicketEmail: (input) => sendTicketEmail(deps, input),
    sendTicketEmails: (input) => sendTicketEmails(deps, input),
    recordActivityFailure: (input) => recordActivityFailure(deps, input),
    ...createRuleActivities(deps),
    ...createFollowupActivities(deps, deliverOnce),
  };
}

function storableMessage(input: PersistMessageInput): PersistMessageInput {
  const email = input.email && {
    messageId: input.email.messageId === null ? null : toStorableText(input.email.messageId),
    inReplyTo: input.email.inReplyTo === null ? null : toStorableText(input.email.inReplyTo),
    references: input.email.references.map(toStorableText),
  };
  return { ...input, bodyHtml: toStorableText(input.bodyHtml), bodyText: toStorableText(input.bodyText), ...(email ? { email } : {}) };
}

/**
 * The author's pending uploads become the message's attachments, in its transaction. The API
 * checked them; should one have been used or swept since, nothing is stored and the author is
 * told (no retry can bring it back).
 */
async function linkAttachments(em: EntityManager, input: PersistMessageInput, messageId: number) {
  const ids = input.attachmentIds ?? [];
  if (ids.length === 0) return;
  const linked = input.actor.id === null ? 0 : await linkUploads(em, { ids, ownerId: input.actor.id, ticketId: input.ticketId, messageId });
  if (linked !== ids.length)
    throw ApplicationFailure.create({
      type: 'AttachmentsUnavailable',
      message: `persistMessage: ${ids.length - linked} of ${ids.length} attachments are no longer pending uploads of the author; upload them again`,
      nonRetryable: true,
      details: [{ activity: 'persistMessage' }],
    });
}

/** message.added for live consoles: ids and kind only (customers are sent public ones only). */
async function announceMessage(em: EntityManager, input: PersistMessageInput, messageId: number) {
  const [t] = await em.execute<{ requester_id: number; group_id: number | null; assignee_id: number | null }[]>('select requester_id, group_id, assignee_id from tickets where id = ?', [
    input.ticketId,
  ]);
  await publishLiveEvent(em, {
    type: 'message.added',
    ticketId: input.ticketId,
    messageId,
    kind: input.kind,
    channel: input.channel as TicketSource,
    authorId: input.actor.id,
    scope: scopeOf(t!),
    at: new Date().toISOString(),
  });
}

export interface EmailContext {
  number: string;
  subject: string;
  requester_id: number;
  assignee_id: number | null;
  group_id: number | null;
  first_response_due_at: Date | null;
  resolution_due_at: Date | null;
}

export interface Recipient {
  /** Null for a bare address (a rule's "send to address"): it has no preferences or in-app centre. */
  id: number | null;
  role: Role | null;
  email: string;
  name: string;
  locale: Locale;
}

async function recipientsOf(em: ReturnType<MikroORM['em']['fork']>, t: EmailContext, to: SendTicketEmailInput['to']): Promise<Recipient[]> {
  if (typeof to === 'object') return [{ id: null, role: null, email: to.address, name: to.address, locale: 'en' }];
  if (to === 'group') {
    if (t.group_id === null) return [];
    return em.execute<Recipient[]>(`select u.id, u.role, u.email, u.name, u.locale from group_members gm join users u on u.id = gm.user_id where gm.group_id = ? and u.active order by u.id`, [
      t.group_id,
    ]);
  }
  let userId: number | null = null;
  if (to === 'requester') userId = t.requester_id;
  if (to === 'assignee') userId = t.assignee_id;
  if (to === 'supervisor' && t.group_id !== null) {
    const [g] = await em.execute<{ supervisor_id: number | null }[]>('select supervisor_id from groups where id = ?', [t.group_id]);
    userId = g?.supervisor_id ?? null;
  }
  if (userId === null) return [];
  return em.execute<Recipient[]>('select id, role, email, name, locale from users where id = ? and active', [userId]);
}

/**
 * Where an e-mail's link leads: customers get a single-use sign-in link to the ticket in the
 * portal (it expires; a used one sends them to sign in), staff the ticket in the console.
 */
function ticketLink(config: Config, to: Recipient, ticketId: number): string {
  if (to.id !== null && to.role === 'customer') return magicLinkUrl(config, to.id, ticketId, Math.floor(Date.now() / 1000));
  return `${config.PUBLIC_URL}/tickets/${ticketId}`;
}

/** Resolve the recipients and deliver to each, every one under its own idempotency key. */
async function sendTicketEmail(deps: ActivityDeps, input: SendTicketEmailInput): Promise<SendTicketEmailResult> {
  if (!(EMAIL_TEMPLATES as readonly string[]).includes(input.template)) throw ApplicationFailure.nonRetryable(`unknown e-mail template ${input.template}`, 'InvalidTemplate');
  const em = deps.orm.em.fork();
  const [t] = await em.execute<EmailContext[]>('select number, subject, requester_id, assignee_id, group_id, first_response_due_at, resolution_due_at from tickets where id = ?', [input.ticketId]);
  if (!t) throw ApplicationFailure.nonRetryable(`ticket ${input.ticketId} does not exist`, 'TicketRowMissing');
  const recipients = await recipientsOf(em, t, input.to);
  if (recipients.length === 0) {
    activityLog(deps, input.requestId).info({ template: input.template, to: input.to }, 'no recipient; e-mail skipped');
    return { status: 'no_recipient', messageId: null };
  }
  const users = recipients.flatMap((r) => (r.id !== null && r.role !== null ? [{ id: r.id, role: r.role }] : []));
  const channels = await channelsForUsers(em, users, input.template);
  let result: SendTicketEmailResult = { status: 'muted', messageId: null };
  for (const to of recipients) {
    const key = recipients.length === 1 && typeof input.to === 'string' && input.to !== 'group' ? input.idempotencyKey : `${input.idempotencyKey}:${to.email}`;
    const wants = to.id === null ? { email: true, inApp: false } : channels.get(to.id)!;
    if (wants.inApp) await notifyInApp(em, await inAppNotice(em, input, t, to.id!, key));
    if (!wants.email) {
      activityLog(deps, input.requestId).debug({ template: input.template, userId: to.id }, 'e-mail turned off by the recipient');
      continue;
    }
    result = await deliverOnce(deps, em, input, t, to, key);
  }
  return result;
}

/**
 * Several mails about one event in one activity (one task and one workflow wake-up instead of
 * one each). Every mail is tried; a mail that failed in a way a retry may fix fails the attempt
 * (the retry skips what was sent: each mail has its own key); mails that can never go fail it
 * for good, naming their templates, once the others are done.
 */
async function sendTicketEmails(deps: ActivityDeps, input: SendTicketEmailsInput): Promise<SendTicketEmailResult[]> {
  const results: SendTicketEmailResult[] = [];
  const permanent: { template: string; err: ApplicationFailure }[] = [];
  let retryable: unknown = null;
  for (const mail of input.mails) {
    try {
      results.push(await sendTicketEmail(deps, { ...mail, requestId: input.requestId, ticketId: input.ticketId }));
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable) permanent.push({ template: mail.template, err });
      else retryable ??= err;
    }
  }
  if (retryable !== null) throw retryable;
  if (permanent.length) {
    const details: SendTicketEmailsFailure = { activity: 'sendTicketEmails', templates: permanent.map((p) => p.template as SendTicketEmailsFailure['templates'][number]) };
    throw ApplicationFailure.create({ type: permanent[0]!.err.type ?? undefined, message: permanent.map((p) => `${p.template}: ${p.err.message}`).join('; '), nonRetryable: true, details: [details] });
  }
  return results;
}

/** What the notification centre shows: the ticket, and the message or clock behind the event. */
async function inAppNotice(em: ReturnType<MikroORM['em']['fork']>, input: SendTicketEmailInput, t: EmailContext, userId: number, key: string): Promise<InAppNotification> {
  let excerpt: string | null = typeof input.vars?.clock === 'string' ? input.vars.clock : null;
  if (input.vars?.messageId) {
    const [m] = await em.execute<{ body_text: string }[]>('select body_text from messages where id = ?', [input.vars.messageId]);
    excerpt = m ? m.body_text.replace(/\s+/g, ' ').trim().slice(0, 200) : excerpt;
  }
  return { userId, ticketId: input.ticketId, event: input.template, title: `[${t.number}] ${t.subject}`, excerpt, dedupeKey: `${key}:user:${userId}` };
}

/**
 * Send one notification at most once per idempotency key. The row is written first, then
 * `handed_off_at` just before the SMTP hand-off. A retry finds one of:
 * - sent → nothing to do;
 * - handed off, no error recorded → the process died mid-hand-off and the server may have the
 *   message: marked `unconfirmed` (visible to ops) rather than risking a duplicate;
 * - otherwise (never handed off, or a clean SMTP error) → send.
 * The Message-ID is derived from the key, so downstream systems can recognise the message.
 */
export async function deliverOnce(
  deps: ActivityDeps,
  em: ReturnType<MikroORM['em']['fork']>,
  input: Omit<SendTicketEmailInput, 'template'> & { template: AnyEmailTemplate },
  t: EmailContext,
  to: Recipient,
  idempotencyKey: string,
  /** Variables of the customer follow-ups (followup-activities.ts): rating links, reminder count. */
  extra: Pick<TemplateVars, 'survey' | 'reminder'> = {},
): Promise<SendTicketEmailResult> {
  const log = activityLog(deps, input.requestId);
  const [existing] = await em.execute<{ status: string; message_id: string; handed_off_at: Date | null; last_error: string | null }[]>(
    'select status, message_id, handed_off_at, last_error from email_log where idempotency_key = ?',
    [idempotencyKey],
  );
  if (existing?.status === 'sent') return { status: 'duplicate', messageId: existing.message_id };
  if (existing?.status === 'unconfirmed') return { status: 'unconfirmed', messageId: existing.message_id };
  if (existing?.handed_off_at && !existing.last_error) {
    await em.execute(`update email_log set status = 'unconfirmed' where idempotency_key = ?`, [idempotencyKey]);
    log.warn({ template: input.template, to: to.email, messageId: existing.message_id }, 'earlier attempt died during the SMTP hand-off; not resending');
    return { status: 'unconfirmed', messageId: existing.message_id };
  }
  let body: string | undefined;
  let actorName: string | undefined;
  if (input.vars?.messageId) {
    const [m] = await em.execute<{ body_text: string; name: string | null }[]>('select m.body_text, u.name from messages m left join users u on u.id = m.author_id where m.id = ?', [
      input.vars.messageId,
    ]);
    body = m?.body_text;
    actorName = m?.name ?? undefined;
  }
  const clock = typeof input.vars?.clock === 'string' ? input.vars.clock : undefined;
  const dueAt = clock === 'first_response' ? t.first_response_due_at : clock === 'resolution' ? t.resolution_due_at : null;
  const vars = {
    ticketNumber: t.number,
    subject: t.subject,
    recipientName: to.name,
    actorName,
    body,
    clock,
    dueAt: dueAt ? new Date(dueAt) : null,
    link: ticketLink(deps.config, to, input.ticketId),
    ...extra,
  };
  // An admin's edited text for this event and language wins over the built-in one.
  const [custom] = await em.execute<{ subject: string; body: string }[]>('select subject, body from email_templates where key = ? and locale = ?', [input.template, to.locale]);
  const sla = slaVariables(to.locale, vars);
  const rendered = custom ? await renderCustom(custom, to.locale, vars, sla.clockName, sla.due) : renderEmail(input.template, to.locale, vars);
  const domain = messageDomain(deps.config.PUBLIC_URL);
  const messageId = `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
  const threadId = `<ticket-${input.ticketId}@${domain}>`;

  await em.execute(
    `insert into email_log (idempotency_key, ticket_id, template, to_address, subject, message_id, status, attempts, created_at)
     values (?, ?, ?, ?, ?, ?, 'sending', 1, now())
     on conflict (idempotency_key) do update set attempts = email_log.attempts + 1`,
    [idempotencyKey, input.ticketId, input.template, to.email, rendered.subject, messageId],
  );
  const badAddress = recipientProblem(to.email);
  if (badAddress) await failForGood(em, log, idempotencyKey, 'InvalidRecipient', `Cannot send ${input.template} to ${to.name}: ${badAddress}`);
  // Claim the hand-off: of two attempts running at once (a timed-out attempt still running when
  // Temporal starts the retry, e.g. both waiting on a slow database) only one may send.
  const claimed = await em.execute<{ id: number }[]>(
    `update email_log set handed_off_at = now(), last_error = null where idempotency_key = ? and handed_off_at is null and status = 'sending' returning id`,
    [idempotencyKey],
  );
  if (claimed.length === 0) {
    // Another attempt is handing it off (or just did): the next retry finds it sent, or unconfirmed if that attempt died.
    throw ApplicationFailure.retryable(`e-mail ${idempotencyKey} is being handed off by another attempt`, 'EmailHandoffInProgress');
  }
  try {
    await deps.mailer.sendMail(
      outgoingMail(deps.config.MAIL_FROM, to, rendered, { messageId, inReplyTo: threadId, references: [threadId], headers: { 'X-Mehrdesk-Ticket': t.number, 'X-Mehrdesk-Event': input.template } }),
    );
  } catch (err) {
    const permanent = permanentSmtpFailure(err);
    if (permanent) await failForGood(em, log, idempotencyKey, permanent, `The mail server refused ${input.template} to ${to.email}: ${err instanceof Error ? err.message : String(err)}`);
    // A clean SMTP failure: not delivered, so the retry may send again.
    await em.execute('update email_log set last_error = ?, handed_off_at = null where idempotency_key = ?', [String(err).slice(0, 2000), idempotencyKey]);
    log.warn({ err, template: input.template }, 'smtp send failed; will retry');
    throw err;
  }
  await em.execute(`update email_log set status = 'sent', sent_at = now(), last_error = null where idempotency_key = ?`, [idempotencyKey]);
  log.info({ template: input.template, to: to.email, messageId }, 'e-mail sent');
  return { status: 'sent', messageId };
}

/** Record a send that no retry can fix, then fail the activity without retries (the workflow records it on the ticket). */
async function failForGood(em: ReturnType<MikroORM['em']['fork']>, log: Logger, idempotencyKey: string, type: SmtpFailureType, message: string): Promise<never> {
  await em.execute(`update email_log set status = 'failed', last_error = ?, handed_off_at = null where idempotency_key = ?`, [message.slice(0, 2000), idempotencyKey]);
  log.warn({ failureType: type, message }, 'e-mail cannot be delivered; not retrying');
  throw ApplicationFailure.nonRetryable(message, type);
}
