import { Migration } from '@mikro-orm/migrations';

export class Migration20261121124004_EmailHandoff extends Migration {
  override name = 'Migration20261121124004_EmailHandoff';

  override up(): void | Promise<void> {
    this.addSql(`alter table "email_log" drop constraint "email_log_status_check";`);
    this.addSql(`alter table "email_log" add "handed_off_at" timestamptz null;`);
    this.addSql(`alter table "email_log" add constraint "email_log_status_check" check ("status" in ('sending', 'sent', 'failed', 'unconfirmed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "email_log" drop constraint "email_log_status_check";`);
    this.addSql(`alter table "email_log" drop column "handed_off_at";`);
    this.addSql(`alter table "email_log" add constraint "email_log_status_check" check ("status" in ('sending', 'sent', 'failed'));`);
  }
}
