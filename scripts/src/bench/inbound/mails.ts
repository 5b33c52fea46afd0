import type { SendMailOptions } from 'nodemailer';

// The messages of the inbound benchmark: new requests from many customers and replies threaded
// by In-Reply-To/References to tickets that already exist, some with a small attachment. Each
// message carries a Message-ID the benchmark chose, so its inbound row, ticket and message can
// be found again. Deterministic (seeded), so two runs send the same mix.

export interface PlannedMail {
  index: number;
  kind: 'new' | 'reply';
  messageId: string;
  sender: string;
  /** For replies: the ticket it must land on and the message it answers. */
  target: ReplyTarget | null;
  attachment: boolean;
  /** The mix asked for a reply here (it became a new request when no ticket could take one). */
  wantedReply: boolean;
  mail: SendMailOptions;
}

export interface ReplyTarget {
  ticketId: number;
  messageId: string;
  sender: string;
  subject: string;
}

/** mulberry32: small, fast, good enough to pick a mix. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS = [
  ['VPN refuses my password', 'Since this morning the VPN client says my password is wrong, but it works on the portal.'],
  ['Invoice 2026-114 is missing the discount', 'The invoice we received this week does not show the 10 % discount agreed in the contract.'],
  ['Printer on floor 3 jams', 'The printer near the kitchen jams on every second page; we already replaced the paper.'],
  ['Cannot export the monthly report', 'The export button spins forever and then shows an empty file.'],
  ['درخواست تغییر آدرس ارسال', 'لطفاً آدرس ارسال سفارش‌های بعدی را به دفتر جدید تغییر دهید.'],
  ['Password reset e-mail never arrives', 'I requested a reset three times; nothing in the inbox or in spam.'],
] as const;

const ATTACHMENT = Buffer.from(`timestamp,level,message\n${Array.from({ length: 40 }, (_, i) => `2026-11-21T10:${String(i).padStart(2, '0')}:00Z,ERROR,E_AUTH 401 for user ${i}`).join('\n')}\n`);

export const attachmentBytes = ATTACHMENT.length;

/**
 * Senders with a budget each: the worker ignores more than INBOUND_MAX_PER_SENDER messages
 * from one address in 10 minutes as a mail loop, so no sender gets near that.
 */
export class SenderPool {
  private readonly sent = new Map<string, number>();
  private next = 0;

  constructor(
    private readonly run: string,
    private readonly budget: number,
  ) {}

  hasBudget(address: string): boolean {
    return (this.sent.get(address) ?? 0) < this.budget;
  }

  use(address: string): void {
    this.sent.set(address, (this.sent.get(address) ?? 0) + 1);
  }

  /** A sender for a new request: the next customer; a new one when the current is used up. */
  fresh(): string {
    for (;;) {
      const address = `customer-${this.next}-${this.run}@bench.example`;
      if ((this.sent.get(address) ?? 0) < Math.min(3, this.budget)) return address;
      this.next++;
    }
  }

  get senders(): number {
    return this.sent.size;
  }
}

export interface MailMix {
  replyFraction: number;
  attachmentFraction: number;
}

export function planMail(index: number, run: string, random: () => number, mix: MailMix, senders: SenderPool, targets: ReplyTarget[]): PlannedMail {
  const messageId = `<bench-${index}-${run}@bench.example>`;
  const attachment = random() < mix.attachmentFraction;
  const wantReply = random() < mix.replyFraction;
  const eligible = wantReply ? targets.filter((t) => senders.hasBudget(t.sender)) : [];
  const target = eligible.length ? eligible[Math.floor(random() * eligible.length)]! : null;
  const topic = TOPICS[index % TOPICS.length]!;
  const sender = target ? target.sender : senders.fresh();
  senders.use(sender);
  const attachments = attachment ? [{ filename: `error-log-${index}.csv`, content: ATTACHMENT, contentType: 'text/csv' }] : [];
  const mail: SendMailOptions = target
    ? {
        from: sender,
        subject: `Re: ${target.subject}`,
        text: `Any news on this? It still happens (reply ${index}).\n\n> ${topic[1]}`,
        inReplyTo: target.messageId,
        references: [target.messageId],
        attachments,
      }
    : {
        from: `"Customer ${index}" <${sender}>`,
        subject: `${topic[0]} (#${index})`,
        text: `Hello,\n\n${topic[1]}\n\nRequest ${index} of the inbound benchmark.\n\nRegards`,
        attachments,
      };
  return { index, kind: target ? 'reply' : 'new', messageId, sender, target, attachment, wantedReply: wantReply, mail: { ...mail, messageId, to: 'support@mehrdesk.local' } };
}
