import { Migration } from '@mikro-orm/migrations';

// Uploaded attachments (issue 10): a file is uploaded before the message that uses it exists, so
// an attachment may have no ticket yet (pending) and remembers who uploaded it. The partial
// indexes serve the two questions asked of pending rows: "is this one of mine?" and "which are stale?".
export class Migration20261203010000_Uploads extends Migration {
  override name = 'Migration20261203010000_Uploads';

  override up(): void | Promise<void> {
    this.addSql(`alter table "attachments" alter column "ticket_id" drop not null;`);
    this.addSql(`alter table "attachments" add column "uploaded_by" int null;`);
    this.addSql(`alter table "attachments" add constraint "attachments_uploaded_by_foreign" foreign key ("uploaded_by") references "users" ("id") on delete set null;`);
    this.addSql(`create index "attachments_pending_owner_index" on "attachments" ("uploaded_by") where "ticket_id" is null;`);
    this.addSql(`create index "attachments_pending_created_at_index" on "attachments" ("created_at") where "ticket_id" is null;`);
    this.addSql(`create index "attachments_sha256_index" on "attachments" ("sha256");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`delete from "attachments" where "ticket_id" is null;`);
    this.addSql(`drop index if exists "attachments_sha256_index";`);
    this.addSql(`drop index if exists "attachments_pending_created_at_index";`);
    this.addSql(`drop index if exists "attachments_pending_owner_index";`);
    this.addSql(`alter table "attachments" drop constraint if exists "attachments_uploaded_by_foreign";`);
    this.addSql(`alter table "attachments" drop column if exists "uploaded_by";`);
    this.addSql(`alter table "attachments" alter column "ticket_id" set not null;`);
  }
}
