import type { MikroORM } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import { hashPassword } from '@mehrdesk/core/services/passwords';
import {
  CATEGORIES,
  EN_TEMPLATES,
  EN_WORDS,
  FA_TEMPLATES,
  FA_WORDS,
  FIRST_NAMES,
  GROUPS,
  KB_CATEGORIES,
  KB_TITLES_EN,
  KB_TITLES_FA,
  LAST_NAMES,
  ORG_KINDS,
  ORG_WORDS,
  SUBJECTS_EN,
  SUBJECTS_FA,
  TAGS,
} from './vocabulary';

// The search benchmark's data, generated inside PostgreSQL (generate_series, random() seeded by
// setseed, so every run writes the same corpus): organisations, customers, agents in groups,
// categories, tickets with their messages (English and Persian, a Zipf-like word distribution,
// Persian written with Arabic yeh/kaf now and then, ZWNJ words, Persian digits), internal notes,
// and a bilingual knowledge base. The whole load runs in one transaction with
// `session_replication_role = replica`, so the search triggers (and foreign-key checks) stay
// quiet: the outbox is not filled, the benchmark's full reindex indexes everything.

export interface GenerateOptions {
  tickets: number;
  /** Average messages per ticket (1 … 2×avg−1, uniform). */
  messagesPerTicket: number;
  customers: number;
  organizations: number;
  agents: number;
  articles: number;
  seed: number;
}

export interface GenerateResult {
  seconds: number;
  steps: Array<{ step: string; seconds: number }>;
  counts: {
    tickets: number;
    messages: number;
    internalNotes: number;
    customers: number;
    organizations: number;
    agents: number;
    groups: number;
    categories: number;
    kbArticles: number;
    kbTranslations: number;
    kbPublished: number;
  };
  /** Text volume of the messages (body_text), bytes. */
  messageTextBytes: number;
  /** Users the query mix signs in as (password `password`), and the agent's groups. */
  logins: { agent: { id: number; email: string; groupIds: number[] }; customer: { id: number; email: string; tickets: number } };
  groupIds: number[];
  categoryIds: number[];
  outboxRows: number;
}

export const BENCH_PASSWORD = 'bench-search-1';
const CHUNK = 100_000;
const PERSIAN_DIGITS = `translate(%s, '0123456789', '۰۱۲۳۴۵۶۷۸۹')`;

