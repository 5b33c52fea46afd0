import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import { createLogger } from '@mehrdesk/core/logger';
import { classifyFailures, PERMANENT, permanentFailureType } from './failures';
import { TemplateRenderError } from '@mehrdesk/usecases/email/custom-templates';
import { TicketRowMissing } from './ticket-writes';

const pgError = (code: string, message = 'db error') => Object.assign(new Error(message), { code });

describe('activity failure classification', () => {
  it('treats refused values, constraints and impossible statements as permanent', () => {
    expect(permanentFailureType(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe(PERMANENT.unstorableData);
    expect(permanentFailureType(pgError('08P01', 'invalid message format'))).toBe(PERMANENT.unstorableData);
    expect(permanentFailureType(pgError('22P05', 'unsupported Unicode escape sequence'))).toBe(PERMANENT.unstorableData);
    expect(permanentFailureType(pgError('23514'))).toBe(PERMANENT.constraintViolation);
    expect(permanentFailureType(pgError('42703', 'column does not exist'))).toBe(PERMANENT.invalidStatement);
    expect(permanentFailureType(new TicketRowMissing('ticket 9 does not exist'))).toBe(PERMANENT.ticketRowMissing);
    expect(permanentFailureType(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(PERMANENT.activityBug);
    // An admin's template that breaks a rendering limit breaks it on every try.
    expect(permanentFailureType(new TemplateRenderError('body', 'takes longer than 20 ms to render'))).toBe(PERMANENT.templateRejected);
  });

  it('leaves connection loss, deadlocks, serialisation failures and shutdowns to retries', () => {
    for (const code of ['08006', '08001', '40001', '40P01', '53300', '57P01', 'ECONNREFUSED', 'ETIMEDOUT']) expect(permanentFailureType(pgError(code)), code).toBeNull();
    expect(permanentFailureType(new Error('socket hang up'))).toBeNull();
    expect(permanentFailureType(undefined)).toBeNull();
  });

  it('wraps activities: permanent failures become non-retryable, others pass through unchanged', async () => {
    const transient = pgError('08006', 'connection lost');
    const already = ApplicationFailure.nonRetryable('gone', 'WebhookGone');
    const wrapped = classifyFailures(
      {
        async ok() {
          return 42;
        },
        async nul() {
          throw pgError('22021', 'invalid byte sequence');
        },
        async flaky() {
          throw transient;
        },
        async typed() {
          throw already;
        },
      },
      createLogger('test', 'silent'),
    );
    await expect(wrapped.ok()).resolves.toBe(42);
    const err = await wrapped.nul().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: PERMANENT.unstorableData, nonRetryable: true, message: expect.stringMatching(/^nul: invalid byte sequence/) });
    await expect(wrapped.flaky()).rejects.toBe(transient);
    await expect(wrapped.typed()).rejects.toBe(already);
  });
});
