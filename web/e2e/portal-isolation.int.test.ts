import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { openSse } from '@mehrdesk/scripts/testing/sse';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { collectErrors, launchChromium } from './browser';
import { checkPage, newCustomerContext } from './portal-helpers';

// Customer B never reaches customer A's request, whatever B asks: the ticket, its messages, its
// attachments (pending or attached), its rating, status changes, replies, lists, search, the
// live stream, and the portal's own pages. Every refusal is a 404 (B does not learn it exists),
// and nothing of A's is written or changed by B's attempts.

let h: Harness;
let browser: Browser;
let a: string;
let b: string;
let supervisor: string;
let ticket: { id: number; number: string };
let attachmentId: number;
let pendingUpload: number;
const word = () => `wombat${h.fx.suffix.replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]!)}`;
const errors: string[] = [];

async function upload(token: string, name: string, content: string): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/plain' }), name);
  const res = await fetch(`${h.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  h = await startHarness({ search: true, env: { SURVEYS_ENABLED: 'true', SURVEY_DELAY_SECONDS: '1' } });
  browser = await launchChromium();
  a = await h.login(h.fx.users.customer.email);
  b = await h.login(h.fx.users.customer2.email);
  supervisor = await h.login(h.fx.users.supervisor.email);
  const file = await upload(a, 'secret-a.txt', 'only for A');
  expect(file.status, JSON.stringify(file.body)).toBe(201);
  const created = await h.call(a, 'POST', '/api/v1/tickets', { subject: `Private matter ${word()}`, body: `<p>My account number is ${word()}</p>`, attachmentIds: [file.body.id] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  ticket = { id: created.body.id, number: created.body.number };
  attachmentId = file.body.id;
  pendingUpload = (await upload(a, 'pending-a.txt', 'not sent yet')).body.id;
  expect((await h.call(supervisor, 'POST', `/api/v1/tickets/${ticket.id}/messages`, { body: '<p>We are on it</p>' })).status).toBe(201);
  // Resolved, so that a survey (a rating) exists.
  expect((await h.call(a, 'POST', `/api/v1/tickets/${ticket.id}/solve`)).status).toBe(200);
  await eventually(async () => (await h.call(a, 'GET', `/api/v1/tickets/${ticket.id}/survey`)).status === 200, 'the survey of the resolution', 30_000, 200);
  expect((await h.call(a, 'POST', `/api/v1/tickets/${ticket.id}/survey`, { rating: 'good', comment: 'A was happy' })).status).toBe(200);
  await h.searchCaughtUp();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

describe("customer B and customer A's request", () => {
  it('every API call about it answers 404 to B, and changes nothing', async () => {
    const rowBefore = await h.orm.em.fork().execute('select status, version, updated_at from tickets where id = ?', [ticket.id]);
    const surveyBefore = (await h.call(a, 'GET', `/api/v1/tickets/${ticket.id}/survey`)).body;
    const id = ticket.id;
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/v1/tickets/${id}`],
      ['GET', `/api/v1/tickets/${id}/messages`],
      ['POST', `/api/v1/tickets/${id}/messages`, { body: '<p>B writes into A</p>' }],
      ['POST', `/api/v1/tickets/${id}/reopen`],
      ['POST', `/api/v1/tickets/${id}/solve`],
      ['GET', `/api/v1/tickets/${id}/survey`],
      ['POST', `/api/v1/tickets/${id}/survey`, { rating: 'bad', comment: 'B was here' }],
      ['GET', `/api/v1/attachments/${attachmentId}`],
      ['POST', `/api/v1/attachments/${attachmentId}/link`],
      ['GET', `/api/v1/attachments/${pendingUpload}`],
    ];
    for (const [method, path, body] of calls) {
      const r = await h.call(b, method, path, body);
      expect([403, 404], `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
      expect(JSON.stringify(r.body), `${method} ${path}`).not.toContain('account number');
    }
    // Reading by id answers exactly 404: B does not learn that the request exists.
    for (const path of [`/api/v1/tickets/${id}`, `/api/v1/tickets/${id}/messages`, `/api/v1/tickets/${id}/survey`, `/api/v1/attachments/${attachmentId}`])
      expect((await h.call(b, 'GET', path)).status, path).toBe(404);
    // A's pending upload cannot be attached by B.
    const stolen = await h.call(b, 'POST', '/api/v1/tickets', { subject: 'Mine now', body: '<p>x</p>', attachmentIds: [pendingUpload] });
    expect(stolen.status, JSON.stringify(stolen.body)).toBe(422);
    // Lists and search show B nothing of A's.
    expect((await h.call(b, 'GET', `/api/v1/tickets?q=${word()}`)).body.items).toEqual([]);
    expect((await h.call(b, 'GET', `/api/v1/tickets?ids=${id}`)).body.items).toEqual([]);
    const search = await h.call(b, 'GET', `/api/v1/search?q=${word()}`);
    expect(search.status).toBe(200);
    expect(search.body.hits).toEqual([]);
    // Nothing changed.
    expect(await h.orm.em.fork().execute('select status, version, updated_at from tickets where id = ?', [ticket.id])).toEqual(rowBefore);
    expect((await h.call(a, 'GET', `/api/v1/tickets/${ticket.id}/survey`)).body).toEqual(surveyBefore);
    const messages = (await h.call(a, 'GET', `/api/v1/tickets/${ticket.id}/messages`)).body.items as { bodyText: string }[];
    expect(messages.some((m) => m.bodyText.includes('B writes'))).toBe(false);
  });

  it("B's live stream carries nothing of A's request", async () => {
    const own = await h.call(b, 'POST', '/api/v1/tickets', { subject: `B's own ${word()}`, body: '<p>B asks</p>' });
    expect(own.status).toBe(201);
    const stream = await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${b}` });
    try {
      expect(stream.status).toBe(200);
      await stream.next((f) => f.event === 'ready', 'ready');
      expect((await h.call(a, 'POST', `/api/v1/tickets/${ticket.id}/reopen`)).status).toBe(200);
      expect((await h.call(supervisor, 'POST', `/api/v1/tickets/${ticket.id}/messages`, { body: '<p>For A only</p>' })).status).toBe(201);
      expect((await h.call(supervisor, 'POST', `/api/v1/tickets/${own.body.id}/messages`, { body: '<p>For B</p>' })).status).toBe(201);
      // B's own event arrives after A's were published: had A's been sent to B, they would be here.
      await stream.next((f) => f.event === 'message.added' && f.data.ticketId === own.body.id, "B's own message event");
      expect(stream.frames.filter((f) => f.data?.ticketId === ticket.id)).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it("the portal shows B a not-found page for A's request and only B's own in the list", async () => {
    const context = await newCustomerContext(browser, h.baseUrl);
    const page = await context.newPage();
    collectErrors(page, errors);
    try {
      await page.goto('/portal/signin');
      await page.getByLabel('E-mail', { exact: true }).fill(h.fx.users.customer2.email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByTestId('signin-submit').click();
      await page.waitForURL(/\/portal\/tickets$/);
      await page.getByTestId('tickets-list').waitFor();
      expect(await page.getByTestId(`ticket-row-${ticket.id}`).count()).toBe(0);
      expect(await page.getByTestId('tickets-list').textContent()).not.toContain('Private matter');
      await page.goto(`/portal/tickets/${ticket.id}`);
      await page.getByRole('heading', { level: 1, name: 'Request not found' }).waitFor();
      expect(await page.content()).not.toContain('account number');
      await checkPage(page, 'isolation-not-found');
    } finally {
      await context.close();
    }
  });
});
