// Standalone mail catcher for local dev: `node --import tsx scripts/src/mail-catcher-main.ts`.
import { startMailCatcher } from './mail-catcher';

function intEnv(name: string, fallback: number, max = 65535): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name} must be an integer 0..${max}, got ${raw}`);
  return n;
}

const host = process.env.MAIL_HOST || '127.0.0.1';
const catcher = await startMailCatcher({
  host,
  smtpPort: intEnv('MAIL_SMTP_PORT', 1025),
  httpPort: intEnv('MAIL_HTTP_PORT', 8025),
  dir: process.env.MAIL_DIR || undefined,
  maxMessages: intEnv('MAIL_MAX_MESSAGES', 5000, Number.MAX_SAFE_INTEGER),
});

console.log(`mail catcher: SMTP on ${host}:${catcher.smtpPort}, web UI and API on ${catcher.url}` + (process.env.MAIL_DIR ? `, storing in ${process.env.MAIL_DIR}` : ', in memory'));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second signal means "now": don't wait for open SMTP sessions.
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`mail catcher: ${signal}, shutting down`);
    catcher.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('mail catcher: shutdown failed', err);
        process.exit(1);
      },
    );
  });
}
