import { Migration } from '@mikro-orm/migrations';

export class Migration20261121133602_InboundEmail extends Migration {
  override name = 'Migration20261121133602_InboundEmail';

  override up(): void | Promise<void> {
    this.addSql(`create table "ticket_participants" ("id" serial primary key, "ticket_id" int not null, "email" varchar(254) not null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "ticket_participants" add constraint "ticket_participants_ticket_id_email_unique" unique ("ticket_id", "email");`);

    this.addSql(
      `create table "inbound_emails" ("id" serial primary key, "message_id" varchar(998) null, "from_address" varchar(254) not null, "envelope_to" text[] not null, "subject" varchar(998) not null, "raw_path" varchar(500) not null, "size" int not null, "status" text not null, "reason" varchar(500) null, "ticket_id" int null, "created_at" timestamptz not null, "processed_at" timestamptz null);`,
    );
    this.addSql(`create index "inbound_emails_message_id_index" on "inbound_emails" ("message_id");`);
    this.addSql(`create index "inbound_emails_from_address_created_at_index" on "inbound_emails" ("from_address", "created_at");`);

    this.addSql(
      `create table "attachments" ("id" serial primary key, "ticket_id" int not null, "message_id" int null, "filename" varchar(255) not null, "content_type" varchar(255) not null, "size" int not null, "sha256" varchar(64) not null, "storage_path" varchar(500) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "attachments_ticket_id_index" on "attachments" ("ticket_id");`);

    this.addSql(`alter table "ticket_participants" add constraint "ticket_participants_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete cascade;`);

    this.addSql(`alter table "inbound_emails" add constraint "inbound_emails_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete set null;`);
    this.addSql(`alter table "inbound_emails" add constraint "inbound_emails_status_check" check ("status" in ('received', 'ticket_created', 'replied', 'ignored', 'failed'));`);

    this.addSql(`alter table "attachments" add constraint "attachments_ticket_id_foreign" foreign key ("ticket_id") references "tickets" ("id") on delete cascade;`);
    this.addSql(`alter table "attachments" add constraint "attachments_message_id_foreign" foreign key ("message_id") references "messages" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "ticket_participants" cascade;`);
    this.addSql(`drop table if exists "inbound_emails" cascade;`);
    this.addSql(`drop table if exists "attachments" cascade;`);
  }
}
