import { Migration } from '@mikro-orm/migrations';

export class Migration20261202041500_ActivityFailures extends Migration {
  override name = 'Migration20261202041500_ActivityFailures';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "activity_failures" ("id" serial primary key, "ticket_id" int null, "workflow_id" varchar(200) not null, "activity" varchar(100) not null, "error_type" varchar(100) not null, "message" text not null, "idempotency_key" varchar(200) not null, "created_at" timestamptz not null, "acknowledged_at" timestamptz null, "acknowledged_by" int null);`,
    );
    this.addSql(`create index "activity_failures_ticket_id_index" on "activity_failures" ("ticket_id");`);
    this.addSql(`alter table "activity_failures" add constraint "activity_failures_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "activity_failures_created_at_index" on "activity_failures" ("created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "activity_failures" cascade;`);
  }
}
