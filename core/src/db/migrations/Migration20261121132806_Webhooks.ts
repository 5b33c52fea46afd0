import { Migration } from '@mikro-orm/migrations';

export class Migration20261121132806_Webhooks extends Migration {
  override name = 'Migration20261121132806_Webhooks';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "webhook_subscriptions" ("id" serial primary key, "name" varchar(200) not null, "url" varchar(2000) not null, "secret" varchar(200) not null, "events" text[] not null, "active" boolean not null default true, "consecutive_failures" int not null default 0, "disabled_at" timestamptz null, "disabled_reason" varchar(500) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deleted_at" timestamptz null);`,
    );

    this.addSql(
      `create table "webhook_deliveries" ("id" varchar(64) not null, "subscription_id" int not null, "ticket_id" int null, "event_type" varchar(64) not null, "payload" jsonb not null, "status" text not null, "attempts" int not null default 0, "last_status_code" int null, "last_latency_ms" int null, "last_error" text null, "created_at" timestamptz not null, "completed_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "webhook_deliveries_subscription_id_created_at_index" on "webhook_deliveries" ("subscription_id", "created_at");`);

    this.addSql(
      `create table "webhook_attempts" ("id" serial primary key, "delivery_id" varchar(64) not null, "run" int not null default 0, "attempt" int not null, "outcome" text not null, "status_code" int null, "latency_ms" int not null, "response_excerpt" text null, "error" text null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "webhook_attempts_delivery_id_created_at_index" on "webhook_attempts" ("delivery_id", "created_at");`);

    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_subscription_id_foreign" foreign key ("subscription_id") references "webhook_subscriptions" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete set null;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_status_check" check ("status" in ('pending', 'succeeded', 'failed'));`);

    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_delivery_id_foreign" foreign key ("delivery_id") references "webhook_deliveries" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_outcome_check" check ("outcome" in ('success', 'retryable', 'permanent', 'refused'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_subscription_id_foreign";`);
    this.addSql(`alter table "webhook_attempts" drop constraint "webhook_attempts_delivery_id_foreign";`);

    this.addSql(`drop table if exists "webhook_subscriptions" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhook_attempts" cascade;`);
  }
}
