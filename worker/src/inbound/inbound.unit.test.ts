import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NO_TEXT_HTML, ticketBodyHtml } from './body';
import { classifyAutomated } from './classify';
import { extractMessageIds, parseInbound, type InboundMail } from './parse';
import { decideThread, findTicketToken, isForwarded, normalizeSubject, type ThreadLookups, type ThreadOptions } from './thread';

// ---------------------------------------------------------------------------------------
// Fixtures: raw RFC 5322 messages (CRLF) and an in-memory stand-in for the DB lookups.

const CRLF = '\r\n';
const raw = (headers: string[], body: string): string => [...headers, '', body.split('\n').join(CRLF)].join(CRLF);

const HOST = 'mehrdesk.local';
const NOTIF_42 = `<0123456789abcdef0123456789abcdef@${HOST}>`;
const NOTIF_42_OLD = `<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@${HOST}>`;
const NOTIF_7 = `<77777777777777777777777777777777@${HOST}>`;
const BROADCAST = `<bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@${HOST}>`;
const STORED_42 = '<CAF=x9Qm2@mail.gmail.com>';

interface TicketRow {
  number: string;
  requester: string;
  participants: string[];
  status: string;
}
const TICKETS: Record<number, TicketRow> = {
  42: { number: 'TKT-2026-000042', requester: 'alice@customer.example', participants: ['bob@customer.example'], status: 'open' },
  7: { number: 'TKT-2026-000007', requester: 'alice@customer.example', participants: [], status: 'closed' },
  99: { number: 'TKT-2026-000099', requester: 'zed@other.example', participants: [], status: 'open' },
  12: { number: 'HD-2026-000012', requester: 'alice@customer.example', participants: [], status: 'resolved' },
};
const OUTGOING: Record<string, { ticketId: number; broadcast: boolean }> = {
  [NOTIF_42]: { ticketId: 42, broadcast: false },
  [NOTIF_42_OLD]: { ticketId: 42, broadcast: false },
  [NOTIF_7]: { ticketId: 7, broadcast: false },
  [BROADCAST]: { ticketId: 99, broadcast: true },
};
const STORED: Record<string, number> = { [STORED_42]: 42 };

function fakeLookups(): ThreadLookups & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async ticketByOutgoingMessageId(id) {
      calls.push(`outgoing ${id}`);
      return OUTGOING[id] ?? null;
    },
    async ticketByStoredMessageId(id) {
      calls.push(`stored ${id}`);
      return STORED[id] ?? null;
    },
    async ticketByNumber(number) {
      calls.push(`number ${number}`);
      const entry = Object.entries(TICKETS).find(([, t]) => t.number === number);
      if (!entry) return null;
      const [id, t] = entry;
      return { ticketId: Number(id), requesterEmail: t.requester, participants: t.participants, status: t.status };
    },
    async ticketRequester(ticketId) {
      calls.push(`requester ${ticketId}`);
      const t = TICKETS[ticketId];
      if (!t) throw new Error(`no ticket ${ticketId}`);
      return { email: t.requester, participants: t.participants, status: t.status };
    },
  };
}

async function decide(message: string, options?: ThreadOptions) {
  const lookups = fakeLookups();
  const decision = await decideThread(await parseInbound(message), lookups, options);
  return { decision, calls: lookups.calls };
}

const OURS = { ourAddresses: ['support@mehrdesk.local', 'Help@Mehrdesk.Local'] };
async function classify(message: string) {
  return classifyAutomated(await parseInbound(message), OURS);
}

const base = (extra: string[], subject = 'Printer broken'): string[] => [
  'From: Alice Example <Alice@Customer.Example>',
  'To: Mehrdesk Support <support@mehrdesk.local>',
  `Subject: ${subject}`,
  'Date: Tue, 03 Mar 2026 10:15:00 +0100',
  'Message-ID: <m1@customer.example>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  ...extra,
];

// ---------------------------------------------------------------------------------------

