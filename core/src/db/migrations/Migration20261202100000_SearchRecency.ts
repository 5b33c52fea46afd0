import { Migration } from '@mikro-orm/migrations';

// Search work per query is bounded (search/src/postgres/tokens.ts): a staff search looks at the
// newest few thousand documents it may see first and widens only while it finds too few, and
// filters and visibility narrow the GIN scan itself instead of being checked row by row.
// - An index on each document's UTC day, with the columns of the agents' visibility included
//   (index-only scans), tells on which day the newest N documents a viewer may see begin.
// - Every tsvector carries tokens, positionless lexemes starting with `~` (no parsed query word
//   contains one, so nobody can type them):
//   - window blocks: for k = 0…12, `~b<k>_<n>` says the document's day is in the n-th aligned
//     block of 2^k days since 1970-01-01; any span of days up to today is covered by at most
//     three blocks of one size;
//   - filter values: `~k.<kind>`, `~s.<status>`, `~p.<priority>`, `~g.<group>`, `~c.<category>`,
//     `~kc.<kb category>`, `~a.<assignee>`, `~r.<requester>`, `~l.<lang>`, and `~pub` on
//     published public articles.
//   "These words, in this window, for this viewer, with these filters" is then one GIN scan
//   intersecting a few posting lists. The SQL conditions on the columns stay in every query:
//   the tokens only make it cheap.
// - The texts snippets are cut from are stored uncompressed (storage external): compressing
//   them was a fifth of a full rebuild's time, and a snippet then reads without inflating.
// - The word list keeps each word's document count as of the last rebuild (ndoc), from which a
//   query guesses how large its first window must be.

export class Migration20261202100000_SearchRecency extends Migration {
  override name = 'Migration20261202100000_SearchRecency';

  override up(): void | Promise<void> {
    this.addSql(`create function "search_day"(at timestamptz) returns date language sql immutable parallel safe as $$
        select (at at time zone 'UTC')::date
      $$;`);
    this.addSql(`create function "search_tokens"(at timestamptz, kind text, status text, priority text, group_id int, category_id int,
        kb_category_id int, assignee_id int, requester_id int, lang text, public_visible boolean) returns tsvector language sql immutable parallel safe as $$
        select array_to_tsvector(array(
          select '~b' || k || '_' || floor((search_day(at) - date '1970-01-01')::numeric / (2 ^ k))::bigint from generate_series(0, 12) k
          union all
          select t from unnest(array['~k.' || kind, '~s.' || status, '~p.' || priority, '~g.' || group_id, '~c.' || category_id,
            '~kc.' || kb_category_id, '~a.' || assignee_id, '~r.' || requester_id, '~l.' || lang,
            case when public_visible then '~pub' end]) t where t is not null))
      $$;`);
    this.addSql(`update "search_documents" set
        "tsv" = "tsv" || search_tokens("updated_at", "kind", "status", "priority", "group_id", "category_id", "kb_category_id", "assignee_id", "requester_id", "lang", "public_visible"),
        "internal_tsv" = case when "internal_tsv" is null then null
          else "internal_tsv" || search_tokens("updated_at", "kind", "status", "priority", "group_id", "category_id", "kb_category_id", "assignee_id", "requester_id", "lang", "public_visible") end;`);
    this.addSql(`alter table "search_texts" alter column "display_title" set storage external, alter column "title" set storage external,
        alter column "body" set storage external, alter column "internal" set storage external;`);
    this.addSql(`alter table "search_terms" add column "ndoc" int not null default 0;`);
    this.addSql(`update "search_terms" t set "ndoc" = s.ndoc from ts_stat('select tsv || coalesce(internal_tsv, ''''::tsvector) from search_documents') s where s.word = t.term;`);
    this.addSql(`create index if not exists "search_documents_day" on "search_documents" (search_day("updated_at")) include ("updated_at", "kind", "group_id", "assignee_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "search_documents_day";`);
    this.addSql(`alter table "search_terms" drop column if exists "ndoc";`);
    this.addSql(`alter table "search_texts" alter column "display_title" set storage extended, alter column "title" set storage extended,
        alter column "body" set storage extended, alter column "internal" set storage extended;`);
    this.addSql(`update "search_documents" set "tsv" = ts_delete("tsv", array(select l from unnest(tsvector_to_array("tsv")) l where l like '~%')),
        "internal_tsv" = case when "internal_tsv" is null then null else ts_delete("internal_tsv", array(select l from unnest(tsvector_to_array("internal_tsv")) l where l like '~%')) end;`);
    this.addSql(`drop function if exists "search_tokens"(timestamptz, text, text, text, int, int, int, int, int, text, boolean);`);
    this.addSql(`drop function if exists "search_day"(timestamptz);`);
  }
}
