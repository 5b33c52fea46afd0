import { describe, expect, it } from 'vitest';
import type { InboundMail } from './parse';
import { copiedAddresses, decideThread, type ThreadLookups, type ThreadOptions } from './thread';

// Mail threaded onto a ticket by someone who is not on it (neither requester, participant nor
// staff) must not become a public reply: it is held for review, or opens a ticket of its own.

const NOTIF = '<notif-42@mehrdesk.local>';
const STORED = '<original-42@customer.example>';
const TICKET = { ticketId: 42, number: 'TKT-2026-000042', requester: 'alice@customer.example', participants: ['bob@customer.example'], status: 'open' };

const lookups: ThreadLookups = {
  async ticketByOutgoingMessageId(id) {
    return id === NOTIF ? { ticketId: 42, broadcast: false } : null;
  },
  async ticketByStoredMessageId(id) {
    return id === STORED ? 42 : null;
  },
  async ticketByNumber(number) {
    return number === TICKET.number ? { ticketId: 42, requesterEmail: TICKET.requester, participants: TICKET.participants, status: TICKET.status } : null;
  },
  async ticketRequester() {
    return { email: TICKET.requester, participants: TICKET.participants, status: TICKET.status };
  },
};

type Threading = 'token' | 'in-reply-to' | 'references';
function mail(from: string, via: Threading, extra: Partial<InboundMail> = {}): Pick<InboundMail, 'subject' | 'inReplyTo' | 'references' | 'from' | 'text'> {
  return {
    subject: via === 'token' ? `Re: [${TICKET.number}] your password expires` : 'Re: your password expires',
    inReplyTo: via === 'in-reply-to' ? NOTIF : null,
    references: via === 'references' ? [STORED] : [],
    from: { address: from, name: '' },
    text: 'Please confirm your password at http://phish.example',
    ...extra,
  };
}
const REASON: Record<Threading, string> = { token: 'subject-token', 'in-reply-to': 'in-reply-to:outgoing', references: 'references:stored' };
const decide = (m: ReturnType<typeof mail>, options: ThreadOptions = {}, sender?: { address: string; staff: boolean }) => decideThread(m, lookups, options, sender);

describe('decideThread: senders who are not on the ticket', () => {
  for (const via of ['token', 'in-reply-to', 'references'] as const) {
    it(`${via}: another customer or an unknown address is held for review, not replied`, async () => {
      for (const stranger of ['zed@other.example', 'nobody-we-know@phish.example']) {
        expect(await decide(mail(stranger, via))).toEqual({ action: 'hold', ticketId: 42, from: stranger, reason: REASON[via] });
      }
    });

    it(`${via}: the requester, a participant (any case) and staff reply as before`, async () => {
      expect(await decide(mail('alice@customer.example', via))).toEqual({ action: 'reply', ticketId: 42, reason: REASON[via] });
      expect(await decide(mail('Bob@Customer.Example', via))).toEqual({ action: 'reply', ticketId: 42, reason: REASON[via] });
      expect(await decide(mail('agent@mehrdesk.local', via), {}, { address: 'agent@mehrdesk.local', staff: true })).toEqual({ action: 'reply', ticketId: 42, reason: REASON[via] });
    });

    it(`${via}: with strangerReplies 'new_ticket' a stranger's mail opens a ticket of its own, saying why`, async () => {
      expect(await decide(mail('zed@other.example', via), { strangerReplies: 'new_ticket' })).toEqual({
        action: 'new_ticket',
        reason: `zed@other.example is not on ticket 42 (${REASON[via]})`,
      });
      expect(await decide(mail('alice@customer.example', via), { strangerReplies: 'new_ticket' })).toEqual({ action: 'reply', ticketId: 42, reason: REASON[via] });
    });
  }

  it('judges the resolved sender, not the From header, when the processor passes one', async () => {
    // e.g. a broken From where the sender was resolved from Reply-To
    expect(await decide(mail('', 'token'), {}, { address: 'alice@customer.example', staff: false })).toEqual({ action: 'reply', ticketId: 42, reason: 'subject-token' });
    expect(await decide(mail('alice@customer.example', 'token'), {}, { address: 'zed@other.example', staff: false })).toMatchObject({ action: 'hold', from: 'zed@other.example' });
  });

  it('a mail with no usable sender address is held, never replied', async () => {
    expect(await decide(mail('', 'in-reply-to'))).toEqual({ action: 'hold', ticketId: 42, from: '', reason: 'in-reply-to:outgoing' });
  });

  it('a stranger writing to a closed ticket still gets a follow-up ticket of their own (nothing reaches the old thread)', async () => {
    const closed: ThreadLookups = { ...lookups, ticketRequester: async () => ({ email: TICKET.requester, participants: [], status: 'closed' }) };
    expect(await decideThread(mail('zed@other.example', 'in-reply-to'), closed)).toEqual({ action: 'follow_up', ofTicketId: 42, reason: 'in-reply-to:outgoing' });
  });
});

describe('copiedAddresses (participants recorded from mail the requester sends)', () => {
  it('To and Cc minus our own addresses and the sender, lower-cased, once each', () => {
    expect(
      copiedAddresses(
        {
          from: { address: 'alice@customer.example', name: '' },
          to: ['support@mehrdesk.local', 'Carol@Customer.Example'],
          cc: ['carol@customer.example', 'ALICE@customer.example', 'help@mehrdesk.local', 'dan@partner.example'],
        },
        ['Support@Mehrdesk.Local', 'help@mehrdesk.local'],
      ),
    ).toEqual(['carol@customer.example', 'dan@partner.example']);
  });

  it('ignores blanks and stops at a sane number of addresses', () => {
    const many = Array.from({ length: 80 }, (_, i) => `p${i}@customer.example`);
    const got = copiedAddresses({ from: { address: 'alice@customer.example', name: '' }, to: ['', ...many], cc: [] }, []);
    expect(got).toHaveLength(50);
    expect(got[0]).toBe('p0@customer.example');
  });
});