describe('parseInbound', () => {
  it('parses a plain new mail into normalised fields', async () => {
    const mail = await parseInbound(
      raw(
        [
          'Return-Path: <alice@customer.example>',
          'Delivered-To: support@mehrdesk.local',
          'From: "Alice Example" <Alice@Customer.Example>',
          'To: Mehrdesk Support <SUPPORT@mehrdesk.local>, other@customer.example',
          'Cc: Bob <Bob@Customer.Example>',
          'Subject: Printer broken',
          'Date: Tue, 03 Mar 2026 10:15:00 +0100',
          'Message-ID: m1@customer.example',
          'X-Custom: One',
          'X-Custom: Two',
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
        ],
        'The printer on floor 2 is broken.\n',
      ),
    );
    expect(mail).toEqual({
      messageId: '<m1@customer.example>',
      inReplyTo: null,
      references: [],
      subject: 'Printer broken',
      from: { address: 'alice@customer.example', name: 'Alice Example' },
      fromSource: 'from',
      to: ['support@mehrdesk.local', 'other@customer.example'],
      cc: ['bob@customer.example'],
      deliveredTo: ['support@mehrdesk.local'],
      headers: {
        'return-path': '<alice@customer.example>',
        'delivered-to': 'support@mehrdesk.local',
        from: '"Alice Example" <Alice@Customer.Example>',
        to: 'Mehrdesk Support <SUPPORT@mehrdesk.local>, other@customer.example',
        cc: 'Bob <Bob@Customer.Example>',
        subject: 'Printer broken',
        date: 'Tue, 03 Mar 2026 10:15:00 +0100',
        'message-id': 'm1@customer.example',
        'x-custom': 'One',
        'mime-version': '1.0',
        'content-type': 'text/plain; charset=utf-8',
      },
      text: 'The printer on floor 2 is broken.\n',
      html: null,
      attachments: [],
      threadIndex: null,
      date: '2026-03-03T09:15:00.000Z',
    });
  });

  it('envelope recipients passed in override Delivered-To headers', async () => {
    const mail = await parseInbound(raw(base(['Delivered-To: x@mehrdesk.local']), 'hi'), {
      envelopeTo: ['Support@Mehrdesk.Local', 'support@mehrdesk.local'],
    });
    expect(mail.deliveredTo).toEqual(['support@mehrdesk.local']);
  });

  it('normalises In-Reply-To and References (brackets, order, duplicates, folding)', async () => {
    const mail = await parseInbound(raw(base(['In-Reply-To: <a@x> (sent by Outlook)', 'References: <r1@x>', ' <r2@x><r3@x>', '\t<r2@x>']), 'x'));
    expect(mail.inReplyTo).toBe('<a@x>');
    expect(mail.references).toEqual(['<r1@x>', '<r2@x>', '<r3@x>']);
    expect(extractMessageIds('bare1@x bare2@y')).toEqual(['<bare1@x>', '<bare2@y>']);
    expect(extractMessageIds('')).toEqual([]);
  });

  it('decodes a Persian subject (RFC 2047) and a UTF-8 body', async () => {
    const subject = 'پاسخ: چاپگر خراب است';
    const body = 'سلام، چاپگر طبقه دوم کار نمی‌کند.\n';
    const mail = await parseInbound(
      Buffer.from(
        raw(
          [
            'From: =?UTF-8?B?2LnZhNuM?= <ali@customer.example>',
            'To: support@mehrdesk.local',
            `Subject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`,
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=UTF-8',
            'Content-Transfer-Encoding: base64',
          ],
          Buffer.from(body).toString('base64'),
        ),
      ),
    );
    expect(mail.subject).toBe(subject);
    expect(mail.text).toBe(body);
    expect(mail.from).toEqual({ address: 'ali@customer.example', name: 'علی' });
  });

  it('decodes a quoted-printable UTF-8 HTML alternative', async () => {
    const mail = await parseInbound(
      raw(
        ['From: ali@customer.example', 'To: support@mehrdesk.local', 'Subject: =?utf-8?Q?=D8=B3=D9=84=D8=A7=D9=85?=', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="alt"'],
        [
          '--alt',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          '=D8=B3=D9=84=D8=A7=D9=85',
          '--alt',
          'Content-Type: text/html; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          '<p>=D8=B3=D9=84=D8=A7=D9=85</p>',
          '--alt--',
          '',
        ].join('\n'),
      ),
    );
    expect(mail.subject).toBe('سلام');
    expect(mail.text).toBe('سلام\n');
    expect(mail.html).toBe('<p>سلام</p>\n');
  });

  it('extracts attachments with file name, type, size and bytes', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\nfake pdf body\n', 'latin1');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const mail = await parseInbound(
      raw(
        ['From: alice@customer.example', 'To: support@mehrdesk.local', 'Subject: logs', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"'],
        [
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'see attached',
          '--b1',
          'Content-Type: application/pdf; name="report.pdf"',
          'Content-Disposition: attachment; filename="report.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          pdf.toString('base64'),
          '--b1',
          'Content-Type: IMAGE/PNG',
          'Content-Disposition: attachment; filename="=?UTF-8?B?2LnaqdizLnBuZw==?="',
          'Content-Transfer-Encoding: base64',
          '',
          png.toString('base64'),
          '--b1--',
          '',
        ].join('\n'),
      ),
    );
    expect(mail.text).toBe('see attached\n');
    expect(mail.attachments.map(({ filename, contentType, size }) => ({ filename, contentType, size }))).toEqual([
      { filename: 'report.pdf', contentType: 'application/pdf', size: pdf.length },
      { filename: 'عکس.png', contentType: 'image/png', size: 10 },
    ]);
    expect(Buffer.from(mail.attachments[0]!.content).equals(pdf)).toBe(true);
    expect([...mail.attachments[1]!.content]).toEqual([...png]);
    expect(mail.attachments[1]!.content).toBeInstanceOf(Uint8Array);
  });
});

