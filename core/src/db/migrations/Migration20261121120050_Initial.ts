import { Migration } from '@mikro-orm/migrations';

export class Migration20261121120050_Initial extends Migration {
  override name = 'Migration20261121120050_Initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "business_calendars" ("id" serial primary key, "name" varchar(200) not null, "time_zone" varchar(64) not null, "always_open" boolean not null default false, "shifts" jsonb not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "business_calendars" add constraint "business_calendars_name_unique" unique ("name");`);

    this.addSql(
      `create table "holidays" ("id" serial primary key, "calendar_id" int not null, "date" varchar(10) not null, "name" varchar(200) null, "recurring_yearly" boolean not null default false);`,
    );

    this.addSql(
      `create table "sla_policies" ("id" serial primary key, "name" varchar(200) not null, "is_default" boolean not null default false, "targets" jsonb not null, "warning_fraction" double precision not null default 0.8, "escalation" jsonb not null, "auto_close_after_seconds" int null, "calendar_id" int not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "sla_policies" add constraint "sla_policies_name_unique" unique ("name");`);

    this.addSql(`create table "organizations" ("id" serial primary key, "name" varchar(200) not null, "sla_policy_id" int null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "organizations" add constraint "organizations_name_unique" unique ("name");`);

    this.addSql(`create table "tags" ("id" serial primary key, "name" varchar(64) not null);`);
    this.addSql(`alter table "tags" add constraint "tags_name_unique" unique ("name");`);

    this.addSql(`create table "ticket_counters" ("year" int not null, "last" int not null, primary key ("year"));`);

