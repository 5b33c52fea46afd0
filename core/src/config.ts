import { z } from 'zod';

// Environment is validated once at start-up so a typo fails loudly instead of at first use.
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://mehrdesk:mehrdesk@127.0.0.1:54320/mehrdesk'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('tickets'),
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
  TOKEN_TTL_HOURS: z.coerce.number().positive().default(24 * 14),
  DB_POOL_MAX: z.coerce.number().int().positive().default(10),
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
  /** More messages than this from one sender within 10 minutes is treated as a mail loop. */
  INBOUND_MAX_PER_SENDER: z.coerce.number().int().min(1).default(20),
  /** Raw mails and attachments (content-addressed files). */
  STORAGE_DIR: z.string().default('.data/files'),
});

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
