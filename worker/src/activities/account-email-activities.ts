import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Transporter } from 'nodemailer';
import type { Config } from '@mehrdesk/core/config';
import type { Locale } from '@mehrdesk/core/domain';
import type { Logger } from '@mehrdesk/core/logger';
import { linkUrl, signLink, type LinkPurpose } from '@mehrdesk/core/services/signed-links';
import type { AccountEmailActivities, AccountEmailInput, AccountEmailKind } from '@mehrdesk/workflows/account-email';
import { renderAccountEmail } from '@mehrdesk/usecases/email/account-templates';
import { permanentSmtpFailure, recipientProblem } from '../email/smtp-failures';
import { messageDomain, outgoingMail } from '../email/mailer';

// Sends one account e-mail (workflows/src/account-email.ts). The link is signed here from the
// claims the workflow carries; the Message-ID comes from the nonce, so a retry after a lost
// acknowledgement is recognisable downstream as the same message.

export interface AccountEmailDeps {
  orm: MikroORM;
  mailer: Transporter;
  config: Config;
  log: Logger;
}

interface Recipient {
  email: string;
  name: string;
  locale: Locale;
  role: string;
}

/** An invitation is a password reset link with a welcome around it. */
const LINK_PURPOSE = { verify: 'verify', reset: 'reset', invite: 'reset' } as const satisfies Record<Exclude<AccountEmailKind, 'account_exists' | 'account_locked'>, LinkPurpose>;

const hoursLeft = (expiresAt: number) => Math.max(1, Math.round((expiresAt - Date.now() / 1000) / 3600));

export function createAccountEmailActivities(deps: AccountEmailDeps): AccountEmailActivities {
  return {
    async sendAccountEmail(input: AccountEmailInput) {
      const log = deps.log.child({ requestId: input.requestId, workflowId: Context.current().info.workflowExecution?.workflowId, activity: 'sendAccountEmail' });
      const em = deps.orm.em.fork();
      const [to] =
        input.kind === 'verify'
          ? await em.execute<Recipient[]>(`select email, name, locale, 'customer' as role from portal_signups where id = ? and verified_at is null`, [input.recipientId])
          : await em.execute<Recipient[]>('select email, name, locale, role from users where id = ? and active', [input.recipientId]);
      // Verified meanwhile, or the account was deactivated: there is nothing left to send.
      if (!to) return 'skipped';
      const problem = recipientProblem(to.email);
      if (problem) throw ApplicationFailure.nonRetryable(`Cannot send the ${input.kind} e-mail: ${problem}`, 'InvalidRecipient');

      // Staff sign in to the console, customers to the portal.
      const signInPage = new URL(to.role === 'customer' ? '/portal/login' : '/login', deps.config.PUBLIC_URL).toString();
      const link =
        input.kind === 'account_exists' || input.kind === 'account_locked'
          ? signInPage
          : linkUrl(
              deps.config.PUBLIC_URL,
              LINK_PURPOSE[input.kind],
              signLink(deps.config.PORTAL_LINK_SECRET, { purpose: LINK_PURPOSE[input.kind], userId: input.recipientId, expiresAt: input.expiresAt, nonce: input.nonce, binding: input.binding }),
            );
      const rendered = renderAccountEmail(input.kind, to.locale, { name: to.name, link, hours: hoursLeft(input.expiresAt), lock: input.lock });
      const messageId = `<account-${createHash('sha256').update(input.nonce).digest('hex').slice(0, 32)}@${messageDomain(deps.config.PUBLIC_URL)}>`;
      try {
        await deps.mailer.sendMail(outgoingMail(deps.config.MAIL_FROM, to, rendered, { messageId, headers: { 'X-Mehrdesk-Event': `account_${input.kind}` } }));
      } catch (err) {
        const permanent = permanentSmtpFailure(err);
        if (permanent) throw ApplicationFailure.nonRetryable(`The mail server refused the ${input.kind} e-mail: ${err instanceof Error ? err.message : String(err)}`, permanent);
        log.warn({ err, kind: input.kind }, 'smtp send failed; will retry');
        throw err;
      }
      log.info({ kind: input.kind }, 'account e-mail sent');
      return 'sent';
    },
  };
}
