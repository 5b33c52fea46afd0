import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TicketStatus } from '@mehrdesk/core/domain';
import { atResolution, BINARY_RATINGS, FIVE_RATINGS, openSurvey, signSurveyLink, surveyPageUrl, surveySettings } from '@mehrdesk/core/services/surveys';
import type { Actor } from '@mehrdesk/workflows/contracts';
import type { TicketActivities } from '@mehrdesk/workflows/activity-contracts';
import { ratingLabel } from '@mehrdesk/usecases/email/templates';
import type { ActivityDeps, EmailContext, Recipient, deliverOnce } from './ticket-activities';
import { insertTimeline } from './ticket-writes';

// The customer follow-ups the ticket workflow times (workflows/src/customer-followup.ts): the
// satisfaction survey after a resolution and the reminders while the ticket waits on the
// customer. Each e-mail goes through the same once-only delivery as every ticket e-mail (email_log,
// idempotency key, failures classified) and leaves an entry on the ticket's timeline. What the
// workflow decided may be overtaken by the time this runs (a reopen, a reply): then nothing is sent.

type Deliver = typeof deliverOnce;

const WORKFLOW: Actor = { type: 'workflow', id: null, role: null };

interface TicketForMail extends EmailContext {
  status: TicketStatus;
  resolved_at: Date | null;
  deleted_at: Date | null;
}

export function createFollowupActivities(deps: ActivityDeps, deliver: Deliver): Pick<TicketActivities, 'planSurvey' | 'sendSurvey' | 'sendPendingReminder'> {
  const log = (requestId: string) => deps.log.child({ requestId, workflowId: Context.current().info.workflowExecution?.workflowId, activity: Context.current().info.activityType });

  async function ticketFor(em: ReturnType<ActivityDeps['orm']['em']['fork']>, ticketId: number): Promise<TicketForMail> {
    const [t] = await em.execute<TicketForMail[]>(
      `select number, subject, requester_id, assignee_id, group_id, first_response_due_at, resolution_due_at, status, resolved_at, deleted_at
         from tickets where id = ?`,
      [ticketId],
    );
    if (!t) throw ApplicationFailure.create({ type: 'TicketRowMissing', message: `ticket ${ticketId} does not exist`, nonRetryable: true });
    return t;
  }

  const requesterOf = async (em: ReturnType<ActivityDeps['orm']['em']['fork']>, t: TicketForMail): Promise<Recipient | null> =>
    (await em.execute<Recipient[]>('select id, role, email, name, locale from users where id = ? and active', [t.requester_id]))[0] ?? null;

  return {
    async planSurvey({ resolvedAt }) {
      const settings = await surveySettings(deps.orm.em.fork(), deps.config);
      return { sendAt: settings.enabled ? resolvedAt + settings.delaySeconds * 1000 : null };
    },

    async sendSurvey(input) {
      const em = deps.orm.em.fork();
      // Turned off since the resolution: the survey is not sent.
      const settings = await surveySettings(em, deps.config);
      if (!settings.enabled) return { status: 'disabled', surveyId: null };
      const t = await ticketFor(em, input.ticketId);
      if (!atResolution(t, input.resolvedAt)) {
        log(input.requestId).info({ ticketId: input.ticketId, status: t.status }, 'ticket reopened since the resolution; no survey');
        return { status: 'stale', surveyId: null };
      }
      // A retry finds the row of its first attempt (and keeps that scale).
      const survey = await openSurvey(em, input.ticketId, new Date(input.resolvedAt), settings.scale);
      if (!survey) throw ApplicationFailure.create({ type: 'TicketRowMissing', message: `ticket ${input.ticketId} does not exist`, nonRetryable: true });
      const to = await requesterOf(em, t);
      let status: Awaited<ReturnType<Deliver>>['status'] = 'no_recipient';
      if (to) {
        const expiresAtSec = Math.floor(new Date(survey.sent_at).getTime() / 1000) + deps.config.SURVEY_LINK_DAYS * 86_400;
        const token = signSurveyLink(deps.config.PORTAL_LINK_SECRET, { userId: survey.requester_id, ticketId: input.ticketId, resolvedAt: input.resolvedAt, expiresAtSec });
        const ratings = survey.scale === 'binary' ? BINARY_RATINGS : FIVE_RATINGS;
        const choices = ratings.map((r) => ({ label: ratingLabel(to.locale, r), url: surveyPageUrl(deps.config.PUBLIC_URL, token, r) }));
        const sent = await deliver(
          deps,
          em,
          { idempotencyKey: input.idempotencyKey, requestId: input.requestId, ticketId: input.ticketId, template: 'survey_request', to: 'requester' },
          t,
          to,
          input.idempotencyKey,
          { survey: { pageUrl: surveyPageUrl(deps.config.PUBLIC_URL, token), choices } },
        );
        status = sent.status;
      }
      await em.transactional((tx) =>
        insertTimeline(tx, input.ticketId, `${input.idempotencyKey}:timeline`, WORKFLOW, [
          { type: 'survey.sent', field: null, from: null, to: { surveyId: survey.id, scale: survey.scale }, meta: { email: status } },
        ]),
      );
      return { status, surveyId: survey.id };
    },

    async sendPendingReminder(input) {
      const em = deps.orm.em.fork();
      const t = await ticketFor(em, input.ticketId);
      // The customer answered (or staff moved the ticket on) after the workflow decided.
      if (t.status !== 'pending' || t.deleted_at !== null) return { status: 'stale', messageId: null };
      const to = await requesterOf(em, t);
      const sent = to
        ? await deliver(
            deps,
            em,
            { idempotencyKey: input.idempotencyKey, requestId: input.requestId, ticketId: input.ticketId, template: 'pending_reminder', to: 'requester' },
            t,
            to,
            input.idempotencyKey,
            { reminder: { count: input.reminder, resolveAt: input.autoResolveAt === null ? null : new Date(input.autoResolveAt) } },
          )
        : { status: 'no_recipient' as const, messageId: null };
      await em.transactional((tx) =>
        insertTimeline(tx, input.ticketId, `${input.idempotencyKey}:timeline`, WORKFLOW, [
          {
            type: 'reminder.sent',
            field: null,
            from: null,
            to: {
              reminder: input.reminder,
              pendingSince: new Date(input.pendingSince).toISOString(),
              autoResolveAt: input.autoResolveAt === null ? null : new Date(input.autoResolveAt).toISOString(),
            },
            meta: { email: sent.status },
          },
        ]),
      );
      return sent;
    },
  };
}
