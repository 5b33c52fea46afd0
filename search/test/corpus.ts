import type { EntityManager } from '@mikro-orm/postgresql';

// A fixed bilingual corpus for the contract suite. Every assertion names the documents it
// expects by these keys, so a backend that finds too much fails as surely as one that finds
// too little.

export interface Corpus {
  users: { admin: number; agent1: number; agent2: number; customer1: number; customer2: number; sara: number; inactive: number };
  groups: { support: number; billing: number };
  categories: { hardware: number; accounts: number };
  tickets: Record<TicketKey, number>;
  /** Translation ids (an article's search document is its translation). */
  articles: Record<ArticleKey, number>;
  kbCategories: { howto: number; internal: number };
  monitorTickets: number[];
}

type TicketKey = 'printer' | 'invoice' | 'persianPassword' | 'resetLink' | 'networkCard' | 'deleted' | 'order' | 'linkApart' | 'script' | 'billingPrinter';
type ArticleKey = 'resetEn' | 'resetFa' | 'playbook' | 'vpnDraft' | 'faxArchived' | 'vpnFa';

let seq = 0;
async function ticket(
  em: EntityManager,
  t: {
    subject: string;
    requester: number;
    group: number | null;
    assignee?: number | null;
    status: string;
    priority: string;
    category?: number | null;
    tags?: string[];
    messages: { kind: 'public' | 'internal'; text: string }[];
    deleted?: boolean;
    updatedDaysAgo?: number;
  },
): Promise<number> {
  const n = ++seq;
  const updated = new Date(Date.UTC(2026, 10, 30) - (t.updatedDaysAgo ?? 0) * 86_400_000);
  const [row] = await em.execute<{ id: number }[]>(
    `insert into tickets (number, subject, body_html, requester_id, source, priority, status, group_id, assignee_id, category_id, tags, created_at, updated_at, deleted_at)
     values (?, ?, '', ?, 'web', ?, ?, ?, ?, ?, ?::text[], ?, ?, ?) returning id`,
    [
      `TKT-2026-${String(900000 + n)}`,
      t.subject,
      t.requester,
      t.priority,
      t.status,
      t.group,
      t.assignee ?? null,
      t.category ?? null,
      `{${(t.tags ?? []).join(',')}}`,
      updated,
      updated,
      t.deleted ? updated : null,
    ],
  );
  for (const [i, m] of t.messages.entries())
    await em.execute(`insert into messages (ticket_id, kind, channel, body_html, body_text, idempotency_key, created_at) values (?, ?, 'web', ?, ?, ?, ?)`, [
      row!.id,
      m.kind,
      `<p>${m.text}</p>`,
      m.text,
      `corpus-${n}-${i}`,
      updated,
    ]);
  return row!.id;
}

async function article(
  em: EntityManager,
  a: {
    category: number | null;
    visibility: 'public' | 'internal';
    tags?: string[];
    translations: { lang: 'en' | 'fa'; title: string; slug: string; body: string; status: 'draft' | 'published' | 'archived' }[];
  },
): Promise<number[]> {
  const [row] = await em.execute<{ id: number }[]>(`insert into kb_articles (category_id, visibility, tags, created_at, updated_at) values (?, ?, ?::text[], now(), now()) returning id`, [
    a.category,
    a.visibility,
    `{${(a.tags ?? []).join(',')}}`,
  ]);
  const ids: number[] = [];
  for (const t of a.translations) {
    const [tr] = await em.execute<{ id: number }[]>(
      `insert into kb_article_translations (article_id, lang, title, slug, body_html, body_text, status, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, now(), now()) returning id`,
      [row!.id, t.lang, t.title, t.slug, `<p>${t.body}</p>`, t.body, t.status],
    );
    ids.push(tr!.id);
  }
  return ids;
}

