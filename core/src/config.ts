import { z } from 'zod';
import { STAFF_ROLES } from './domain/enums';

/** What becomes of mail a stranger threads onto a ticket (see INBOUND_STRANGER_REPLIES); admins may override it (services/settings.ts). */
export const STRANGER_REPLY_MODES = ['hold', 'new_ticket'] as const;

/** Hard bounds of the upload limits (attachments.size is a PostgreSQL integer; services/settings.ts). */
export const UPLOAD_BYTES_CEILING = 1024 * 1024 * 1024;
export const UPLOAD_FILES_CEILING = 50;
/** An allowed upload type: `image/png` or `image/*`. */
export const UPLOAD_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126})$/;

// Environment is validated once at start-up so a typo fails loudly instead of at first use.
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: z.string().url().default('postgres://mehrdesk:mehrdesk@127.0.0.1:54320/mehrdesk'),
    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('tickets'),
    /**
     * Ticket workflows a worker keeps in memory between their tasks. Tickets that act (replies,
     * changes, timers firing) within a few minutes are the working set; any other one is replayed
     * from its history when it next acts (docs/benchmarks-workflow-memory.md measures the cost).
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).default(2000),
    TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
    SMTP_URL: z.string().default('smtp://127.0.0.1:1025'),
    MAIL_FROM: z.string().default('Mehrdesk Support <support@mehrdesk.local>'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.string().url().default('http://127.0.0.1:3000'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TICKET_NUMBER_PREFIX: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{0,9}$/, 'must be 1-10 upper-case letters/digits starting with a letter')
      .default('TKT'),
    TOKEN_TTL_HOURS: z.coerce
      .number()
      .positive()
      .default(24 * 14),
    /**
     * Signs the one-minute attachment links the console opens (api/src/attachments/links.ts).
     * Set a random value of its own in production, the same on every API instance.
     */
    ATTACHMENT_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').default('mehrdesk-development-attachment-link-secret'),
    /**
     * Signs the links customers get by e-mail (verification, password reset, magic sign-in, survey;
     * core/src/services/signed-links.ts). Random and the same on every API and worker instance in
     * production: changing it invalidates every link already sent.
     */
    PORTAL_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').default('mehrdesk-development-portal-link-secret'),
    /** How long the links in account e-mails work: sign-up verification, password reset, magic sign-in from a ticket e-mail. */
    PORTAL_VERIFY_LINK_HOURS: z.coerce
      .number()
      .min(0.01)
      .max(24 * 30)
      .default(24),
    PORTAL_RESET_LINK_HOURS: z.coerce
      .number()
      .min(0.01)
      .max(24 * 7)
      .default(2),
    PORTAL_MAGIC_LINK_HOURS: z.coerce
      .number()
      .min(0.01)
      .max(24 * 90)
      .default(24 * 7),
    PORTAL_INVITE_LINK_HOURS: z.coerce
      .number()
      .min(0.01)
      .max(24 * 90)
      .default(24 * 7),
    /** Sign-up, reset and verification-resend requests per client and hour, and e-mails per target address and hour. */
    RATE_LIMIT_ACCOUNT_PER_CLIENT_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(30),
    RATE_LIMIT_ACCOUNT_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(5),
    DB_POOL_MAX: z.coerce.number().int().positive().default(10),
    /**
     * The API's limits on waiting for PostgreSQL (ms; 0: none): a pooled connection, one
     * statement, one lock. Past them a request answers 503 with Retry-After instead of queueing
     * without bound while the database is slow or a table is locked.
     */
    API_DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    API_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
    API_DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    /**
     * Admission control (usecases/src/tickets/admission.ts): ticket creation answers 429 with
     * Retry-After while more workflow tasks than this wait in the ticket task queue, so SLA
     * timers of accepted tickets start on time; 0 turns the gate off. Read every ADMISSION_CHECK_MS.
     */
    ADMISSION_MAX_WORKFLOW_BACKLOG: z.coerce.number().int().min(0).max(10_000_000).default(2000),
    /** ... or while the oldest waiting workflow task has waited longer than this (0: no age bound). */
    ADMISSION_MAX_BACKLOG_SECONDS: z.coerce.number().min(0).max(3600).default(5),
    ADMISSION_CHECK_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** Live event streams (SSE): heartbeat comment interval; tokens are re-checked every 4 beats. */
    LIVE_HEARTBEAT_SECONDS: z.coerce.number().min(0.1).max(300).default(15),
    /** SSRF guard: deliveries to loopback/private addresses are refused unless this is true. */
    WEBHOOK_ALLOW_PRIVATE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** Deliveries that fail for good in a row before a subscription is disabled. */
    WEBHOOK_DISABLE_AFTER: z.coerce.number().int().min(1).max(1000).default(20),
    /** First retry delay; doubles per attempt up to an hour (20 attempts ≈ 14 hours in all). */
    WEBHOOK_RETRY_INITIAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(20),
    /** Redis for BullMQ queues (inbound mail); the launcher starts one when unset. */
    REDIS_URL: z.string().default('redis://127.0.0.1:6380'),
    /** Port of the inbound SMTP listener in the worker; 0 turns the listener off. */
    INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    INBOUND_SMTP_HOST: z.string().default('127.0.0.1'),
    /** Addresses the helpdesk receives and sends as: mail from them is a loop, never a ticket. */
    INBOUND_ADDRESSES: z.string().default('support@mehrdesk.local'),
    /** Unknown senders become customers (otherwise their mail is ignored and logged). */
    INBOUND_CREATE_CUSTOMERS: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /**
     * Mail threaded onto a ticket (token, In-Reply-To, References) by someone who is neither its
     * requester, a participant nor staff: `hold` keeps it as an internal note for an agent to
     * publish or dismiss; `new_ticket` opens a ticket of its own for the sender. The default only:
     * an admin's choice (PUT /api/v1/settings/inbound) overrides it.
     */
    INBOUND_STRANGER_REPLIES: z.enum(STRANGER_REPLY_MODES).default('hold'),
    /** More messages than this from one sender within 10 minutes is treated as a mail loop. */
    INBOUND_MAX_PER_SENDER: z.coerce.number().int().min(1).default(20),
    /**
     * Meilisearch (`http://host:7700`): when set, tickets, customers and articles are searched
     * there; otherwise in PostgreSQL (full-text search with pg_trgm), the embedded default.
     */
    MEILI_HOST: z.string().url().or(z.literal('')).default(''),
    MEILI_MASTER_KEY: z.string().default(''),
    /** Prefix of the Meilisearch index names, so several installations can share one server. */
    MEILI_INDEX_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,40}$/, 'letters, digits, - and _')
      .default('mehrdesk'),
    /** Raw mails and attachments (content-addressed files). */
    STORAGE_DIR: z.string().default('.data/files'),
    /** Largest knowledge-base image an editor may upload (bytes); larger ones answer 413. */
    KB_IMAGE_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(5 * 1024 * 1024),
    /**
     * Uploaded attachments (POST /api/v1/uploads): the defaults of the limits admins may change
     * (PUT /api/v1/settings/uploads). Largest file in bytes, files per message, and the types
     * allowed (comma-separated MIME types or `type/*`, checked against what the bytes are; empty: any).
     */
    UPLOAD_MAX_FILE_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(UPLOAD_BYTES_CEILING)
      .default(25 * 1024 * 1024),
    UPLOAD_MAX_FILES_PER_MESSAGE: z.coerce.number().int().min(1).max(UPLOAD_FILES_CEILING).default(10),
    UPLOAD_ALLOWED_TYPES: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(UPLOAD_TYPE_PATTERN, 'each entry must be a MIME type or type/*')).max(100)),
    /** Uploads no ticket or message used are deleted after this many hours. */
    /** A minor garbage collection after every this many MiB of uploads, so their socket buffers do not pile up (api/src/uploads/reclaim.ts); 0 turns it off. */
    UPLOAD_RECLAIM_MB: z.coerce.number().int().min(0).max(1024).default(16),
    UPLOAD_PENDING_MAX_AGE_HOURS: z.coerce
      .number()
      .min(0.1)
      .max(24 * 30)
      .default(24),
    /** Uploads per user and minute (shared by all API replicas through Redis). */
    RATE_LIMIT_UPLOADS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
    /**
     * Keys the anonymous clients of the public API are told apart by (rate limits, feedback) are an
     * HMAC of their address with this secret, so no address is stored. Same value on every instance.
     */
    CLIENT_KEY_SECRET: z.string().min(32, 'must be at least 32 characters').default('mehrdesk-development-client-key-secret'),
    /** Public KB search requests per client and minute (shared by all API replicas through Redis). */
    RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
    /** Portal suggestions while a ticket is written (`source=suggest`) per client and minute: one per pause in typing. */
    RATE_LIMIT_PUBLIC_SUGGEST_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(300),
    /** Public KB "was this helpful?" submissions per client and hour. */
    RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(20),
    /**
     * Satisfaction surveys after a resolution (core/src/services/surveys.ts): the defaults until an
     * admin chooses (PUT /api/v1/settings/surveys). The delay is counted from the resolution.
     */
    SURVEYS_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    SURVEY_DELAY_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(86_400),
    SURVEY_SCALE: z.enum(['binary', 'five']).default('binary'),
    /** How long the rating links in a survey e-mail work. */
    SURVEY_LINK_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /** Public survey requests (show or rate by link) per client and hour. */
    RATE_LIMIT_PUBLIC_SURVEY_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(60),
    /** Days the audit log keeps an entry; the default until an admin chooses (PUT /settings/audit). */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    /**
     * Sign-in throttling (api/src/auth/login-throttle.ts), counted in Redis for every replica: after
     * this many wrong passwords in a row for one e-mail address, each further attempt waits twice as
     * long as the one before (1 s, 2 s, 4 s … up to LOGIN_MAX_DELAY_SECONDS); a success resets it.
     */
    LOGIN_DELAY_AFTER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
    LOGIN_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    /** This many wrong passwords (or second-factor codes) in a row lock the address for LOGIN_LOCK_MINUTES, and its owner gets an e-mail. */
    LOGIN_LOCK_AFTER_FAILURES: z.coerce.number().int().min(2).max(1000).default(10),
    LOGIN_LOCK_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
    /** Failed sign-ins per client address and hour, whatever the account (slows password spraying). */
    LOGIN_FAILURES_PER_CLIENT_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(100),
    /** Requests per signed-in session and minute (an API key has its own limit, set when it is made). */
    RATE_LIMIT_PER_TOKEN_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
    /** Requests per client address and minute without credentials (public pages' API, sign-in), on top of each public endpoint's own limit. */
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(300),
    /** An API key's requests per minute unless its admin chooses otherwise. */
    API_KEY_DEFAULT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
    /** Staff roles that must use two-factor sign-in until an admin chooses (PUT /settings/security); comma-separated. */
    MFA_REQUIRED_ROLES: z
      .string()
      .default('')
      .transform((v) => [
        ...new Set(
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ])
      .pipe(z.array(z.enum(STAFF_ROLES, 'each must be admin, supervisor or agent'))),
    /**
     * Encrypts the two-factor (TOTP) secrets at rest (AES-256-GCM, key derived with HKDF). Random and
     * the same on every API instance in production; changing it turns every enrolment off.
     */
    MFA_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').default('mehrdesk-development-two-factor-secret-key'),
    /** Open live-event streams (SSE) per user on one API instance; the oldest is closed when a new one exceeds it. */
    LIVE_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1000).default(8),
    /**
     * `/metrics` answers clients on this machine (loopback) only, unless METRICS_TOKEN is set: then
     * any client presenting `Authorization: Bearer <METRICS_TOKEN>` (and only those).
     */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** IMAP mailbox polled for inbound mail, `imaps://user:password@host[:port]`; empty turns it off. */
    INBOUND_IMAP_URL: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        // The message never quotes the value: it carries the password.
        if (v !== '') imapUrlProblem(v, ctx);
      }),
    /** Folder to read; `/` separates levels whatever the server's own delimiter is. */
    INBOUND_IMAP_MAILBOX: z.string().default('INBOX').superRefine(mailboxPathProblem),
    /** Poll interval; IDLE picks up new mail sooner when the server supports it. */
    INBOUND_IMAP_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    /** What happens to a message once it is stored: `seen`, `delete` or `move:<folder>`. */
    INBOUND_IMAP_AFTER: z.string().default('move:Mehrdesk/Processed').transform(parseImapAfter),
  })
  .superRefine((c, ctx) => {
    const after = c.INBOUND_IMAP_AFTER;
    if (after.action === 'move' && (after.folder === c.INBOUND_IMAP_MAILBOX || (after.folder.toUpperCase() === 'INBOX' && c.INBOUND_IMAP_MAILBOX.toUpperCase() === 'INBOX')))
      ctx.addIssue({ code: 'custom', path: ['INBOUND_IMAP_AFTER'], message: 'must move processed mail to a folder other than INBOUND_IMAP_MAILBOX' });
  });

