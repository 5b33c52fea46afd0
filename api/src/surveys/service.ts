import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { atResolution, recordRating, scoreOf, surveyView, type SurveyRow, type SurveyView } from '@mehrdesk/core/services/surveys';
import { surveyReceivedSignal, ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import { loadTicketListeners } from '@mehrdesk/core/services/ticket-listeners';
import { publishLiveEvent, scopeOf } from '@mehrdesk/core/live-events';
import type { CoreDeps } from '../deps';
import { badRequest, conflict, HttpError } from '../http/errors';
import type { RateSurveyBody } from './schemas';

// Rating a survey, from the e-mail's link or from the portal: one row per resolution, updated
// while that resolution stands (a changed mind is a change, not a second rating). The first
// rating is announced to the ticket's workflow, which runs the `survey.received` rules; a
// changed rating is recorded on the timeline but does not run them again.

export const linkInvalid = (message = 'This survey link is not valid') => new HttpError(403, 'link_invalid', message);
export const linkExpired = () => new HttpError(410, 'link_expired', 'This survey link has expired');
export const surveyClosed = () => conflict('survey_closed', 'The ticket was reopened or changed since this survey was sent; it no longer asks for a rating');

export async function rateSurvey(
  deps: CoreDeps,
  em: EntityManager,
  survey: SurveyRow,
  ticket: { number: string; subject: string },
  body: z.infer<typeof RateSurveyBody>,
  actorId: number,
  requestId: string,
): Promise<SurveyView> {
  const score = scoreOf(survey.scale, body.rating);
  if (score === null)
    throw badRequest('Invalid body', [{ path: 'body.rating', message: survey.scale === 'binary' ? 'This survey is rated "good" or "bad"' : 'This survey is rated with a whole number from 1 to 5' }]);
  const comment = body.comment === undefined ? survey.comment : body.comment === null || body.comment === '' ? null : body.comment;
  const { survey: after, first } = await em.transactional(async (tx) => {
    // The ticket may have been reopened since the survey was read: check again, under a lock
    // the workflow's next write of the ticket waits for.
    const [t] = await tx.execute<{ status: string; resolved_at: Date | null; deleted_at: Date | null; version: number; requester_id: number; group_id: number | null; assignee_id: number | null }[]>(
      'select status, resolved_at, deleted_at, version, requester_id, group_id, assignee_id from tickets where id = ? for share',
      [survey.ticket_id],
    );
    if (!t || !atResolution(t, new Date(survey.resolved_at).getTime())) throw surveyClosed();
    const rated = await recordRating(tx, survey.id, score, comment, actorId);
    // Open ticket pages show the rating at once. The ticket's version is unchanged: the rating is
    // not a field of the workflow's, so the event names `satisfaction` for clients to refetch.
    if (rated.first || rated.changed)
      await publishLiveEvent(tx, {
        type: 'ticket.updated',
        ticketId: survey.ticket_id,
        version: t.version,
        fields: ['satisfaction'],
        values: {},
        scope: scopeOf(t),
        actor: { type: 'user', id: actorId },
        at: new Date().toISOString(),
      });
    return rated;
  });
  if (first) {
    // Rules are an after-effect: a workflow that ended (closed ticket) or Temporal being away
    // loses the trigger, never the rating.
    const listeners = await loadTicketListeners(em, deps.configCache);
    await deps.temporal.workflow
      .getHandle(ticketWorkflowId(survey.ticket_id))
      .signal(surveyReceivedSignal, { surveyId: survey.id, requestId, listeners })
      .catch((err: unknown) => deps.log.info({ err, ticketId: survey.ticket_id, surveyId: survey.id, requestId }, 'survey.received not delivered to the ticket workflow'));
  }
  return surveyView(after, ticket);
}