// ---------------------------------------------------------------------------------------

describe('decideThread', () => {
  it('plain new mail -> new_ticket', async () => {
    const { decision, calls } = await decide(raw(base([]), 'Hello'));
    expect(decision).toEqual({ action: 'new_ticket' });
    expect(calls).toEqual([]);
  });

  it('reply by In-Reply-To to our notification (requester) -> reply, no participant', async () => {
    const { decision, calls } = await decide(raw(base([`In-Reply-To: ${NOTIF_42}`, `References: <ticket-42@${HOST}> ${NOTIF_42}`], 'Re: Printer broken'), 'ok'));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'in-reply-to:outgoing' });
    expect(calls).toEqual([`outgoing ${NOTIF_42}`, 'requester 42']);
  });

  it('Outlook reply: References + Thread-Index, "AW:"/[EXTERNAL] subject, no In-Reply-To -> reply', async () => {
    const message = raw(
      [
        'From: Alice <alice@customer.example>',
        'To: support@mehrdesk.local',
        'Subject: AW: [EXTERNAL] Ticket aktualisiert',
        'Thread-Topic: Ticket aktualisiert',
        'Thread-Index: AQHZx2lZ8Kq1c3b0Tk2w7m3qZJ1s3A==',
        `References: <ticket-42@${HOST}> ${NOTIF_42_OLD}`,
        ` ${NOTIF_42}`,
        'Message-ID: <AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>',
        'X-MS-Has-Attach:',
        'X-Auto-Response-Suppress: All',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset="iso-8859-1"',
        'Content-Transfer-Encoding: quoted-printable',
      ],
      'Danke, funktioniert wieder. Gr=FC=DFe',
    );
    const mail = await parseInbound(message);
    expect(mail.inReplyTo).toBeNull();
    expect(mail.threadIndex).toBe('AQHZx2lZ8Kq1c3b0Tk2w7m3qZJ1s3A==');
    expect(mail.text).toBe('Danke, funktioniert wieder. Grüße\n');
    const { decision, calls } = await decide(message);
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'references:outgoing' });
    // newest reference first, stops at the first hit
    expect(calls).toEqual([`outgoing ${NOTIF_42}`, 'requester 42']);
  });

  it('References resolve a stored message id (reply to a message we stored)', async () => {
    const { decision, calls } = await decide(raw(base([`References: ${STORED_42} <unknown@elsewhere>`], 'RE: x'), 'x'));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'references:stored' });
    expect(calls).toEqual(['outgoing <unknown@elsewhere>', 'stored <unknown@elsewhere>', `outgoing ${STORED_42}`, `stored ${STORED_42}`, 'requester 42']);
  });

  it('References resolve the <ticket-<id>@host> thread id; threadIdHosts restricts the host', async () => {
    const message = raw(base([`References: <ticket-42@${HOST}>`], 'SV: x'), 'x');
    expect((await decide(message)).decision).toEqual({
      action: 'reply',
      ticketId: 42,
      reason: 'references:thread-id',
    });
    expect((await decide(message, { threadIdHosts: [HOST] })).decision.action).toBe('reply');
    const foreign = raw(base(['References: <ticket-42@helpdesk.vendor.example>'], 'Re: x'), 'x');
    expect((await decide(foreign, { threadIdHosts: [HOST] })).decision).toEqual({ action: 'new_ticket' });
  });

  it('token-only threading with a rewritten subject', async () => {
    const { decision, calls } = await decide(raw(base([], 'پاسخ: [EXTERNAL] RE: Antw: Drucker [TKT-2026-000042] kaputt'), 'noch da'));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'subject-token' });
    expect(calls).toEqual(['number TKT-2026-000042']);
  });

  it('token format is exact: PREFIX-YYYY-NNNNNN inside brackets, prefix configurable', async () => {
    expect(findTicketToken('Re: [TKT-2026-000123] x')).toBe('TKT-2026-000123');
    expect(findTicketToken('Re: [tkt-2026-000123] x')).toBe('TKT-2026-000123');
    expect(findTicketToken('TKT-2026-000123 without brackets')).toBeNull();
    expect(findTicketToken('[TKT-2026-12345]')).toBeNull();
    expect(findTicketToken('[TKT-26-000123]')).toBeNull();
    expect(findTicketToken('[XTKT-2026-000123]')).toBeNull();
    expect(findTicketToken('[TKT-2026-000123]', 'HD')).toBeNull();
    expect(findTicketToken('AW: [HD-2026-000012]', 'HD')).toBe('HD-2026-000012');
    // an unknown token does not thread
    const { decision, calls } = await decide(raw(base([], 'Re: [TKT-2026-999999]'), 'x'));
    expect(decision).toEqual({ action: 'new_ticket' });
    expect(calls).toEqual(['number TKT-2026-999999']);
    // a configured prefix; resolved (not terminal) tickets get a reply
    expect((await decide(raw(base([], 'RE: [HD-2026-000012]'), 'x'), { ticketPrefix: 'HD' })).decision).toEqual({
      action: 'reply',
      ticketId: 12,
      reason: 'subject-token',
    });
  });

  it('a reply from an existing participant adds nobody', async () => {
    const { decision } = await decide(raw(['From: BOB <Bob@Customer.Example>', 'To: support@mehrdesk.local', 'Subject: Re: x', `In-Reply-To: ${NOTIF_42}`], 'x'));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'in-reply-to:outgoing' });
  });

  // A third party who is not yet a participant is held for review (see "strangers" below);
  // participants are recorded from the To/Cc of mail the requester sends.
  it('a third party replying who is not a participant -> hold (no new ticket, not a public reply)', async () => {
    const { decision } = await decide(
      raw(
        [
          'From: Carol <Carol@Customer.Example>',
          'To: alice@customer.example',
          'Cc: support@mehrdesk.local',
          'Subject: RE: Printer broken',
          `In-Reply-To: <m1@customer.example>`,
          `References: ${NOTIF_42} <m1@customer.example>`,
        ],
        'I have the same problem.',
      ),
    );
    expect(decision).toEqual({ action: 'hold', ticketId: 42, from: 'carol@customer.example', reason: 'references:outgoing' });
  });

  it("a BCC'd reply (we are in neither To nor Cc) still threads and never changes the requester", async () => {
    const message = raw(['From: Dave <dave@partner.example>', 'To: alice@customer.example', 'Subject: Re: Printer broken', `In-Reply-To: ${NOTIF_42}`], 'Replying to Alice, BCC to support.');
    const mail = await parseInbound(message, { envelopeTo: ['support@mehrdesk.local'] });
    expect(mail.to).toEqual(['alice@customer.example']);
    expect(mail.cc).toEqual([]);
    expect(mail.deliveredTo).toEqual(['support@mehrdesk.local']);
    const decision = await decideThread(mail, fakeLookups());
    // The decision carries no requester at all; Dave is no participant, so his mail is held.
    expect(decision).toEqual({ action: 'hold', ticketId: 42, from: 'dave@partner.example', reason: 'in-reply-to:outgoing' });
  });

  it('a reply to a broadcast notification is NOT merged into one of its tickets', async () => {
    const { decision, calls } = await decide(raw(base([`In-Reply-To: ${BROADCAST}`, `References: <ticket-99@${HOST}> ${BROADCAST}`], 'Re: Maintenance Saturday 02:00'), 'Will the VPN be down too?'));
    expect(decision).toEqual({ action: 'new_ticket' });
    // header threading stops at the broadcast: the older <ticket-99@...> is not consulted
    expect(calls).toEqual([`outgoing ${BROADCAST}`]);
  });

  it('a reply to a broadcast that carries a ticket token threads by the token', async () => {
    const { decision } = await decide(raw(base([`In-Reply-To: ${BROADCAST}`], 'Re: Maintenance Saturday [TKT-2026-000042]'), 'x'));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'subject-token' });
  });

  it('a forwarded message opens a new ticket even if its headers point at a ticket', async () => {
    for (const subject of ['Fwd: Printer broken', 'WG: Printer broken', 'TR: Printer broken', '[EXTERNAL] FW: Printer broken']) {
      const { decision, calls } = await decide(raw(base([`In-Reply-To: ${NOTIF_42}`, `References: ${NOTIF_42}`], subject), 'fyi'));
      expect(decision, subject).toEqual({ action: 'new_ticket' });
      expect(calls, subject).toEqual([]);
    }
  });

  it('a "Forwarded message" block without a Fwd: prefix is a forward too', async () => {
    const { decision } = await decide(
      raw(base([`References: ${NOTIF_42}`], 'Printer broken'), 'See below.\n\n---------- Forwarded message ---------\nFrom: Alice <alice@customer.example>\nSubject: Printer broken\n'),
    );
    expect(decision).toEqual({ action: 'new_ticket' });
  });

  it('a forwarded message with a token threads by the token (held: Erin is not on the ticket)', async () => {
    const { decision, calls } = await decide(
      raw(['From: Erin <erin@customer.example>', 'To: support@mehrdesk.local', 'Subject: WG: [TKT-2026-000042] Printer broken', `In-Reply-To: ${NOTIF_7}`], 'fyi'),
    );
    expect(decision).toEqual({ action: 'hold', ticketId: 42, from: 'erin@customer.example', reason: 'subject-token' });
    expect(calls).toEqual(['number TKT-2026-000042']);
  });

  it('a reply that only quotes an earlier forward is a reply, not a forward', async () => {
    const mail = {
      subject: 'Re: Fwd: Printer broken',
      text: 'Thanks!\n\n> ---------- Forwarded message ---------\n> From: x\n',
    };
    expect(isForwarded(mail)).toBe(false);
    expect(isForwarded({ subject: 'Printer broken', text: mail.text })).toBe(false);
    expect(isForwarded({ subject: 'Printer', text: 'Begin forwarded message:\n\nFrom: x' })).toBe(true);
    const { decision } = await decide(raw(base([`In-Reply-To: ${NOTIF_42}`], mail.subject), mail.text));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'in-reply-to:outgoing' });
  });

  it('a reply to a closed ticket -> follow_up (by header and by token)', async () => {
    expect((await decide(raw(base([`In-Reply-To: ${NOTIF_7}`], 'Re: x'), 'again broken'))).decision).toEqual({
      action: 'follow_up',
      ofTicketId: 7,
      reason: 'in-reply-to:outgoing',
    });
    expect((await decide(raw(base([], 'AW: [TKT-2026-000007] x'), 'again'))).decision).toEqual({
      action: 'follow_up',
      ofTicketId: 7,
      reason: 'subject-token',
    });
  });

  it('header threading takes precedence over a (different) subject token', async () => {
    const { decision } = await decide(raw(base([`In-Reply-To: ${NOTIF_42}`], 'Re: [TKT-2026-000007]'), 'x'));
    expect(decision).toEqual({ action: 'reply', ticketId: 42, reason: 'in-reply-to:outgoing' });
  });

  it('normalizeSubject strips tags and reply/forward prefixes in any language', () => {
    expect(normalizeSubject('AW: [EXTERNAL] RE: SV: Antw: پاسخ: WG: Fwd: Re[2]: Drucker')).toBe('Drucker');
    expect(normalizeSubject('[TKT-2026-000042] Re: x')).toBe('[TKT-2026-000042] Re: x');
    expect(normalizeSubject('Reminder: meeting')).toBe('Reminder: meeting');
  });
});

