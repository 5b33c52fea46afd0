import { Migration } from '@mikro-orm/migrations';

export class Migration20261121143221_InboundSourceKey extends Migration {
  override name = 'Migration20261121143221_InboundSourceKey';

  override up(): void | Promise<void> {
    this.addSql(`alter table "inbound_emails" add "source_key" varchar(200) null;`);
    this.addSql(`alter table "inbound_emails" add constraint "inbound_emails_source_key_unique" unique ("source_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "inbound_emails" drop constraint "inbound_emails_source_key_unique";`);
    this.addSql(`alter table "inbound_emails" drop column "source_key";`);
  }
}
