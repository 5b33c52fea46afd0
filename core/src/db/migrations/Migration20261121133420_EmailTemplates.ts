import { Migration } from '@mikro-orm/migrations';

export class Migration20261121133420_EmailTemplates extends Migration {
  override name = 'Migration20261121133420_EmailTemplates';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "email_templates" ("id" serial primary key, "key" varchar(64) not null, "locale" text not null, "subject" varchar(500) not null, "body" text not null, "updated_by" int null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`alter table "email_templates" add constraint "email_templates_key_locale_unique" unique ("key", "locale");`);

    this.addSql(`alter table "email_templates" add constraint "email_templates_locale_check" check ("locale" in ('en', 'fa'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "email_templates" cascade;`);
  }
}
