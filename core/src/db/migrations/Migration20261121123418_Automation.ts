import { Migration } from '@mikro-orm/migrations';

export class Migration20261121123418_Automation extends Migration {
  override name = 'Migration20261121123418_Automation';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "rules" ("id" serial primary key, "name" varchar(200) not null, "description" text null, "trigger" text not null, "position" int not null, "enabled" boolean not null default true, "current_version" int not null, "schedule_every_minutes" int null, "runs" int not null default 0, "matches" int not null default 0, "last_matched_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deleted_at" timestamptz null);`,
    );
    this.addSql(`create index "rules_trigger_index" on "rules" ("trigger");`);

    this.addSql(`create table "rule_set_state" ("id" int not null, "version" int not null, "updated_at" timestamptz not null, primary key ("id"));`);
    // Hand-written: the single row workers read to know whether their compiled rule set is current.
    this.addSql(`insert into "rule_set_state" ("id", "version", "updated_at") values (1, 0, now());`);

    this.addSql(
      `create table "rule_versions" ("id" serial primary key, "rule_id" int not null, "version" int not null, "name" varchar(200) not null, "definition" jsonb not null, "author_id" int null, "comment" varchar(500) null, "restored_from" int null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "rule_versions" add constraint "rule_versions_rule_id_version_unique" unique ("rule_id", "version");`);

    this.addSql(`create table "rule_marks" ("id" serial primary key, "rule_id" int not null, "ticket_id" int not null, "window_key" varchar(200) not null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "rule_marks" add constraint "rule_marks_rule_id_ticket_id_window_key_unique" unique ("rule_id", "ticket_id", "window_key");`);

    this.addSql(
      `create table "rule_executions" ("id" serial primary key, "rule_id" int not null, "rule_version" int not null, "ticket_id" int null, "event_type" varchar(64) not null, "chain_key" varchar(200) not null, "chain_depth" int not null default 0, "matched" boolean not null, "conditions" jsonb not null, "actions" jsonb not null, "duration_ms" double precision not null, "error" text null, "idempotency_key" varchar(250) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "rule_executions" add constraint "rule_executions_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "rule_executions_rule_id_created_at_index" on "rule_executions" ("rule_id", "created_at");`);
    this.addSql(`create index "rule_executions_ticket_id_created_at_index" on "rule_executions" ("ticket_id", "created_at");`);

    this.addSql(
      `alter table "rules" add constraint "rules_trigger_check" check ("trigger" in ('ticket.created', 'ticket.updated', 'message.received', 'sla.warning', 'sla.breached', 'survey.received', 'schedule'));`,
    );

    this.addSql(`alter table "rule_versions" add constraint "rule_versions_rule_id_foreign" foreign key ("rule_id") references "rules" ("id") on delete cascade;`);
    this.addSql(`alter table "rule_versions" add constraint "rule_versions_author_id_foreign" foreign key ("author_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "rule_marks" add constraint "rule_marks_rule_id_foreign" foreign key ("rule_id") references "rules" ("id") on delete cascade;`);
    this.addSql(`alter table "rule_marks" add constraint "rule_marks_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete cascade;`);

    this.addSql(`alter table "rule_executions" add constraint "rule_executions_rule_id_foreign" foreign key ("rule_id") references "rules" ("id") on delete cascade;`);
    this.addSql(`alter table "rule_executions" add constraint "rule_executions_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "rule_versions" drop constraint "rule_versions_rule_id_foreign";`);
    this.addSql(`alter table "rule_marks" drop constraint "rule_marks_rule_id_foreign";`);
    this.addSql(`alter table "rule_executions" drop constraint "rule_executions_rule_id_foreign";`);

    this.addSql(`drop table if exists "rules" cascade;`);
    this.addSql(`drop table if exists "rule_set_state" cascade;`);
    this.addSql(`drop table if exists "rule_versions" cascade;`);
    this.addSql(`drop table if exists "rule_marks" cascade;`);
    this.addSql(`drop table if exists "rule_executions" cascade;`);
  }
}
