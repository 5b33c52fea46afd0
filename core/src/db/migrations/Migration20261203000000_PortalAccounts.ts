import { Migration } from '@mikro-orm/migrations';

// Customer self sign-up: a sign-up waits in `portal_signups` until its e-mail link is followed
// (only then does it become, or complete, a customer account), and `signed_link_uses` records
// each single-use link (verification, reset, magic sign-in) once it has been used.
export class Migration20261203000000_PortalAccounts extends Migration {
  override name = 'Migration20261203000000_PortalAccounts';

  override up(): void | Promise<void> {
    this.addSql(`create table "portal_signups" (
      "id" serial primary key,
      "email" varchar(254) not null,
      "name" varchar(200) not null,
      "password_hash" varchar(255) not null,
      "locale" text not null default 'en' check ("locale" in ('en', 'fa')),
      "created_at" timestamptz not null default now(),
      "expires_at" timestamptz not null,
      "verified_at" timestamptz null);`);
    this.addSql(`create index "portal_signups_email_index" on "portal_signups" ("email", "created_at" desc);`);
    this.addSql(`create table "signed_link_uses" (
      "nonce" varchar(32) primary key,
      "purpose" text not null,
      "user_id" int not null,
      "used_at" timestamptz not null,
      "expires_at" timestamptz not null);`);
    this.addSql(`create index "signed_link_uses_expires_at_index" on "signed_link_uses" ("expires_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "signed_link_uses";`);
    this.addSql(`drop table if exists "portal_signups";`);
  }
}
