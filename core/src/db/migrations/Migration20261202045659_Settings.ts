import { Migration } from '@mikro-orm/migrations';

export class Migration20261202045659_Settings extends Migration {
  override name = 'Migration20261202045659_Settings';

  override up(): void | Promise<void> {
    this.addSql(`create table "settings" ("key" varchar(100) not null, "value" jsonb not null, "updated_at" timestamptz not null, "updated_by" int null, primary key ("key"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "settings" cascade;`);
  }
}