/** What the IMAP source does with a message after storing it. */
export type ImapAfter = { action: 'seen' } | { action: 'delete' } | { action: 'move'; folder: string };

/** Connection details of an IMAP account, from INBOUND_IMAP_URL. */
export interface ImapServer {
  secure: boolean;
  host: string;
  port: number;
  user: string;
  password: string;
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string }): void;
}

const IMAP_URL_SHAPE = 'must look like imaps://user:password@host[:port] or imap://user:password@host[:port] (percent-encode special characters)';

/** Parses a validated INBOUND_IMAP_URL; throws (without quoting the URL) when it is invalid. */
export function parseImapUrl(value: string): ImapServer {
  const problems: string[] = [];
  const server = imapUrlProblem(value, { addIssue: (i) => problems.push(i.message) });
  if (!server) throw new Error(`INBOUND_IMAP_URL ${problems[0] ?? 'is invalid'}`);
  return server;
}

function imapUrlProblem(value: string, ctx: IssueSink): ImapServer | null {
  const fail = (message: string): null => {
    ctx.addIssue({ code: 'custom', message });
    return null;
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(IMAP_URL_SHAPE);
  }
  if (url.protocol !== 'imap:' && url.protocol !== 'imaps:') return fail(`${IMAP_URL_SHAPE}; the scheme is ${JSON.stringify(url.protocol)}`);
  if (!url.hostname) return fail(`${IMAP_URL_SHAPE}; the host is missing`);
  if (!url.username || !url.password) return fail(`${IMAP_URL_SHAPE}; the user name or password is missing`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) return fail(`${IMAP_URL_SHAPE}; set the folder in INBOUND_IMAP_MAILBOX, not in the URL`);
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return fail(`${IMAP_URL_SHAPE}; the user name or password has a broken %-escape`);
  }
  const secure = url.protocol === 'imaps:';
  return { secure, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : secure ? 993 : 143, user, password };
}

function mailboxPathProblem(value: string, ctx: IssueSink): void {
  if (/[\x00-\x1f\x7f]/.test(value)) ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
  else if (value.length === 0 || value.length > 200) ctx.addIssue({ code: 'custom', message: 'must be 1-200 characters' });
  else if (value.split('/').some((level) => level.trim() === '')) ctx.addIssue({ code: 'custom', message: 'must not have empty levels (leading, trailing or doubled `/`)' });
}

function parseImapAfter(value: string, ctx: IssueSink): ImapAfter {
  if (value === 'seen' || value === 'delete') return { action: value };
  if (value.startsWith('move:')) {
    const folder = value.slice('move:'.length);
    const problems: string[] = [];
    mailboxPathProblem(folder, { addIssue: (i) => problems.push(i.message) });
    if (problems.length === 0) return { action: 'move', folder };
    ctx.addIssue({ code: 'custom', message: `move:<folder>: the folder ${problems[0]}` });
  } else {
    ctx.addIssue({ code: 'custom', message: 'must be `seen`, `delete` or `move:<folder>` (e.g. move:Mehrdesk/Processed)' });
  }
  return { action: 'seen' }; // not used: the parse has failed
}

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