    this.addSql(
      `create table "users" ("id" serial primary key, "email" varchar(254) not null, "name" varchar(200) not null, "password_hash" varchar(255) null, "role" text not null, "locale" text not null default 'en', "active" boolean not null default true, "available" boolean not null default true, "capacity" int null, "organization_id" int null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
    this.addSql(`alter table "users" add constraint "users_role_check" check ("role" in ('admin', 'supervisor', 'agent', 'customer'));`);
    this.addSql(`alter table "users" add constraint "users_locale_check" check ("locale" in ('en', 'fa'));`);

    this.addSql(
      `create table "groups" ("id" serial primary key, "name" varchar(200) not null, "strategy" text not null default 'round_robin', "supervisor_id" int null, "escalation_group_id" int null, "sla_policy_id" int null, "rr_cursor" int not null default 0, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "groups" add constraint "groups_name_unique" unique ("name");`);
    this.addSql(`alter table "groups" add constraint "groups_strategy_check" check ("strategy" in ('round_robin', 'least_open', 'manual'));`);

    this.addSql(`create table "group_members" ("group_id" int not null, "user_id" int not null, primary key ("group_id", "user_id"));`);

    this.addSql(`create table "categories" ("id" serial primary key, "name" varchar(200) not null, "default_group_id" int null, "sla_policy_id" int null);`);
    this.addSql(`alter table "categories" add constraint "categories_name_unique" unique ("name");`);

    this.addSql(
      `create table "tickets" ("id" serial primary key, "number" varchar(32) not null, "subject" varchar(300) not null, "body_html" text not null, "requester_id" int not null, "organization_id" int null, "source" text not null, "category_id" int null, "priority" text not null, "status" text not null, "group_id" int null, "assignee_id" int null, "sla_policy_id" int null, "sla_state" text not null default 'ok', "first_response_due_at" timestamptz null, "resolution_due_at" timestamptz null, "tags" text[] not null default '{}', "custom_fields" jsonb not null default '{}', "created_at" timestamptz not null, "updated_at" timestamptz not null, "first_responded_at" timestamptz null, "resolved_at" timestamptz null, "closed_at" timestamptz null, "deleted_at" timestamptz null, "workflow_started_at" timestamptz null, "version" int not null default 1);`,
    );
    this.addSql(`alter table "tickets" add constraint "tickets_number_unique" unique ("number");`);
    this.addSql(`create index "tickets_requester_id_index" on "tickets" ("requester_id");`);
    this.addSql(`create index "tickets_priority_index" on "tickets" ("priority");`);
    this.addSql(`create index "tickets_status_index" on "tickets" ("status");`);
    this.addSql(`create index "tickets_group_id_index" on "tickets" ("group_id");`);
    this.addSql(`create index "tickets_assignee_id_index" on "tickets" ("assignee_id");`);
    this.addSql(`create index "tickets_sla_state_index" on "tickets" ("sla_state");`);
    this.addSql(`create index "tickets_created_at_index" on "tickets" ("created_at");`);
    this.addSql(`alter table "tickets" add constraint "tickets_source_check" check ("source" in ('web', 'portal', 'email', 'api', 'telegram', 'phone'));`);
    this.addSql(`alter table "tickets" add constraint "tickets_priority_check" check ("priority" in ('low', 'normal', 'high', 'urgent'));`);
    this.addSql(`alter table "tickets" add constraint "tickets_status_check" check ("status" in ('new', 'open', 'pending', 'on_hold', 'resolved', 'closed', 'cancelled'));`);
    this.addSql(`alter table "tickets" add constraint "tickets_sla_state_check" check ("sla_state" in ('ok', 'warning', 'breached'));`);

    this.addSql(
      `create table "timeline_events" ("id" serial primary key, "ticket_id" int not null, "type" varchar(64) not null, "actor_type" text not null, "actor_id" int null, "field" varchar(64) null, "old_value" jsonb null, "new_value" jsonb null, "meta" jsonb not null default '{}', "idempotency_key" varchar(200) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "timeline_events_ticket_id_index" on "timeline_events" ("ticket_id");`);
    this.addSql(`alter table "timeline_events" add constraint "timeline_events_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`alter table "timeline_events" add constraint "timeline_events_actor_type_check" check ("actor_type" in ('user', 'system', 'workflow', 'rule'));`);

    this.addSql(
      `create table "sla_events" ("id" serial primary key, "ticket_id" int not null, "clock" text not null, "type" text not null, "target_at" timestamptz null, "actual_at" timestamptz not null, "met" boolean null, "idempotency_key" varchar(200) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "sla_events_ticket_id_index" on "sla_events" ("ticket_id");`);
    this.addSql(`alter table "sla_events" add constraint "sla_events_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`alter table "sla_events" add constraint "sla_events_clock_check" check ("clock" in ('first_response', 'resolution'));`);
    this.addSql(`alter table "sla_events" add constraint "sla_events_type_check" check ("type" in ('warning', 'breach', 'met', 'paused', 'resumed'));`);

    this.addSql(
      `create table "messages" ("id" serial primary key, "ticket_id" int not null, "author_id" int null, "kind" text not null, "channel" text not null, "body_html" text not null, "body_text" text not null, "email_message_id" varchar(998) null, "in_reply_to" varchar(998) null, "references" jsonb not null default '[]', "idempotency_key" varchar(200) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "messages_ticket_id_index" on "messages" ("ticket_id");`);
    this.addSql(`alter table "messages" add constraint "messages_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`alter table "messages" add constraint "messages_kind_check" check ("kind" in ('public', 'internal', 'system', 'automated'));`);
    this.addSql(`alter table "messages" add constraint "messages_channel_check" check ("channel" in ('web', 'portal', 'email', 'api', 'telegram', 'phone'));`);

    this.addSql(
      `create table "idempotency_keys" ("id" serial primary key, "user_id" int not null, "key" varchar(200) not null, "request_hash" varchar(64) not null, "ticket_id" int not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "idempotency_keys" add constraint "idempotency_keys_user_id_key_unique" unique ("user_id", "key");`);

    this.addSql(
      `create table "email_log" ("id" serial primary key, "idempotency_key" varchar(200) not null, "ticket_id" int null, "template" varchar(64) not null, "to_address" varchar(254) not null, "subject" varchar(998) not null, "message_id" varchar(998) not null, "status" text not null, "attempts" int not null default 0, "last_error" text null, "sent_at" timestamptz null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "email_log" add constraint "email_log_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "email_log_ticket_id_index" on "email_log" ("ticket_id");`);
    this.addSql(`alter table "email_log" add constraint "email_log_status_check" check ("status" in ('sending', 'sent', 'failed'));`);

    this.addSql(
      `create table "auth_tokens" ("id" serial primary key, "user_id" int not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null);`,
    );
    this.addSql(`alter table "auth_tokens" add constraint "auth_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "holidays" add constraint "holidays_calendar_id_foreign" foreign key ("calendar_id") references "business_calendars" ("id") on delete cascade;`);

    this.addSql(`alter table "sla_policies" add constraint "sla_policies_calendar_id_foreign" foreign key ("calendar_id") references "business_calendars" ("id");`);

    this.addSql(`alter table "organizations" add constraint "organizations_sla_policy_id_foreign" foreign key ("sla_policy_id") references "sla_policies" ("id") on delete set null;`);

    this.addSql(`alter table "users" add constraint "users_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete set null;`);

    this.addSql(`alter table "groups" add constraint "groups_supervisor_id_foreign" foreign key ("supervisor_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "groups" add constraint "groups_escalation_group_id_foreign" foreign key ("escalation_group_id") references "groups" ("id") on delete set null;`);
    this.addSql(`alter table "groups" add constraint "groups_sla_policy_id_foreign" foreign key ("sla_policy_id") references "sla_policies" ("id") on delete set null;`);

    this.addSql(`alter table "group_members" add constraint "group_members_group_id_foreign" foreign key ("group_id") references "groups" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_members" add constraint "group_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "categories" add constraint "categories_default_group_id_foreign" foreign key ("default_group_id") references "groups" ("id") on delete set null;`);
    this.addSql(`alter table "categories" add constraint "categories_sla_policy_id_foreign" foreign key ("sla_policy_id") references "sla_policies" ("id") on delete set null;`);

    this.addSql(`alter table "tickets" add constraint "tickets_requester_id_foreign" foreign key ("requester_id") references "users" ("id");`);
    this.addSql(`alter table "tickets" add constraint "tickets_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete set null;`);
    this.addSql(`alter table "tickets" add constraint "tickets_category_id_foreign" foreign key ("category_id") references "categories" ("id") on delete set null;`);
    this.addSql(`alter table "tickets" add constraint "tickets_group_id_foreign" foreign key ("group_id") references "groups" ("id") on delete set null;`);
    this.addSql(`alter table "tickets" add constraint "tickets_assignee_id_foreign" foreign key ("assignee_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "tickets" add constraint "tickets_sla_policy_id_foreign" foreign key ("sla_policy_id") references "sla_policies" ("id") on delete set null;`);

    this.addSql(`alter table "timeline_events" add constraint "timeline_events_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id");`);
    this.addSql(`alter table "timeline_events" add constraint "timeline_events_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "sla_events" add constraint "sla_events_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id");`);

    this.addSql(`alter table "messages" add constraint "messages_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id");`);
    this.addSql(`alter table "messages" add constraint "messages_author_id_foreign" foreign key ("author_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "idempotency_keys" add constraint "idempotency_keys_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "idempotency_keys" add constraint "idempotency_keys_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id");`);

    this.addSql(`alter table "email_log" add constraint "email_log_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete set null;`);

    this.addSql(`alter table "auth_tokens" add constraint "auth_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    // Hand-written: the inbox lists newest-first with a (created_at, id) keyset cursor and
    // filters by tag; soft-deleted rows are never listed.
    this.addSql(`create index "tickets_list_cursor_index" on "tickets" ("created_at" desc, "id" desc) where "deleted_at" is null;`);
    this.addSql(`create index "tickets_tags_gin_index" on "tickets" using gin ("tags");`);
    this.addSql(`create index "timeline_events_ticket_created_index" on "timeline_events" ("ticket_id", "id");`);
  }
}
