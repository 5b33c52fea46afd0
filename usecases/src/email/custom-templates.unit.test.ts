import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TemplateVars } from './templates';
import { renderCustom, TEMPLATE_LIMITS, TemplateRenderError, validateCustomTemplate } from './custom-templates';

// Admin templates render with limits (issue 12): liquidjs renders on the event loop, and a loop of
// 1,000 × 1,000 iterations held the API for ~2 s. Saving, previewing and sending all use the same
// limits, so what passes validation renders the same way at send time, and what breaks a limit
// at send time fails with a TemplateRenderError the worker can treat as permanent.

const LOOP = '{% for i in (1..1000) %}{% for j in (1..1000) %}{{ i }}{% endfor %}{% endfor %}';
const vars: TemplateVars = { ticketNumber: 'HD-2026-000042', subject: 'Printer on fire', recipientName: 'Sara', link: 'https://desk.example.com/portal/tickets/42' };

/** Resolves `promise`, reporting how many milliseconds it took. */
async function timed<T>(promise: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await promise();
  return [value, performance.now() - started];
}

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('validation refuses templates that break a limit, naming the field, quickly', () => {
  it('a 1,000 × 1,000 loop stops at the time limit', async () => {
    const [problems, ms] = await timed(() => validateCustomTemplate({ subject: 'Hi', body: LOOP }));
    expect(problems).toEqual([{ field: 'body', message: `takes longer than ${TEMPLATE_LIMITS.renderMs} ms to render (are loops too long?)` }]);
    expect(ms).toBeLessThan(TEMPLATE_LIMITS.renderMs + 100);
  });

  it('subject and body each have the time limit, and each problem is reported', async () => {
    const [problems, ms] = await timed(() => validateCustomTemplate({ subject: LOOP, body: LOOP }));
    expect(problems.map((p) => p.field)).toEqual(['subject', 'body']);
    expect(ms).toBeLessThan(2 * TEMPLATE_LIMITS.renderMs + 100);
  });

  it('a huge range is refused before it is built', async () => {
    const [problems, ms] = await timed(() => validateCustomTemplate({ subject: '{% for i in (1..100000000) %}{% endfor %}', body: 'x' }));
    expect(problems).toEqual([{ field: 'subject', message: expect.stringContaining('builds more than 1000000 items or characters') }]);
    expect(ms).toBeLessThan(50);
  });

  it('a subject that renders longer than an e-mail header line, a body that renders to megabytes', async () => {
    expect(await validateCustomTemplate({ subject: '{% for i in (1..100) %}{{ ticket.subject }}{% endfor %}', body: 'x' })).toEqual([
      { field: 'subject', message: 'renders to 1500 characters; at most 998 are allowed' },
    ]);
    expect(await validateCustomTemplate({ subject: 'x', body: `{% for i in (1..13) %}${'x'.repeat(20_000)}{% endfor %}` })).toEqual([
      { field: 'body', message: 'renders to 260000 characters; at most 250000 are allowed' },
    ]);
  });

  it('a template too long to parse', async () => {
    expect(await validateCustomTemplate({ subject: 'x', body: 'a'.repeat(TEMPLATE_LIMITS.parse + 1) })).toEqual([{ field: 'body', message: `is longer than ${TEMPLATE_LIMITS.parse} characters` }]);
  });

  it('ordinary templates, loops included, still pass', async () => {
    expect(await validateCustomTemplate({ subject: '[{{ ticket.number }}] {{ ticket.subject }}', body: '{% for i in (1..3) %}Hello {{ recipient.name }}\n\n{% endfor %}' })).toEqual([]);
  });
});

describe('sending renders with the same limits', () => {
  it('a template that breaks a limit with real values throws TemplateRenderError naming the field', async () => {
    const err = await failure(renderCustom({ subject: 'Hi', body: LOOP }, 'en', vars, '', ''));
    expect(err).toBeInstanceOf(TemplateRenderError);
    expect(err).toMatchObject({ name: 'TemplateRenderError', field: 'body', message: expect.stringMatching(/^custom e-mail template body: takes longer than/) });
  });

  it('a subject that only real values make too long', async () => {
    const template = { subject: '{{ ticket.subject }}{{ ticket.subject }}{{ ticket.subject }}{{ ticket.subject }}', body: 'x' };
    expect(await validateCustomTemplate(template)).toEqual([]);
    const err = await failure(renderCustom(template, 'en', { ...vars, subject: 's'.repeat(300) }, '', ''));
    expect(err).toMatchObject({ field: 'subject', reason: 'renders to 1200 characters; at most 998 are allowed' });
  });

  it('syntax errors are TemplateRenderErrors too', async () => {
    expect(await failure(renderCustom({ subject: '{{ nope }}', body: 'x' }, 'en', vars, '', ''))).toMatchObject({ field: 'subject', reason: expect.stringContaining('undefined variable: nope') });
  });

  it('quoting the longest message the API accepts is fine', async () => {
    const mail = await renderCustom({ subject: 'Re: {{ ticket.subject }}', body: '{{ message.body }}\n\n{{ message.body | upcase }}' }, 'en', { ...vars, body: 'word '.repeat(20_000) }, '', '');
    expect(mail.text.length).toBeGreaterThan(200_000);
  });
});

// Random templates from Liquid's building blocks: validation always answers with problems (never
// throws) and within the time limit, whatever loops, ranges and filters the pieces make.
const piece = fc.constantFrom(
  'text ',
  '\n\n',
  '{{ ticket.number }}',
  '{{ recipient.name | upcase }}',
  '{{ message.body | append: ticket.subject }}',
  '{% for i in (1..1000) %}',
  '{% for j in (1..100000) %}',
  '{% endfor %}',
  '{% if ticket.number %}',
  '{% endif %}',
  '{% assign x = ticket.subject | split: "" %}',
  '{{ x | join: "," }}',
  '{% capture y %}',
  '{% endcapture %}',
  '{{ y }}{{ y }}',
  '{{',
  '}}',
  '{%',
  '{{ nope }}',
  '{{ ticket.link | truncate: 5 }}',
);

describe('random templates', () => {
  it('never throw and never take longer than the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 14 }).map((p) => p.join('')),
        fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
        async (body, subject) => {
          const [problems, ms] = await timed(() => validateCustomTemplate({ subject, body }));
          expect(ms).toBeLessThan(2 * TEMPLATE_LIMITS.renderMs + 100);
          for (const p of problems) {
            expect(['subject', 'body']).toContain(p.field);
            expect(typeof p.message).toBe('string');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
