import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMail, waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Mail threaded onto someone else's ticket (by token, In-Reply-To or References) from an address
// that is neither its requester, a participant nor staff: held as an internal note for review,
// never shown to the requester; staff publish it (a customer reply by that sender), publish and
// add the sender as a participant, or dismiss it. Admins may choose a ticket of its own instead
// (PUT /api/v1/settings/inbound); INBOUND_STRANGER_REPLIES is the default until they do.

interface InboundRow {
  status: string;
  reason: string | null;
  ticket_id: number | null;
}
interface MessageView {
  id: number;
  kind: string;
  bodyText: string;
  author: { id: number; name: string; role: string } | null;
  review: { status: string; from: string } | null;
}

async function setUp(env: Record<string, string> = {}) {
  const h = await startHarness({ inbound: true, env });
  // The environment's default applies only while no admin choice is stored (the database is shared by every test file).
  await h.orm.em.fork().execute(`delete from settings where key = 'inbound'`);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.inbound!.smtpPort, secure: false, ignoreTLS: true });
  const send = async (mail: Parameters<typeof transport.sendMail>[0]) => (await transport.sendMail({ to: 'support@mehrdesk.local', ...mail })).messageId as string;
  const processed = (messageId: string) =>
    eventually(async () => {
      const [r] = await h.orm.em.fork().execute<InboundRow[]>('select status, reason, ticket_id from inbound_emails where message_id = ?', [messageId]);
      return r && r.status !== 'received' ? r : null;
    }, `processing of ${messageId}`);
  return { h, send, processed };
}

