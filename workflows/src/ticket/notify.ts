import * as wf from '@temporalio/workflow';
import { slaStateOf } from '@mehrdesk/core/domain';
import type { EmailRecipient, EmailTemplate, SendTicketEmailsFailure } from '../activity-contracts';
import { ticketSearchAttributes } from '../contracts';
import { mail } from './activities';
import type { Failures } from './failures';
import type { TicketRun } from './run';

// What a ticket tells the outside: e-mails (fire-and-track, finished before the run ends) and
// Temporal's search attributes.

/** The search attribute values as one string, to tell whether Temporal already holds them. */
export const attributesKey = (attrs: ReturnType<typeof ticketSearchAttributes>) => JSON.stringify(attrs.map((a) => a.value));

export function notifications(run: TicketRun, failures: Failures) {
  const { s, legacy, background, nextKey } = run;
  const { recordedFailure } = failures;

  /** Fire-and-track: e-mails must not delay an agent's update, but must finish before we end. */
  function notify(template: EmailTemplate, to: EmailRecipient, requestId: string, vars?: Record<string, string | number | null>) {
    const p = mail
      .sendTicketEmail({ idempotencyKey: nextKey(`mail:${template}:${typeof to === 'string' ? to : 'address'}`), requestId, ticketId: s.ticket.ticketId, template, to, vars })
      .catch(async (err: unknown) => {
        // An invalid recipient or a refused message fails once and shows on the ticket.
        if (!(await recordedFailure(err, `e-mail ${template}`, requestId))) wf.log.error('e-mail gave up', { template, to, error: String(err) });
      });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  /** Fire-and-track several e-mails about one event in one activity. */
  function notifyAll(mails: { template: EmailTemplate; to: EmailRecipient }[], requestId: string) {
    const p = mail
      .sendTicketEmails({ requestId, ticketId: s.ticket.ticketId, mails: mails.map((m) => ({ ...m, idempotencyKey: nextKey(`mail:${m.template}:${typeof m.to === 'string' ? m.to : 'address'}`) })) })
      .then(() => undefined)
      .catch(async (err: unknown) => {
        const failed = err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure ? (err.cause.details?.[0] as SendTicketEmailsFailure | undefined)?.templates : undefined;
        const templates = (failed ?? mails.map((m) => m.template)).join(', ');
        if (!(await recordedFailure(err, `e-mail ${templates}`, requestId))) wf.log.error('e-mails gave up', { templates, error: String(err) });
      });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  /** Fire-and-track a follow-up e-mail: a failure that retrying cannot fix is recorded, never fatal. */
  function track(work: Promise<unknown>, context: string, requestId: string) {
    const p = work.catch(async (err: unknown) => {
      if (!(await recordedFailure(err, context, requestId))) wf.log.error('follow-up gave up', { context, error: String(err) });
    });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  function publishSearchAttributes() {
    const attrs = ticketSearchAttributes(s.ticket, slaStateOf(s.clocks));
    if (!legacy) {
      const key = attributesKey(attrs);
      if (key === s.published) return;
      s.published = key;
    }
    wf.upsertSearchAttributes(attrs);
  }

  return { notify, notifyAll, track, publishSearchAttributes };
}

export type Notifications = ReturnType<typeof notifications>;
