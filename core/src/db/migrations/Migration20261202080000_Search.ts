import { Migration } from '@mikro-orm/migrations';

/**
 * The secondary indexes of search_documents. A rebuilt table gets the live table's indexes
 * (search/src/postgres/backend.ts seal() copies their definitions from pg_indexes).
 */
function searchIndexes(table: string): string[] {
  return [
    `create index if not exists "${table}_tsv" on "${table}" using gin ("tsv")`,
    `create index if not exists "${table}_internal_tsv" on "${table}" using gin ("internal_tsv") where "has_internal"`,
    `create index if not exists "${table}_requester" on "${table}" ("requester_id") where "kind" = 'ticket'`,
    `create index if not exists "${table}_assignee" on "${table}" ("assignee_id") where "kind" = 'ticket'`,
    `create index if not exists "${table}_group" on "${table}" ("group_id") where "kind" = 'ticket'`,
  ];
}

// Search (issue 9): the outbox every searchable write fills in its own transaction (by
// triggers, so no write path can forget it), the PostgreSQL backend's index table with its
// tsvector columns, the word list for typo tolerance, and the bookkeeping of rebuilds.
// The `mehrdesk_search` text search configuration stems English words (asciiword → english_stem)
// and keeps every other word as it is (`simple`: Persian), so one tsvector serves both languages.

export class Migration20261202080000_Search extends Migration {
  override name = 'Migration20261202080000_Search';