describe('inbound mail from senders who are not on the ticket (default: held for review)', () => {
  let h: Harness;
  let send: Awaited<ReturnType<typeof setUp>>['send'];
  let processed: Awaited<ReturnType<typeof setUp>>['processed'];
  let admin: string;
  let customer: string;
  let t: { id: number; number: string; notification: string; original: string };
  const addr = (who: string) => `${who}-${h.fx.suffix}@elsewhere.example`;
  const messages = async (token: string, id = t.id) => (await h.call(token, 'GET', `/api/v1/tickets/${id}/messages`)).body.items as MessageView[];
  const held = async (text: string) => (await messages(admin)).find((m) => m.bodyText.includes(text))!;
  const review = (messageId: number, action: 'publish' | 'dismiss', body: unknown = {}, token = admin) => h.call(token, 'POST', `/api/v1/tickets/${t.id}/messages/${messageId}/${action}`, body);

  beforeAll(async () => {
    ({ h, send, processed } = await setUp());
    admin = await h.login(h.fx.users.admin.email);
    customer = await h.login(h.fx.users.customer.email);
    // The requester opens the ticket by e-mail, copying a colleague: the colleague is a participant.
    const original = await send({ from: h.fx.users.customer.email, cc: addr('colleague'), subject: 'Invoice 4711 is wrong', text: 'The amount on invoice 4711 is wrong.' });
    const row = await processed(original);
    expect(row.status).toBe('ticket_created');
    const ticket = (await h.call(admin, 'GET', `/api/v1/tickets/${row.ticket_id}`)).body;
    expect((await h.call(admin, 'POST', `/api/v1/tickets/${ticket.id}/assignee`, { assigneeId: h.fx.users.agent1.id })).status).toBe(200);
    const [received] = await waitForMail(h.mailUrl, (m) => m.subject.includes(ticket.number) && m.to.some((x) => x.includes(h.fx.users.customer.email)));
    t = { id: ticket.id, number: ticket.number, notification: received!.messageId!, original };
  });
  afterAll(() => h?.close());

  it('records the people copied on the first mail as participants; their replies thread as public replies', async () => {
    const parts = await h.orm.em.fork().execute<{ email: string }[]>('select email from ticket_participants where ticket_id = ?', [t.id]);
    expect(parts).toEqual([{ email: addr('colleague') }]);
    const id = await send({
      from: addr('colleague'),
      to: h.fx.users.customer.email,
      cc: 'support@mehrdesk.local',
      subject: 'RE: Invoice 4711 is wrong',
      text: 'Same on invoice 4712.',
      inReplyTo: t.original,
    });
    expect(await processed(id)).toMatchObject({ status: 'replied', ticket_id: t.id });
    expect((await messages(customer)).some((m) => m.bodyText.includes('Same on invoice 4712') && m.kind === 'public')).toBe(true);
  });

  const cases = [
    { via: 'token', sender: () => h.fx.users.customer2.email, mail: () => ({ subject: `Re: [${t.number}] action required`, text: 'PHISH-TOKEN: confirm your card at http://phish.example' }) },
    { via: 'In-Reply-To', sender: () => addr('stranger'), mail: () => ({ subject: 'Re: your ticket', text: 'PHISH-IRT: log in at http://phish.example', inReplyTo: t.notification }) },
    { via: 'References', sender: () => h.fx.users.customer2.email, mail: () => ({ subject: 'Re: your ticket', text: 'PHISH-REFS: send your password', references: [t.notification] }) },
  ] as const;

  for (const c of cases) {
    it(`holds a stranger's mail threaded by ${c.via} as an internal note for review, hidden from the requester`, async () => {
      const mail = c.mail();
      const id = await send({ from: c.sender(), ...mail });
      const row = await processed(id);
      expect(row).toMatchObject({ status: 'replied', ticket_id: t.id, reason: expect.stringContaining('held for review') });
      const note = await held(mail.text);
      expect(note).toMatchObject({ kind: 'internal', author: null, review: { status: 'held', from: c.sender() } });
      expect((await messages(customer)).some((m) => m.bodyText.includes(mail.text))).toBe(false);
      // The ticket's own status is untouched by a held mail.
      expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.requester.email).toBe(h.fx.users.customer.email);
    });
  }

  it('notifies nobody about a held mail (a real customer reply afterwards does notify the assignee)', async () => {
    const id = await send({ from: h.fx.users.customer.email, subject: `Re: [${t.number}]`, text: 'REAL-REPLY from the requester' });
    expect(await processed(id)).toMatchObject({ status: 'replied', ticket_id: t.id });
    await waitForMail(h.mailUrl, (m) => m.to.some((x) => x.includes(h.fx.users.agent1.email)) && (m.text ?? '').includes('REAL-REPLY'));
    const all = await listMail(h.mailUrl);
    expect(all.filter((m) => /PHISH-/.test(`${m.subject} ${m.text ?? ''}`))).toEqual([]);
  });

  it('staff may write into a ticket by e-mail as before (public reply by the agent)', async () => {
    const id = await send({ from: h.fx.users.agent2.email, subject: `Re: [${t.number}]`, text: 'STAFF-MAIL: we are on it' });
    expect(await processed(id)).toMatchObject({ status: 'replied', ticket_id: t.id, reason: 'subject-token' });
    expect((await messages(customer)).find((m) => m.bodyText.includes('STAFF-MAIL'))).toMatchObject({ kind: 'public', author: { id: h.fx.users.agent2.id } });
  });

  it('publishing a held mail makes it a public reply by its sender: the requester sees it, the ticket reopens, the assignee is told', async () => {
    expect((await h.call(admin, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' })).status).toBe(200);
    const note = await held('PHISH-TOKEN');
    const res = await review(note.id, 'publish');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'public', channel: 'email', bodyText: expect.stringContaining('PHISH-TOKEN'), author: { id: h.fx.users.customer2.id, role: 'customer' } });
    expect((await messages(customer)).some((m) => m.id === res.body.id && m.bodyText.includes('PHISH-TOKEN'))).toBe(true);
    expect((await held('PHISH-TOKEN')).review).toMatchObject({ status: 'published' });
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.status).toBe('open');
    await waitForMail(h.mailUrl, (m) => m.to.some((x) => x.includes(h.fx.users.agent1.email)) && (m.text ?? '').includes('PHISH-TOKEN'));
    // Once only: a second publish is refused and adds nothing.
    const again = await review(note.id, 'publish');
    expect(again.status).toBe(409);
    expect((await messages(customer)).filter((m) => m.bodyText.includes('PHISH-TOKEN'))).toHaveLength(1);
  });

  it('publish and add the sender as a participant (a new customer for an unknown address): their next mail threads as a reply', async () => {
    const note = await held('PHISH-IRT');
    const res = await review(note.id, 'publish', { addParticipant: true });
    expect(res.status).toBe(200);
    expect(res.body.author).toMatchObject({ role: 'customer' });
    const parts = await h.orm.em.fork().execute<{ email: string }[]>('select email from ticket_participants where ticket_id = ? order by email', [t.id]);
    expect(parts.map((p) => p.email)).toContain(addr('stranger'));
    const id = await send({ from: addr('stranger'), subject: `Re: [${t.number}]`, text: 'NOW-A-PARTICIPANT writes again' });
    expect(await processed(id)).toMatchObject({ status: 'replied', ticket_id: t.id, reason: 'subject-token' });
    expect((await messages(customer)).some((m) => m.bodyText.includes('NOW-A-PARTICIPANT'))).toBe(true);
  });

  it('dismissing a held mail keeps it internal; it can then no longer be published', async () => {
    const note = await held('PHISH-REFS');
    const res = await review(note.id, 'dismiss');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: note.id, kind: 'internal', review: { status: 'dismissed', from: h.fx.users.customer2.email } });
    expect((await review(note.id, 'publish')).status).toBe(409);
    expect((await review(note.id, 'dismiss')).status).toBe(409);
    expect((await messages(customer)).some((m) => m.bodyText.includes('PHISH-REFS'))).toBe(false);
    const timeline = (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/timeline`)).body.items as { type: string }[];
    expect(timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['message.held_published', 'message.held_dismissed']));
  });

  it('only staff who see the ticket may review, only held messages, with a clear 4xx otherwise', async () => {
    const id = await send({ from: h.fx.users.customer2.email, subject: `Re: [${t.number}]`, text: 'PHISH-PERMS' });
    await processed(id);
    const note = await held('PHISH-PERMS');
    expect((await review(note.id, 'publish', {}, customer)).status).toBe(403);
    expect((await review(note.id, 'publish', {}, await h.login(h.fx.users.outsider.email))).status).toBe(404);
    const bad = await review(note.id, 'publish', { addParticipant: 'yes' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.fields)).toContain('addParticipant');
    expect((await h.call(admin, 'POST', `/api/v1/tickets/${t.id}/messages/2147483648/publish`, {})).status).toBe(400);
    const publicOne = (await messages(admin)).find((m) => m.kind === 'public')!;
    expect((await review(publicOne.id, 'publish')).status).toBe(409);
    expect((await h.call(admin, 'POST', `/api/v1/tickets/${t.id}/messages/999999999/dismiss`, {})).status).toBe(404);
    expect((await held('PHISH-PERMS')).review).toMatchObject({ status: 'held' });
  });

  describe('the admin setting (PUT /api/v1/settings/inbound) decides, read for every mail', () => {
    const setting = (body?: unknown, token: string | null = admin) => h.call(token, body === undefined ? 'GET' : 'PUT', '/api/v1/settings/inbound', body);
    // Put back what the environment decides, for the tests and files that follow.
    afterAll(() => h.orm.em.fork().execute(`delete from settings where key = 'inbound'`));

    it('new_ticket: a stranger’s mail opens a ticket of its own; back to hold: held again', async () => {
      expect((await setting()).body).toEqual({ strangerReplies: 'hold', source: 'default' });
      expect(await setting({ strangerReplies: 'new_ticket' })).toMatchObject({ status: 200, body: { strangerReplies: 'new_ticket', source: 'admin' } });
      expect((await setting()).body).toEqual({ strangerReplies: 'new_ticket', source: 'admin' });
      const opened = await processed(await send({ from: h.fx.users.customer2.email, subject: `Re: [${t.number}] action required`, text: 'ADMIN-NEW-TICKET' }));
      expect(opened).toMatchObject({ status: 'ticket_created', reason: expect.stringContaining('is not on ticket') });
      expect(opened.ticket_id).not.toBe(t.id);
      expect((await h.call(admin, 'GET', `/api/v1/tickets/${opened.ticket_id}`)).body.requester.email).toBe(h.fx.users.customer2.email);
      expect((await messages(admin)).some((m) => m.bodyText.includes('ADMIN-NEW-TICKET'))).toBe(false);

      expect(await setting({ strangerReplies: 'hold' })).toMatchObject({ status: 200, body: { strangerReplies: 'hold', source: 'admin' } });
      const row = await processed(await send({ from: h.fx.users.customer2.email, subject: `Re: [${t.number}] action required`, text: 'ADMIN-HOLD-AGAIN' }));
      expect(row).toMatchObject({ status: 'replied', ticket_id: t.id, reason: expect.stringContaining('held for review') });
      expect(await held('ADMIN-HOLD-AGAIN')).toMatchObject({ kind: 'internal', review: { status: 'held' } });
    });

    it('only admins read or change it; a bad value is a 400 naming the field and changes nothing', async () => {
      const agent = await h.login(h.fx.users.agent1.email);
      const before = (await setting()).body;
      expect((await setting(undefined, agent)).status).toBe(403);
      expect((await setting({ strangerReplies: 'new_ticket' }, agent)).status).toBe(403);
      expect((await setting({ strangerReplies: 'new_ticket' }, customer)).status).toBe(403);
      expect((await setting({ strangerReplies: 'new_ticket' }, null)).status).toBe(401);
      for (const body of [{ strangerReplies: 'publish' }, {}, { strangerReplies: 'hold', extra: true }, { strangerReplies: null }]) {
        const bad = await setting(body);
        expect(bad.status, JSON.stringify(body)).toBe(400);
        expect(JSON.stringify(bad.body.error.fields)).toMatch(/strangerReplies|extra/);
      }
      expect((await setting()).body).toEqual(before);
    });
  });
});

describe('inbound mail from senders who are not on the ticket, INBOUND_STRANGER_REPLIES=new_ticket as the default', () => {
  let h: Harness;
  let send: Awaited<ReturnType<typeof setUp>>['send'];
  let processed: Awaited<ReturnType<typeof setUp>>['processed'];
  beforeAll(async () => {
    ({ h, send, processed } = await setUp({ INBOUND_STRANGER_REPLIES: 'new_ticket' }));
  });
  afterAll(() => h?.close());

  it('opens a ticket of its own for the stranger, and leaves the original ticket untouched', async () => {
    const admin = await h.login(h.fx.users.admin.email);
    expect((await h.call(admin, 'GET', '/api/v1/settings/inbound')).body).toEqual({ strangerReplies: 'new_ticket', source: 'default' });
    const original = await processed(await send({ from: h.fx.users.customer.email, subject: 'Printer', text: 'Printer jammed' }));
    const number = (await h.call(admin, 'GET', `/api/v1/tickets/${original.ticket_id}`)).body.number as string;
    const row = await processed(await send({ from: h.fx.users.customer2.email, subject: `Re: [${number}] Printer`, text: 'STRANGER-NEW-TICKET' }));
    expect(row).toMatchObject({ status: 'ticket_created', reason: expect.stringContaining('is not on ticket') });
    expect(row.ticket_id).not.toBe(original.ticket_id);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${row.ticket_id}`)).body.requester.email).toBe(h.fx.users.customer2.email);
    const onOriginal = (await h.call(admin, 'GET', `/api/v1/tickets/${original.ticket_id}/messages`)).body.items as MessageView[];
    expect(onOriginal.some((m) => m.bodyText.includes('STRANGER-NEW-TICKET'))).toBe(false);
  });
});