export async function loadCorpus(em: EntityManager): Promise<Corpus> {
  const user = async (name: string, email: string, role: string, org: number | null = null, active = true) => {
    const [row] = await em.execute<{ id: number }[]>(
      `insert into users (email, name, role, locale, active, available, organization_id, created_at) values (?, ?, ?, 'en', ?, true, ?, now()) returning id`,
      [email, name, role, active, org],
    );
    return row!.id;
  };
  const [org] = await em.execute<{ id: number }[]>(`insert into organizations (name, created_at) values ('Rahavard Logistics', now()) returning id`);
  const group = async (name: string) => (await em.execute<{ id: number }[]>(`insert into groups (name, strategy, created_at) values (?, 'manual', now()) returning id`, [name]))[0]!.id;
  const category = async (name: string) => (await em.execute<{ id: number }[]>(`insert into categories (name) values (?) returning id`, [name]))[0]!.id;
  const kbCategory = async (en: string, fa: string) =>
    (await em.execute<{ id: number }[]>(`insert into kb_categories (names, created_at, updated_at) values (?::jsonb, now(), now()) returning id`, [JSON.stringify({ en, fa })]))[0]!.id;

  const users = {
    admin: await user('Ada Admin', 'ada@corp.example', 'admin'),
    agent1: await user('Arash Agent', 'arash@corp.example', 'agent'),
    agent2: await user('Bita Agent', 'bita@corp.example', 'agent'),
    customer1: await user('Cyrus Customer', 'cyrus@client.example', 'customer', org!.id),
    customer2: await user('Dana Customer', 'dana@other.example', 'customer'),
    sara: await user('Sara Ahmadi', 'sara.ahmadi@example.com', 'customer', org!.id),
    inactive: await user('Ghost Former', 'ghost@gone.example', 'customer', null, false),
  };
  const groups = { support: await group('Support corpus'), billing: await group('Billing corpus') };
  for (const [g, u] of [
    [groups.support, users.agent1],
    [groups.billing, users.agent2],
  ] as const)
    await em.execute('insert into group_members (group_id, user_id) values (?, ?)', [g, u]);
  const categories = { hardware: await category('Hardware corpus'), accounts: await category('Accounts corpus') };
  const kbCategories = { howto: await kbCategory('How-to', 'راهنما'), internal: await kbCategory('Runbooks', 'دستورالعمل') };

  const c1 = users.customer1;
  const c2 = users.customer2;
  const tickets = {
    printer: await ticket(em, {
      subject: 'Printer on floor 3 jams',
      requester: c1,
      group: groups.support,
      status: 'open',
      priority: 'high',
      category: categories.hardware,
      tags: ['printer'],
      messages: [
        { kind: 'public', text: 'The office printer jams every morning.' },
        { kind: 'internal', text: 'Supplier contract QX77 covers the repair.' },
      ],
    }),
    invoice: await ticket(em, {
      subject: 'Invoice 4521 is wrong',
      requester: c2,
      group: groups.billing,
      status: 'pending',
      priority: 'low',
      category: categories.accounts,
      tags: ['billing'],
      messages: [{ kind: 'public', text: 'I was charged twice for invoice ۴۵۲۱ this month.' }],
    }),
    persianPassword: await ticket(em, {
      subject: 'رمز عبور فراموش شده',
      requester: c1,
      group: groups.support,
      status: 'resolved',
      priority: 'normal',
      category: categories.accounts,
      messages: [{ kind: 'public', text: 'نمي‌توانم وارد حساب كاربري شوم' }],
    }),
    resetLink: await ticket(em, {
      subject: 'Password reset email',
      requester: c2,
      group: groups.support,
      status: 'open',
      priority: 'normal',
      messages: [
        { kind: 'public', text: 'The reset link expired before I clicked it.' },
        { kind: 'public', text: 'Now my kaleidoscope wallpaper is gone too.' },
      ],
    }),
    networkCard: await ticket(em, {
      subject: 'كارت شبكه كار نمي‌كند',
      requester: c1,
      group: groups.billing,
      status: 'closed',
      priority: 'urgent',
      messages: [{ kind: 'public', text: 'بعد از به‌روزرساني' }],
    }),
    deleted: await ticket(em, {
      subject: 'Phantom ticket',
      requester: c1,
      group: groups.support,
      status: 'open',
      priority: 'low',
      deleted: true,
      messages: [{ kind: 'public', text: 'phantom content' }],
    }),
    order: await ticket(em, {
      subject: 'سفارش شماره ۹۸۷۶ نرسید',
      requester: c2,
      group: groups.support,
      status: 'new',
      priority: 'normal',
      messages: [{ kind: 'public', text: 'بسته هنوز نرسیده است' }],
    }),
    linkApart: await ticket(em, {
      subject: 'Wrong link in newsletter',
      requester: c2,
      group: groups.support,
      status: 'open',
      priority: 'low',
      messages: [{ kind: 'public', text: 'The link did not reset my preferences.' }],
    }),
    script: await ticket(em, {
      subject: '<script>alert(1)</script> toner & drum',
      requester: c1,
      group: groups.support,
      status: 'open',
      priority: 'low',
      messages: [{ kind: 'public', text: 'Toner <b>smudges</b> & streaks' }],
    }),
    billingPrinter: await ticket(em, {
      subject: 'Printer invoice question',
      requester: c2,
      group: groups.billing,
      assignee: users.agent1,
      status: 'open',
      priority: 'normal',
      messages: [{ kind: 'public', text: 'Why is the printer lease on my bill?' }],
    }),
  };
  const monitorTickets: number[] = [];
  for (let i = 0; i < 25; i++)
    monitorTickets.push(
      await ticket(em, {
        subject: `Monitor flicker case ${i + 1}`,
        requester: i % 2 ? c1 : c2,
        group: groups.support,
        status: i % 3 ? 'open' : 'pending',
        priority: 'normal',
        tags: ['monitor'],
        messages: [{ kind: 'public', text: 'The monitor flickers after lunch.' }],
        updatedDaysAgo: i % 5,
      }),
    );

  const [resetEn, resetFa] = await article(em, {
    category: kbCategories.howto,
    visibility: 'public',
    tags: ['credentials'],
    translations: [
      { lang: 'en', title: 'How to reset your password', slug: 'reset-password', body: 'Open the sign-in page and choose "Forgot password". We e-mail you a link.', status: 'published' },
      { lang: 'fa', title: 'چگونه رمز عبور را بازنشانی کنیم', slug: 'بازنشانی-رمز-عبور', body: 'در صفحه ورود گزینه فراموشی رمز عبور را بزنید. پيوندي برايتان مي‌فرستيم.', status: 'published' },
    ],
  });
  const [playbook] = await article(em, {
    category: kbCategories.internal,
    visibility: 'internal',
    translations: [{ lang: 'en', title: 'Outage escalation playbook', slug: 'outage-playbook', body: 'Page the on-call engineer, then post on the status page.', status: 'published' }],
  });
  const [vpnDraft, vpnFa] = await article(em, {
    category: kbCategories.howto,
    visibility: 'public',
    translations: [
      { lang: 'en', title: 'Upcoming VPN migration', slug: 'vpn-migration', body: 'The VPN moves to a new gateway next quarter.', status: 'draft' },
      { lang: 'fa', title: 'راه‌اندازی VPN', slug: 'vpn-setup-fa', body: 'برای اتصال به VPN نرم‌افزار را نصب کنید.', status: 'published' },
    ],
  });
  const [faxArchived] = await article(em, {
    category: kbCategories.howto,
    visibility: 'public',
    translations: [{ lang: 'en', title: 'Legacy fax setup', slug: 'legacy-fax', body: 'Dial nine for an outside line.', status: 'archived' }],
  });
  return {
    users,
    groups,
    categories,
    kbCategories,
    tickets,
    monitorTickets,
    articles: { resetEn: resetEn!, resetFa: resetFa!, playbook: playbook!, vpnDraft: vpnDraft!, faxArchived: faxArchived!, vpnFa: vpnFa! },
  };
}