// ---------------------------------------------------------------------------------------

describe('classifyAutomated', () => {
  const plain = (extra: string[], from = 'Alice <alice@customer.example>'): string => raw([`From: ${from}`, 'To: support@mehrdesk.local', 'Subject: x', 'Content-Type: text/plain', ...extra], 'x');

  it('a normal Outlook mail with X-Auto-Response-Suppress: All is NOT automated', async () => {
    expect(
      await classify(
        plain([
          'X-Auto-Response-Suppress: All',
          'Thread-Index: AQHZx2lZ8Kq1c3b0Tk2w7m3qZJ1s3A==',
          'X-MS-Exchange-Organization-AuthAs: Internal',
          'Return-Path: alice@customer.example',
          'Precedence: first-class',
          'Auto-Submitted: no',
        ]),
      ),
    ).toEqual({ automated: false });
    expect(await classify(plain(['X-Auto-Response-Suppress: OOF, AutoReply']))).toEqual({ automated: false });
  });

  it.each([
    ['Auto-Submitted: auto-replied', 'auto-submitted:auto-replied'],
    ['Auto-Submitted: auto-generated; owner-email="x@y"', 'auto-submitted:auto-generated'],
    ['X-Autoreply: yes', 'x-autoreply'],
    ['X-Autorespond: Out of office', 'x-autorespond'],
    ['Precedence: bulk', 'precedence:bulk'],
    ['Precedence: JUNK', 'precedence:junk'],
    ['Precedence: list', 'precedence:list'],
    ['Precedence: auto_reply', 'precedence:auto_reply'],
    ['List-Id: Customers <customers.lists.example>', 'list:list-id'],
    ['List-Unsubscribe: <mailto:unsub@news.example>', 'list:list-unsubscribe'],
    ['Return-Path: <>', 'bounce:null-return-path'],
    ['X-Mehrdesk-Ticket: TKT-2026-000042', 'loop:x-mehrdesk-ticket'],
  ])('header %s -> %s', async (header, reason) => {
    expect(await classify(plain([header]))).toEqual({ automated: true, reason });
  });

  it.each([
    ['MAILER-DAEMON@mx.customer.example', 'sender:mailer-daemon'],
    ['postmaster@customer.example', 'sender:postmaster'],
    ['noreply@shop.example', 'sender:noreply'],
    ['no-reply@shop.example', 'sender:no-reply'],
    ['no-reply-billing@shop.example', 'sender:no-reply-billing'],
    ['Help@MEHRDESK.local', 'loop:own-address'],
    ['support@mehrdesk.local', 'loop:own-address'],
  ])('sender %s -> %s', async (from, reason) => {
    expect(await classify(plain([], from))).toEqual({ automated: true, reason });
  });

  it('senders that merely resemble automated ones are not automated', async () => {
    expect(await classify(plain([], 'noreplyman@customer.example'))).toEqual({ automated: false });
    expect(await classify(plain([], 'postmaster.jane@customer.example'))).toEqual({ automated: false });
  });

  it('a multipart/report delivery status notification is automated', async () => {
    const dsn = raw(
      [
        'From: Mail Delivery System <bounces@mx.customer.example>',
        'To: support@mehrdesk.local',
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      ],
      [
        '--r',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--r',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.customer.example',
        '',
        'Final-Recipient: rfc822; nobody@customer.example',
        'Action: failed',
        'Status: 5.1.1',
        '--r',
        'Content-Type: message/rfc822',
        '',
        'From: support@mehrdesk.local',
        'Subject: [TKT-2026-000042] Update',
        '',
        'body',
        '--r--',
        '',
      ].join('\n'),
    );
    expect(await classify(dsn)).toEqual({ automated: true, reason: 'report:multipart/report' });
    const mail = await parseInbound(dsn);
    expect(mail.attachments.map((a) => a.contentType)).toEqual(['message/delivery-status', 'message/rfc822']);
    // the part alone is enough, even when the top-level type is not multipart/report
    expect(classifyAutomated({ ...mail, headers: { ...mail.headers, 'content-type': 'multipart/mixed' } }, OURS)).toEqual({ automated: true, reason: 'report:message/delivery-status' });
  });
});

