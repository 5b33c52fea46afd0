import { Migration } from '@mikro-orm/migrations';

export class Migration20261121144459_LiveConsole extends Migration {
  override name = 'Migration20261121144459_LiveConsole';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "macros" ("id" serial primary key, "name" varchar(200) not null, "body_html" text null, "internal" boolean not null default false, "changes" jsonb not null default '{}', "created_by_id" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "macros" add constraint "macros_name_unique" unique ("name");`);

    // Hand-edited: presence is ephemeral (30 s rows re-posted every 10 s), so the table is UNLOGGED:
    // no WAL for that churn; a crash empties it, which only means clients re-post.
    this.addSql(
      `create unlogged table "ticket_presence" ("ticket_id" int not null, "user_id" int not null, "state" text not null, "expires_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("ticket_id", "user_id"));`,
    );
    this.addSql(`create index "ticket_presence_expires_at_index" on "ticket_presence" ("expires_at");`);

    this.addSql(`alter table "macros" add constraint "macros_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "ticket_presence" add constraint "ticket_presence_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "ticket_presence" add constraint "ticket_presence_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "ticket_presence" add constraint "ticket_presence_state_check" check ("state" in ('viewing', 'typing'));`);

    // Hand-written: keyset indexes for the inbox sorts (GET /tickets?sort=…, with the
    // (created_at, id) one from the initial migration) and trigram indexes for its `q` filter
    // (ILIKE on subject and number), so a page costs O(limit) at any ticket count.
    this.addSql(`create index "tickets_updated_cursor_index" on "tickets" ("updated_at" desc, "id" desc) where "deleted_at" is null;`);
    this.addSql(
      `create index "tickets_priority_cursor_index" on "tickets" ((case "priority" when 'low' then 0 when 'normal' then 1 when 'high' then 2 when 'urgent' then 3 end) desc, "id" desc) where "deleted_at" is null;`,
    );
    this.addSql(`create index "tickets_due_cursor_index" on "tickets" (least("first_response_due_at", "resolution_due_at") asc nulls last, "id" asc) where "deleted_at" is null;`);
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create index "tickets_subject_trgm_index" on "tickets" using gin ("subject" gin_trgm_ops);`);
    this.addSql(`create index "tickets_number_trgm_index" on "tickets" using gin ("number" gin_trgm_ops);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "macros" cascade;`);
    this.addSql(`drop table if exists "ticket_presence" cascade;`);
    for (const index of ['tickets_updated_cursor_index', 'tickets_priority_cursor_index', 'tickets_due_cursor_index', 'tickets_subject_trgm_index', 'tickets_number_trgm_index'])
      this.addSql(`drop index if exists "${index}";`);
  }
}
