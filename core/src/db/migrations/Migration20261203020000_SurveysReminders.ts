import { Migration } from '@mikro-orm/migrations';

export class Migration20261203020000_SurveysReminders extends Migration {
  override name = 'Migration20261203020000_SurveysReminders';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sla_policies" add column "remind_after_seconds" int null, add column "remind_again_after_seconds" int null, add column "auto_resolve_after_seconds" int null;`);
    this.addSql(
      `create table "ticket_surveys" ("id" serial primary key, "ticket_id" int not null, "resolved_at" timestamptz not null, "requester_id" int not null, "agent_id" int null, "group_id" int null, "scale" text check ("scale" in ('binary', 'five')) not null, "score" smallint null, "comment" text null, "sent_at" timestamptz not null, "rated_at" timestamptz null, "updated_at" timestamptz null);`,
    );
    this.addSql(`create index "ticket_surveys_rated_at_index" on "ticket_surveys" ("rated_at");`);
    this.addSql(`alter table "ticket_surveys" add constraint "ticket_surveys_ticket_id_resolved_at_unique" unique ("ticket_id", "resolved_at");`);
    this.addSql(`alter table "ticket_surveys" add constraint "ticket_surveys_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete cascade;`);
    this.addSql(`alter table "ticket_surveys" add constraint "ticket_surveys_requester_id_foreign" foreign key ("requester_id") references "users" ("id");`);
    this.addSql(`alter table "ticket_surveys" add constraint "ticket_surveys_agent_id_foreign" foreign key ("agent_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "ticket_surveys" add constraint "ticket_surveys_group_id_foreign" foreign key ("group_id") references "groups" ("id") on delete set null;`);
    // A score only within its scale (binary: 0 bad, 1 good; five: 1..5).
    this.addSql(
      `alter table "ticket_surveys" add constraint "ticket_surveys_score_check" check ("score" is null or ("scale" = 'binary' and "score" in (0, 1)) or ("scale" = 'five' and "score" between 1 and 5));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "ticket_surveys" cascade;`);
    this.addSql(`alter table "sla_policies" drop column "remind_after_seconds", drop column "remind_again_after_seconds", drop column "auto_resolve_after_seconds";`);
  }
}