// ---------------------------------------------------------------------------------------
// The hard cases of real-world mail (worker/test/fixtures/mail/*.eml, written for these tests).

const fixture = (name: string) => readFile(new URL(`../../test/fixtures/mail/${name}.eml`, import.meta.url));
const FIXTURES = [
  'whitespace-only-body',
  'remote-image-only-html',
  'reply-to-without-from',
  'two-from-first-broken',
  'from-null-address-first',
  'encoded-word-name-with-comma',
  'no-usable-sender',
  'gb2312-undeclared',
  'shift-jis-undeclared',
  'latin1-undeclared',
  'nul-in-subject-and-body',
  'nameless-parts',
];
/** Every string of a parsed mail (attachment bytes left out). */
const strings = (mail: InboundMail) => JSON.stringify({ ...mail, attachments: mail.attachments.map((a) => a.filename) });

describe('parseInbound over the hard-case corpus', () => {
  it.each(FIXTURES)('%s: every text is storable and nothing is a replacement character', async (name) => {
    const text = strings(await parseInbound(await fixture(name)));
    expect(text).not.toMatch(/\\u0000|\uFFFD/);
  });

  it.each([
    ['reply-to-without-from', { address: 'kaveh.rostami@mail.example', name: 'Kaveh Rostami' }, 'reply-to'],
    ['two-from-first-broken', { address: 'lena.vogt@firma.example', name: 'Lena Vogt' }, 'from'],
    ['from-null-address-first', { address: 'dana.whitfield@partner.example', name: 'Dana Whitfield' }, 'from'],
    ['encoded-word-name-with-comma', { address: 'andreas.buerling@werk.example', name: 'Bürling, Andreas' }, 'from'],
  ])('%s: the sender is the first usable address', async (name, from, source) => {
    const mail = await parseInbound(await fixture(name));
    expect(mail.from).toEqual(from);
    expect(mail.fromSource).toBe(source);
  });

  it('no usable From, Sender, Reply-To or envelope address: no sender at all, never a made-up one', async () => {
    const raw = await fixture('no-usable-sender');
    expect(await parseInbound(raw)).toMatchObject({ from: { address: '', name: '' }, fromSource: null });
    expect(await parseInbound(raw, { envelopeFrom: '' })).toMatchObject({ from: { address: '', name: '' }, fromSource: null });
    expect(await parseInbound(raw, { envelopeFrom: 'not an address' })).toMatchObject({ from: { address: '' }, fromSource: null });
    expect(await parseInbound(raw, { envelopeFrom: 'Reports@Legacy-App.Example' })).toMatchObject({
      from: { address: 'reports@legacy-app.example', name: '' },
      fromSource: 'envelope',
    });
  });

  it('Sender comes before Reply-To, the envelope last; without an envelope Return-Path stands in (IMAP)', async () => {
    const mail = (extra: string[]) => raw(['To: support@mehrdesk.local', 'Subject: s', ...extra], 'x');
    expect(await parseInbound(mail(['From: broken', 'Sender: Desk <desk@customer.example>', 'Reply-To: r@customer.example']), { envelopeFrom: 'e@customer.example' })).toMatchObject({
      from: { address: 'desk@customer.example', name: 'Desk' },
      fromSource: 'sender',
    });
    expect(await parseInbound(mail(['Return-Path: <bounce@customer.example>']))).toMatchObject({ from: { address: 'bounce@customer.example' }, fromSource: 'envelope' });
    expect(await parseInbound(mail(['Return-Path: <bounce@customer.example>']), { envelopeFrom: '' })).toMatchObject({ from: { address: '' }, fromSource: null });
    // a syntactically broken or overlong address is not usable
    const long = `${'a'.repeat(250)}@x.example`;
    expect(await parseInbound(mail([`From: ${long}`, 'Reply-To: x@@y.example, ok@customer.example']))).toMatchObject({ from: { address: 'ok@customer.example' }, fromSource: 'reply-to' });
  });

  it.each([
    ['gb2312-undeclared', '打印机不能用', '王小明', '我们办公室的打印机从昨天开始就不能用了'],
    ['shift-jis-undeclared', 'プリンターが壊れました', '山田太郎', '二階のプリンターが昨日から動きません'],
    ['latin1-undeclared', 'Drucker im Büro defekt', 'Jürgen Müller', 'Grüße aus Köln'],
  ])('%s: undeclared 8-bit header and body are detected, not turned into U+FFFD', async (name, subject, sender, body) => {
    const mail = await parseInbound(await fixture(name));
    expect(mail.subject).toBe(subject);
    expect(mail.from.name).toBe(sender);
    expect(mail.text).toContain(body);
  });

  it('an undeclared 8-bit part inside a multipart gets its charset; its declared sibling is read as declared', async () => {
    const mail = await parseInbound(
      Buffer.concat([
        Buffer.from(
          raw(
            ['From: a@customer.example', 'Subject: s', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b"'],
            '--b\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n',
          ),
        ),
        Buffer.from('Die Rechnung f\xfcr M\xe4rz ist falsch, bitte pr\xfcfen Sie die Betr\xe4ge.\r\n', 'latin1'),
        Buffer.from('--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Die Rechnung für März</p>\r\n--b--\r\n'),
      ]),
    );
    expect(mail.text).toBe('Die Rechnung für März ist falsch, bitte prüfen Sie die Beträge.\n');
    expect(mail.html).toBe('<p>Die Rechnung für März</p>\n');
  });

  it('declared charsets and valid UTF-8 are left alone', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(
        raw(
          base([]).map((h) => h.replace('charset=utf-8', 'charset=iso-8859-15')),
          '',
        ),
      ),
      Buffer.from('Gr\xfc\xdfe \xa4\r\n', 'latin1'),
    ]);
    expect((await parseInbound(latin1)).text).toBe('Grüße €\n');
    const utf8 = Buffer.from(raw(['From: Jörg <j@customer.example>', 'Subject: Grüße', 'Content-Type: text/plain'], 'Grüße'));
    expect(await parseInbound(utf8)).toMatchObject({ subject: 'Grüße', from: { name: 'Jörg' }, text: 'Grüße\n' });
  });

  it('NULs in subject and body are removed, lone surrogates replaced (storable text)', async () => {
    const mail = await parseInbound(await fixture('nul-in-subject-and-body'));
    expect(mail.subject).toBe('Export failed');
    expect(mail.text).toContain('name=ACME GmbH');
    expect(mail.from).toEqual({ address: 'olaf.berg@legacy.example', name: 'Olaf Berg' });
  });

  it('parts without names get names from Content-ID, Content-Type or the attached message subject', async () => {
    const mail = await parseInbound(await fixture('nameless-parts'));
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['image001.png', 'image/png'],
      ['attachment-2.pdf', 'application/pdf'],
      ['Your order 4711 has shipped.eml', 'message/rfc822'],
    ]);
  });
});

describe('ticketBodyHtml', () => {
  it('whitespace-only and remote-image-only bodies become the "(no text)" marker', async () => {
    expect(ticketBodyHtml(await parseInbound(await fixture('whitespace-only-body')))).toBe(NO_TEXT_HTML);
    expect(ticketBodyHtml(await parseInbound(await fixture('remote-image-only-html')))).toBe(NO_TEXT_HTML);
    expect(ticketBodyHtml({ html: null, text: '' })).toBe(NO_TEXT_HTML);
  });

  it('keeps visible HTML, and falls back to the text part when the HTML shows nothing', () => {
    expect(ticketBodyHtml({ html: '<p>Hello</p>', text: 'Hello' })).toBe('<p>Hello</p>');
    expect(ticketBodyHtml({ html: '<img src="http://x.example/a.png">', text: 'See the <picture>\n\nthanks' })).toBe('<p>See the &lt;picture&gt;</p><p>thanks</p>');
    expect(ticketBodyHtml({ html: null, text: 'line 1\nline 2' })).toBe('<p>line 1<br>line 2</p>');
  });
});