export async function generateData(orm: MikroORM, o: GenerateOptions, log: (m: string) => void): Promise<GenerateResult> {
  const steps: GenerateResult['steps'] = [];
  const t0 = performance.now();
  let mark = t0;
  const step = (name: string) => {
    const now = performance.now();
    steps.push({ step: name, seconds: (now - mark) / 1000 });
    log(`  generate: ${name} ${((now - mark) / 1000).toFixed(1)} s`);
    mark = now;
  };

  await orm.em.fork().transactional(async (tx) => {
    const x = (sql: string, params: unknown[] = []) => tx.execute(sql, params);
    await x('set local session_replication_role = replica');
    await x('set local max_parallel_workers_per_gather = 0'); // one process draws the random numbers: same corpus every run
    await x(`set local work_mem = '256MB'`);
    await x('set local synchronous_commit = off');
    await x('select setseed(?)', [o.seed]);

    // ---- vocabularies and sentence pools
    await x(`create temp table bench_vocab (lang text, rank int, word text, primary key (lang, rank)) on commit drop`);
    await x(`insert into bench_vocab select 'en', i, w from unnest(?::text[]) with ordinality as v(w, i)`, [pgArray(EN_WORDS)]);
    await x(`insert into bench_vocab select 'fa', i, w from unnest(?::text[]) with ordinality as v(w, i)`, [pgArray(FA_WORDS)]);
    await x(`create temp table bench_templates (kind text, lang text, text text) on commit drop`);
    for (const [kind, lang, list] of [
      ['body', 'en', EN_TEMPLATES],
      ['body', 'fa', FA_TEMPLATES],
      ['subject', 'en', SUBJECTS_EN],
      ['subject', 'fa', SUBJECTS_FA],
    ] as const)
      await x(`insert into bench_templates select ?, ?, t from unnest(?::text[]) t`, [kind, lang, pgArray(list)]);

    // A pool of sentences per language: word salad drawn Zipf-like (rank = ⌊e^(U·ln(n+1))⌋, so
    // P(rank k) ≈ ln(1 + 1/k) ∝ 1/k), plus real sentences with numbers (Persian digits mostly).
    // `words` = salad sentences, `copies` = instances of each template.
    const pool = async (table: string, kind: 'body' | 'subject', words: { en: number; fa: number }, minWords: number, spread: number, copies: number) => {
      await x(`create temp table ${table} (lang text, idx int, text text, primary key (lang, idx)) on commit drop`);
      await x(
        `with nv as (select lang, count(*)::int as n from bench_vocab group by lang),
         s as (select l.lang, sid, pos, least(nv.n, floor(exp(random() * ln(nv.n + 1)))::int) as rank
                 from (values ('en', ?::int), ('fa', ?::int)) l(lang, cnt) join nv using (lang),
                      generate_series(1, l.cnt) sid, generate_series(1, ${minWords} + (sid * 7) % ${spread}) pos),
         salad as (select s.lang, s.sid, string_agg(v.word, ' ' order by s.pos) as text from s join bench_vocab v using (lang, rank) group by s.lang, s.sid),
         numbered as (select t.lang, t.text, c, 100 + floor(random() * 99900)::int as n, random() < 0.7 as persian_digits
                        from bench_templates t, generate_series(1, ?::int) c where t.kind = ?),
         tmpl as (select lang, replace(text, '{n}', case when lang = 'fa' and persian_digits then ${PERSIAN_DIGITS.replace('%s', 'n::text')} else n::text end) as text from numbered),
         alltext as (select lang, text from salad union all select lang, text from tmpl)
         insert into ${table} select lang, row_number() over (partition by lang order by random()), text from alltext`,
        [words.en, words.fa, copies, kind],
      );
    };
    await pool('bench_pool', 'body', { en: 30_000, fa: 20_000 }, 5, 10, 300);
    await pool('bench_subjects', 'subject', { en: 3_000, fa: 2_000 }, 3, 4, 100);
    await x(`create temp table bench_pool_n on commit drop as select lang, count(*)::int as cnt from bench_pool group by lang`);
    await x(`create temp table bench_subjects_n on commit drop as select lang, count(*)::int as cnt from bench_subjects group by lang`);
    step('vocabularies and sentence pools');

    // ---- people, groups, categories
    await x(
      `insert into organizations (name, created_at)
       select (?::text[])[1 + (i % ?)] || ' ' || (?::text[])[1 + (i / ?) % ?] || ' ' || i, now() - interval '3 years'
         from generate_series(1, ?::int) i`,
      [pgArray(ORG_WORDS), ORG_WORDS.length, pgArray(ORG_KINDS), ORG_WORDS.length, ORG_KINDS.length, o.organizations],
    );
    await x(
      `create temp table bench_orgs on commit drop as select row_number() over (order by id)::int as k, id from organizations where name ~ ' [0-9]+$' and created_at < now() - interval '2 years'`,
    );
    await x(
      `insert into users (email, name, role, locale, active, available, organization_id, created_at)
       select 'customer' || i || '@bench' || o.k || '.example', (?::text[])[1 + floor(random() * ?)::int] || ' ' || (?::text[])[1 + floor(random() * ?)::int],
              'customer', case when random() < 0.35 then 'fa' else 'en' end, true, true, o.id, now() - interval '2 years'
         from generate_series(1, ?::int) i join bench_orgs o on o.k = 1 + (i % (select count(*) from bench_orgs))`,
      [pgArray(FIRST_NAMES), FIRST_NAMES.length, pgArray(LAST_NAMES), LAST_NAMES.length, o.customers],
    );
    await x(`create temp table bench_customers on commit drop as select row_number() over (order by id)::int as k, id, organization_id from users where email like 'customer%@bench%.example'`);
    await x(`create index on bench_customers (k)`);
    await x(
      `insert into users (email, name, role, locale, active, available, created_at)
       select 'agent' || i || '@bench.example', (?::text[])[1 + (i % ?)] || ' Agent ' || i, 'agent', 'en', true, true, now() - interval '2 years'
         from generate_series(1, ?::int) i`,
      [pgArray(FIRST_NAMES), FIRST_NAMES.length, o.agents],
    );
    await x(`create temp table bench_agents on commit drop as select row_number() over (order by id)::int as k, id from users where email like 'agent%@bench.example'`);
    await x(`insert into groups (name, strategy, rr_cursor, created_at) select name, 'round_robin', 0, now() from unnest(?::text[]) name`, [pgArray(GROUPS)]);
    await x(`create temp table bench_groups on commit drop as select row_number() over (order by id)::int as k, id from groups where name = any(?::text[])`, [pgArray(GROUPS)]);
    // Agent k is in groups k mod G and (k+1) mod G: every agent in two groups, every group with 2·A/G agents.
    await x(
      `insert into group_members (group_id, user_id)
       select g.id, a.id from bench_agents a join bench_groups g on g.k in (1 + a.k % ${GROUPS.length}, 1 + (a.k + 1) % ${GROUPS.length})`,
    );
    await x(
      `create temp table bench_gm on commit drop as select g.k as gk, row_number() over (partition by g.k order by m.user_id)::int as mk, m.user_id from group_members m join bench_groups g on g.id = m.group_id`,
    );
    await x(`create temp table bench_gm_n on commit drop as select gk, count(*)::int as n from bench_gm group by gk`);
    await x(`insert into categories (name, default_group_id) select c, null from unnest(?::text[]) c`, [pgArray(CATEGORIES)]);
    await x(`create temp table bench_categories on commit drop as select row_number() over (order by id)::int as k, id from categories where name = any(?::text[])`, [pgArray(CATEGORIES)]);
    step('organisations, customers, agents, groups, categories');

    // ---- tickets
    const [base] = await x(`select coalesce(max(id), 0)::int as t, (select coalesce(max(id), 0)::int from messages) as m from tickets`);
    const ticketBase = Number((base as { t: number }).t);
    const messageBase = Number((base as { m: number }).m);
    await x(
      `create temp table bench_t on commit drop as
       select ? + i as id, case when random() < 0.65 then 'en' else 'fa' end as lang,
              1 + floor(random() * (2 * ? - 1))::int as nmsg,
              now() - random() * interval '730 days' as created_at,
              1 + floor(random() * (select count(*) from bench_customers))::int as cust_k,
              1 + floor(random() * ${GROUPS.length})::int as gk,
              case when random() < 0.15 then null else random() end as assignee_r,
              case when random() < 0.1 then null else 1 + floor(random() * ${CATEGORIES.length})::int end as cat_k,
              random() as status_r, random() as priority_r, floor(random() * 2.2)::int as ntags, random() as subject_r,
              (array['web', 'portal', 'email', 'email', 'email', 'api', 'phone'])[1 + floor(random() * 7)::int] as source
         from generate_series(1, ?::int) i`,
      [ticketBase, o.messagesPerTicket, o.tickets],
    );
    await x(
      `insert into tickets (id, number, subject, body_html, requester_id, organization_id, source, category_id, priority, status, group_id, assignee_id,
                            tags, created_at, updated_at, workflow_started_at, version)
       select t.id, 'BN-' || extract(year from t.created_at) || '-' || lpad(t.id::text, 6, '0'), s.text, '<p>' || s.text || '</p>',
              c.id, c.organization_id, t.source, cat.id,
              case when t.priority_r < 0.2 then 'low' when t.priority_r < 0.75 then 'normal' when t.priority_r < 0.95 then 'high' else 'urgent' end,
              case when t.status_r < 0.4 then 'closed' when t.status_r < 0.6 then 'resolved' when t.status_r < 0.75 then 'open' when t.status_r < 0.83 then 'new'
                   when t.status_r < 0.93 then 'pending' when t.status_r < 0.98 then 'on_hold' else 'cancelled' end,
              g.id, gm.user_id,
              coalesce((select array_agg(distinct (?::text[])[1 + floor(random() * ?)::int]) from generate_series(1, t.ntags) where t.ntags > 0), '{}'),
              t.created_at, t.created_at + (t.nmsg - 1) * interval '2 hours', t.created_at, 1
         from bench_t t
         join bench_customers c on c.k = t.cust_k
         join bench_groups g on g.k = t.gk
         join bench_gm_n gn on gn.gk = t.gk
         left join bench_gm gm on gm.gk = t.gk and gm.mk = 1 + floor(t.assignee_r * gn.n)::int
         left join bench_categories cat on cat.k = t.cat_k
         join bench_subjects_n sn on sn.lang = t.lang
         join bench_subjects s on s.lang = t.lang and s.idx = 1 + floor(t.subject_r * sn.cnt)::int`,
      [pgArray(TAGS), TAGS.length],
    );
    step(`${o.tickets.toLocaleString('en-US')} tickets`);

    // ---- messages: the plan first (who wrote what, when, in which language), then the text in chunks
    await x(
      `create temp table bench_m on commit drop as
       select ? + row_number() over (order by t.id, s)::int as id, t.id as ticket_id, s as seq,
              case when s > 1 and random() < 0.12 then 'internal' else 'public' end as kind,
              t.lang, t.lang = 'fa' and random() < 0.2 as arabic,
              2 + floor(random() * 6)::int as nsent,
              t.created_at + (s - 1) * interval '2 hours' as created_at, random() as author_r
         from bench_t t, generate_series(1, t.nmsg) s`,
      [messageBase],
    );
    await x(`create index on bench_m (id)`);
    const [mc] = await x(`select count(*)::int as n, max(id)::int as max from bench_m`);
    const messageCount = Number((mc as { n: number }).n);
    for (let lo = messageBase + 1; lo <= messageBase + messageCount; lo += CHUNK) {
      const hi = Math.min(messageBase + messageCount, lo + CHUNK - 1);
      // A tenth of the sentences come from the other language (product names in Persian text,
      // Persian quotes in English replies); Persian messages typed with Arabic yeh/kaf a fifth of the time.
      await x(
        `with s as (
           select m.id as mid, k, case when random() < 0.1 then (case m.lang when 'en' then 'fa' else 'en' end) else m.lang end as plang, random() as r
             from bench_m m, generate_series(1, m.nsent) k where m.id between ? and ?),
         b as (
           select s.mid, string_agg(p.text, ' ' order by s.k) as body
             from s join bench_pool_n n on n.lang = s.plang join bench_pool p on p.lang = s.plang and p.idx = 1 + floor(s.r * n.cnt)::int
            group by s.mid)
         insert into messages (id, ticket_id, author_id, kind, channel, body_html, body_text, idempotency_key, created_at)
         select m.id, m.ticket_id,
                case when m.kind = 'internal' or (m.seq > 1 and m.author_r < 0.5) then tk.assignee_id else tk.requester_id end,
                m.kind, 'web', '<p>' || body.text || '</p>', body.text, 'bench-' || m.id, m.created_at
           from bench_m m join b on b.mid = m.id join tickets tk on tk.id = m.ticket_id,
                lateral (select case when m.arabic then translate(b.body, 'یک', 'يك') else b.body end as text) body
          where m.id between ? and ?`,
        [lo, hi, lo, hi],
      );
      log(`  generate: messages ${(hi - messageBase).toLocaleString('en-US')} / ${messageCount.toLocaleString('en-US')} (${((performance.now() - mark) / 1000).toFixed(0)} s)`);
    }
    step(`${messageCount.toLocaleString('en-US')} messages`);

    // ---- knowledge base: categories, articles with an English and a Persian translation each
    await x(
      `insert into kb_categories (parent_id, position, names, created_at, updated_at)
       select null, i::int, jsonb_build_object('en', en, 'fa', fa), now(), now() from unnest(?::text[], ?::text[]) with ordinality c(en, fa, i)`,
      [pgArray(KB_CATEGORIES.map((c) => c[0])), pgArray(KB_CATEGORIES.map((c) => c[1]))],
    );
    await x(
      `create temp table bench_kbc on commit drop as select row_number() over (order by id desc)::int as k, id from (select id from kb_categories order by id desc limit ${KB_CATEGORIES.length}) c`,
    );
    const [admin] = await x(`select id from users where role = 'admin' order by id limit 1`);
    await x(
      `insert into kb_articles (category_id, visibility, tags, author_id, created_at, updated_at, version)
       select c.id, case when random() < 0.9 then 'public' else 'internal' end,
              coalesce((select array_agg(distinct (?::text[])[1 + floor(random() * ?)::int]) from generate_series(1, 1 + (i % 2))), '{}'),
              ?, now() - interval '1 year', now() - random() * interval '300 days', 1
         from generate_series(1, ?::int) i join bench_kbc c on c.k = 1 + (i % ${KB_CATEGORIES.length})`,
      [pgArray(TAGS), TAGS.length, (admin as { id: number } | undefined)?.id ?? null, o.articles],
    );
    await x(`create temp table bench_a on commit drop as select id from kb_articles order by id desc limit ?`, [o.articles]);
    await x(
      `with tr as (
         select a.id as article_id, l.lang, l.titles, random() as st, 10 + floor(random() * 15)::int as nsent, 20 + floor(random() * 100)::int as topic_rank
           from bench_a a, (values ('en', ?::text[]), ('fa', ?::text[])) l(lang, titles)),
       s as (select tr.article_id, tr.lang, k, random() as r from tr, generate_series(1, tr.nsent) k),
       b as (select s.article_id, s.lang, string_agg(p.text, ' ' order by s.k) as body
               from s join bench_pool_n n on n.lang = s.lang join bench_pool p on p.lang = s.lang and p.idx = 1 + floor(s.r * n.cnt)::int
              group by s.article_id, s.lang)
       insert into kb_article_translations (article_id, lang, title, slug, body_html, body_text, status, published_at, created_at, updated_at, version)
       select tr.article_id, tr.lang, tr.titles[1 + tr.article_id % array_length(tr.titles, 1)] || ': ' || coalesce(v.word, ''),
              'bench-' || tr.article_id || '-' || tr.lang, '<p>' || b.body || '</p>', b.body,
              case when tr.st < 0.85 then 'published' when tr.st < 0.95 then 'draft' else 'archived' end,
              case when tr.st < 0.85 then now() - interval '200 days' end, now() - interval '1 year', now() - random() * interval '300 days', 1
         from tr join b using (article_id, lang) left join bench_vocab v on v.lang = tr.lang and v.rank = tr.topic_rank`,
      [pgArray(KB_TITLES_EN), pgArray(KB_TITLES_FA)],
    );
    step(`${o.articles.toLocaleString('en-US')} knowledge-base articles (en + fa)`);

    await x(`select setval(pg_get_serial_sequence('tickets', 'id'), (select max(id) from tickets))`);
    await x(`select setval(pg_get_serial_sequence('messages', 'id'), (select max(id) from messages))`);
  });

  const db = orm.em.fork();
  // The users the query mix signs in as: an agent in two groups, a customer with a typical number of tickets.
  const [agent] = await db.execute<{ id: number; email: string }[]>(`select id, email from users where email = 'agent1@bench.example'`);
  const [customer] = await db.execute<{ id: number; email: string; n: number }[]>(
    `select u.id, u.email, count(t.id)::int as n from users u join tickets t on t.requester_id = u.id
      where u.email like 'customer%@bench%.example' group by u.id order by abs(count(t.id) - ?), u.id limit 1`,
    [o.tickets / o.customers],
  );
  const hash = await hashPassword(BENCH_PASSWORD);
  await db.execute(`update users set password_hash = ? where id in (?, ?)`, [hash, agent!.id, customer!.id]);
  const agentGroups = await db.execute<{ group_id: number }[]>(`select group_id from group_members where user_id = ? order by group_id`, [agent!.id]);
  await db.execute('analyze');
  step('logins and analyze');

  const [c] = await db.execute<Record<string, string>[]>(
    `select (select count(*) from tickets) as tickets, (select count(*) from messages) as messages, (select count(*) from messages where kind = 'internal') as internal,
            (select count(*) from users where role = 'customer') as customers, (select count(*) from organizations) as organizations,
            (select count(*) from users where role = 'agent') as agents, (select count(*) from groups) as groups, (select count(*) from categories) as categories,
            (select count(*) from kb_articles) as kb_articles, (select count(*) from kb_article_translations) as kb_translations,
            (select count(*) from kb_article_translations tr join kb_articles a on a.id = tr.article_id where tr.status = 'published' and a.visibility = 'public') as kb_published,
            (select sum(octet_length(body_text)) from messages) as text_bytes, (select count(*) from search_outbox) as outbox`,
  );
  const groupIds = (await db.execute<{ id: number }[]>(`select id from groups order by id`)).map((r) => r.id);
  const categoryIds = (await db.execute<{ id: number }[]>(`select id from categories order by id`)).map((r) => r.id);
  return {
    seconds: (performance.now() - t0) / 1000,
    steps,
    counts: {
      tickets: Number(c!.tickets),
      messages: Number(c!.messages),
      internalNotes: Number(c!.internal),
      customers: Number(c!.customers),
      organizations: Number(c!.organizations),
      agents: Number(c!.agents),
      groups: Number(c!.groups),
      categories: Number(c!.categories),
      kbArticles: Number(c!.kb_articles),
      kbTranslations: Number(c!.kb_translations),
      kbPublished: Number(c!.kb_published),
    },
    messageTextBytes: Number(c!.text_bytes),
    logins: {
      agent: { id: agent!.id, email: agent!.email, groupIds: agentGroups.map((g) => g.group_id) },
      customer: { id: customer!.id, email: customer!.email, tickets: customer!.n },
    },
    groupIds,
    categoryIds,
    outboxRows: Number(c!.outbox),
  };
}
