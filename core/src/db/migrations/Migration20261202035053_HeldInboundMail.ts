import { Migration } from '@mikro-orm/migrations';

export class Migration20261202035053_HeldInboundMail extends Migration {
  override name = 'Migration20261202035053_HeldInboundMail';

  override up(): void | Promise<void> {
    this.addSql(`alter table "messages" add "review_status" text null, add "held_from" varchar(254) null;`);
    this.addSql(`alter table "messages" add constraint "messages_review_status_check" check ("review_status" in ('held', 'published', 'dismissed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_review_status_check";`);
    this.addSql(`alter table "messages" drop column "review_status", drop column "held_from";`);
  }
}