  override up(): void | Promise<void> {
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create extension if not exists fuzzystrmatch;`);
    this.addSql(`do $$ begin
      if not exists (select 1 from pg_ts_config where cfgname = 'mehrdesk_search') then
        create text search configuration mehrdesk_search (copy = english);
        alter text search configuration mehrdesk_search alter mapping for word, hword, hword_part with simple;
      end if;
    end $$;`);

    this.addSql(`create table "search_outbox" ("id" bigserial primary key, "kind" text not null, "doc_id" int not null, "created_at" timestamptz not null default now());`);
    this.addSql(
      `create table "search_rebuilds" ("id" serial primary key, "backend" text not null, "status" text not null default 'running' check ("status" in ('running', 'done', 'failed')), "target" text null, "total" int not null default 0, "done" int not null default 0, "error" text null, "requested_by" int null, "started_at" timestamptz not null default now(), "finished_at" timestamptz null);`,
    );
    this.addSql(`create unique index "search_rebuilds_one_running" on "search_rebuilds" ("backend") where "status" = 'running';`);
    this.addSql(
      `create table "search_rebuild_dirty" ("rebuild_id" int not null references "search_rebuilds" on delete cascade, "kind" text not null, "doc_id" int not null, primary key ("rebuild_id", "kind", "doc_id"));`,
    );

    // The index proper is narrow: what filters, facets, order and visibility read, and the two
    // tsvectors, kept out of line (toast_tuple_target), so matching tens of thousands of
    // documents reads a few thousand small heap pages. The texts, only read for the page of hits
    // shown (snippets), live in search_texts.
    this.addSql(`create table "search_documents" (
      "kind" text not null, "doc_id" int not null, "version" bigint not null, "lang" text null, "updated_at" timestamptz not null,
      "requester_id" int null, "assignee_id" int null, "group_id" int null, "category_id" int null, "kb_category_id" int null,
      "status" text null, "priority" text null, "tags" text[] not null default '{}',
      "public_visible" boolean not null default false, "has_internal" boolean not null default false,
      "tsv" tsvector not null, "internal_tsv" tsvector null,
      primary key ("kind", "doc_id")) with (toast_tuple_target = 128);`);
    // Only the tsvectors leave the row: the tags array (read for every match by the tag facet
    // and filter) stays in it.
    this.addSql(`alter table "search_documents" alter column "tsv" set storage external, alter column "internal_tsv" set storage external, alter column "tags" set storage main;`);
    this.addSql(`create table "search_texts" (
      "kind" text not null, "doc_id" int not null,
      "display_title" text not null default '', "title" text not null default '', "body" text not null default '', "internal" text not null default '',
      "number" text null, "requester_name" text null, "email" text null, "organization" text null,
      "article_id" int null, "slug" text null, "visibility" text null,
      primary key ("kind", "doc_id"));`);
    for (const sql of searchIndexes('search_documents')) this.addSql(`${sql};`);

    // pg_trgm only sees letters the database's ctype calls alphanumeric, which with a C ctype
    // excludes every Persian letter. The trigram key spells each Persian letter as one ASCII
    // character (a bijection, so similarity is unchanged); Levenshtein then compares real words.
    this.addSql(`create function "search_term_key"(term text) returns text language sql immutable parallel safe as $$
        select translate(term, 'ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیء', 'abcdefghijklmnopqrstuvwxyz0123456')
      $$;`);
    this.addSql(`create table "search_terms" ("term" text primary key, "key" text generated always as (search_term_key("term")) stored);`);
    this.addSql(`create index "search_terms_trgm" on "search_terms" using gin ("key" gin_trgm_ops);`);

    // Words of the index close to a misspelt one: trigram candidates, then at most one edit for
    // short words and two for long ones (what a person mistypes), the closest first.
    this.addSql(`create function "search_corrections"(lexeme text) returns setof text language sql stable
      set pg_trgm.similarity_threshold = 0.2 as $$
        select term from search_terms
         where key % search_term_key(lexeme) and term <> lexeme
           and levenshtein(term, lexeme) <= case when length(lexeme) >= 8 then 2 else 1 end
         order by levenshtein(term, lexeme), similarity(key, search_term_key(lexeme)) desc, term
         limit 3
      $$;`);

    this.addSql(`create function "search_enqueue"(kind text, ids int[]) returns void language plpgsql as $$
      begin
        if coalesce(array_length(ids, 1), 0) = 0 then return; end if;
        insert into search_outbox (kind, doc_id) select kind, unnest(ids);
        perform pg_notify('search_outbox', '');
      end $$;`);
    this.addSql(`create function "search_on_ticket"() returns trigger language plpgsql as $$
      begin
        perform search_enqueue('ticket', array[coalesce(new.id, old.id)]);
        return null;
      end $$;`);
    this.addSql(
      `create trigger "search_tickets" after insert or delete or update of "subject", "number", "status", "priority", "group_id", "assignee_id", "category_id", "tags", "requester_id", "deleted_at" on "tickets" for each row execute function search_on_ticket();`,
    );
    this.addSql(`create function "search_on_message"() returns trigger language plpgsql as $$
      begin
        perform search_enqueue('ticket', array[coalesce(new.ticket_id, old.ticket_id)]);
        return null;
      end $$;`);
    this.addSql(`create trigger "search_messages" after insert or delete or update of "body_text", "kind", "ticket_id" on "messages" for each row execute function search_on_message();`);
    // A customer's own document, and the tickets they requested (which carry their name and address).
    this.addSql(`create function "search_on_user"() returns trigger language plpgsql as $$
      declare uid int := coalesce(new.id, old.id);
      begin
        if coalesce(new.role, old.role) = 'customer' or old.role = 'customer' then
          perform search_enqueue('customer', array[uid]);
        end if;
        if tg_op = 'UPDATE' and (new.name, new.email, new.organization_id) is distinct from (old.name, old.email, old.organization_id) then
          perform search_enqueue('ticket', array(select id from tickets where requester_id = uid));
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger "search_users" after insert or delete or update of "name", "email", "organization_id", "role", "active" on "users" for each row execute function search_on_user();`);
    this.addSql(`create function "search_on_organization"() returns trigger language plpgsql as $$
      begin
        perform search_enqueue('customer', array(select id from users where organization_id = new.id and role = 'customer'));
        perform search_enqueue('ticket', array(select t.id from tickets t join users u on u.id = t.requester_id where u.organization_id = new.id));
        return null;
      end $$;`);
    this.addSql(`create trigger "search_organizations" after update of "name" on "organizations" for each row execute function search_on_organization();`);
    this.addSql(`create function "search_on_article_translation"() returns trigger language plpgsql as $$
      begin
        perform search_enqueue('article', array[coalesce(new.id, old.id)]);
        return null;
      end $$;`);
    this.addSql(`create trigger "search_kb_article_translations" after insert or delete or update on "kb_article_translations" for each row execute function search_on_article_translation();`);
    this.addSql(`create function "search_on_article"() returns trigger language plpgsql as $$
      begin
        perform search_enqueue('article', array(select id from kb_article_translations where article_id = new.id));
        return null;
      end $$;`);
    this.addSql(`create trigger "search_kb_articles" after update of "visibility", "category_id", "tags" on "kb_articles" for each row execute function search_on_article();`);

    // Everything that exists already is indexed by the first drain.
    this.addSql(`insert into search_outbox (kind, doc_id) select 'ticket', id from tickets where deleted_at is null order by id;`);
    this.addSql(`insert into search_outbox (kind, doc_id) select 'customer', id from users where role = 'customer' order by id;`);
    this.addSql(`insert into search_outbox (kind, doc_id) select 'article', id from kb_article_translations order by id;`);
  }

  override down(): void | Promise<void> {
    for (const [trigger, table] of [
      ['search_tickets', 'tickets'],
      ['search_messages', 'messages'],
      ['search_users', 'users'],
      ['search_organizations', 'organizations'],
      ['search_kb_article_translations', 'kb_article_translations'],
      ['search_kb_articles', 'kb_articles'],
    ])
      this.addSql(`drop trigger if exists "${trigger}" on "${table}";`);
    for (const table of ['search_terms', 'search_texts', 'search_documents', 'search_rebuild_dirty', 'search_rebuilds', 'search_outbox']) this.addSql(`drop table if exists "${table}" cascade;`);
    for (const fn of [
      'search_on_ticket()',
      'search_on_message()',
      'search_on_user()',
      'search_on_organization()',
      'search_on_article_translation()',
      'search_on_article()',
      'search_enqueue(text, int[])',
      'search_corrections(text)',
      'search_term_key(text)',
    ])
      this.addSql(`drop function if exists ${fn};`);
    this.addSql(`drop text search configuration if exists mehrdesk_search;`);
  }
}
