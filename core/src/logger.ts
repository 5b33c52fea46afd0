import { pino, type Logger } from 'pino';

// Structured JSON logs. Every line about a request carries its `requestId`, which the API puts
// into the workflow memo and update payloads so worker/activity logs can be joined to it.
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
