import { Migration } from '@mikro-orm/migrations';

export class Migration20261121142947_Notifications extends Migration {
  override name = 'Migration20261121142947_Notifications';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "notification_preferences" ("user_id" int not null, "event" varchar(40) not null, "email" boolean not null, "in_app" boolean not null, "updated_at" timestamptz not null, primary key ("user_id", "event"));`,
    );

    this.addSql(
      `create table "notifications" ("id" serial primary key, "user_id" int not null, "ticket_id" int null, "event" varchar(40) not null, "title" varchar(300) not null, "excerpt" varchar(500) null, "dedupe_key" varchar(300) not null, "read_at" timestamptz null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "notifications" add constraint "notifications_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "notifications_user_id_id_index" on "notifications" ("user_id", "id");`);
    // The console asks for the unread count on every page: keep that an index-only lookup.
    this.addSql(`create index "notifications_unread_index" on "notifications" ("user_id") where "read_at" is null;`);

    this.addSql(`alter table "notification_preferences" add constraint "notification_preferences_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "notifications" add constraint "notifications_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "notifications" add constraint "notifications_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "notification_preferences" cascade;`);
    this.addSql(`drop table if exists "notifications" cascade;`);
  }
}
