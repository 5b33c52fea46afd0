import { Migration } from '@mikro-orm/migrations';

// Ticket deflection (issue 10): a customer who found the answer in a suggested article instead
// of submitting a ticket, with the text they had typed; and the searches that found nothing, a
// bounded table (the API evicts the least searched rows beyond 10,000) of normalised queries.
// A deflection outlives its article and its customer (set null): the ticket it saved was saved.
export class Migration20261203030000_Deflections extends Migration {
  override name = 'Migration20261203030000_Deflections';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "kb_deflections" ("id" serial primary key, "customer_id" int null, "translation_id" int null, "subject" varchar(300) not null, "description" text not null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "kb_deflections_created_at_index" on "kb_deflections" ("created_at");`);
    this.addSql(`create index "kb_deflections_translation_id_index" on "kb_deflections" ("translation_id");`);
    this.addSql(`alter table "kb_deflections" add constraint "kb_deflections_description_length_check" check (char_length("description") <= 4000);`);
    this.addSql(`alter table "kb_deflections" add constraint "kb_deflections_customer_id_foreign" foreign key ("customer_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "kb_deflections" add constraint "kb_deflections_translation_id_foreign" foreign key ("translation_id") references "kb_article_translations" ("id") on delete set null;`);

    this.addSql(
      `create table "kb_missed_searches" ("id" serial primary key, "query" varchar(200) not null, "source" text not null, "count" int not null default 1, "first_seen_at" timestamptz not null, "last_seen_at" timestamptz not null);`,
    );
    this.addSql(`alter table "kb_missed_searches" add constraint "kb_missed_searches_source_query_unique" unique ("source", "query");`);
    this.addSql(`alter table "kb_missed_searches" add constraint "kb_missed_searches_source_check" check ("source" in ('portal_suggest', 'public_search'));`);
    // The eviction order: least searched first, then least recently.
    this.addSql(`create index "kb_missed_searches_count_last_seen_at_id_index" on "kb_missed_searches" ("count", "last_seen_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "kb_deflections" cascade;`);
    this.addSql(`drop table if exists "kb_missed_searches" cascade;`);
  }
}
