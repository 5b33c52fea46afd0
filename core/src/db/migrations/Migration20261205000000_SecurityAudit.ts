import { Migration } from '@mikro-orm/migrations';

// Sign-in security and the audit log (issue 12):
// - Sessions (`auth_tokens`) remember where they come from and when they were last used, so
//   staff can see and end their own; `stage` is `full`, or `mfa` (password accepted, the TOTP
//   code still due) or `enrol` (the role requires two-factor sign-in and the user must set it up
//   first): such a session may only finish signing in.
// - Two-factor sign-in: the TOTP secret (encrypted with a key derived from MFA_SECRET_KEY), the
//   last time step accepted (a code works once), and single-use recovery codes, stored as hashes.
// - API keys: shown once, stored as a SHA-256 hash, scoped, each with its own rate limit.
// - The audit log is append-only: a trigger refuses UPDATE and TRUNCATE, and DELETE except from
//   the retention pass, which says so with `set local mehrdesk.audit_retention = 'on'`.
//   `actor_id` has no foreign key: the record outlives the user.
export class Migration20261205000000_SecurityAudit extends Migration {
  override name = 'Migration20261205000000_SecurityAudit';

  override up(): void | Promise<void> {
    this.addSql(`alter table "auth_tokens"
      add column "last_used_at" timestamptz null,
      add column "client_address" varchar(64) null,
      add column "user_agent" varchar(300) null,
      add column "stage" varchar(8) not null default 'full' check ("stage" in ('full', 'mfa', 'enrol'));`);
    this.addSql(`create index "auth_tokens_user_id_index" on "auth_tokens" ("user_id");`);

    this.addSql(`alter table "users" add column "totp_secret" text null, add column "totp_enabled_at" timestamptz null, add column "totp_last_step" bigint null;`);
    this.addSql(`create table "user_recovery_codes" (
      "id" serial primary key,
      "user_id" int not null references "users" ("id") on delete cascade,
      "code_hash" varchar(64) not null,
      "created_at" timestamptz not null default now(),
      "used_at" timestamptz null);`);
    this.addSql(`create index "user_recovery_codes_user_id_index" on "user_recovery_codes" ("user_id");`);

    this.addSql(`create table "api_keys" (
      "id" serial primary key,
      "name" varchar(100) not null,
      "user_id" int not null references "users" ("id") on delete cascade,
      "prefix" varchar(16) not null,
      "key_hash" varchar(64) not null unique,
      "scopes" text[] not null,
      "rate_limit_per_minute" int not null check ("rate_limit_per_minute" between 1 and 100000),
      "created_by" int null references "users" ("id") on delete set null,
      "created_at" timestamptz not null default now(),
      "expires_at" timestamptz null,
      "last_used_at" timestamptz null,
      "revoked_at" timestamptz null,
      "revoked_by" int null references "users" ("id") on delete set null);`);

    this.addSql(`create table "audit_log" (
      "id" bigserial primary key,
      "at" timestamptz not null default clock_timestamp(),
      "actor_kind" varchar(16) not null check ("actor_kind" in ('user', 'api_key', 'anonymous', 'system')),
      "actor_id" int null,
      "actor_email" varchar(254) null,
      "api_key_id" int null,
      "action" varchar(64) not null,
      "target_type" varchar(32) null,
      "target_id" varchar(64) null,
      "client_address" varchar(64) null,
      "request_id" varchar(100) null,
      "before" jsonb null,
      "after" jsonb null,
      "detail" jsonb null);`);
    this.addSql(`create index "audit_log_at_index" on "audit_log" ("at", "id");`);
    this.addSql(`create index "audit_log_actor_index" on "audit_log" ("actor_id", "id");`);
    this.addSql(`create index "audit_log_action_index" on "audit_log" ("action", "id");`);
    this.addSql(`create index "audit_log_target_index" on "audit_log" ("target_type", "target_id", "id");`);
    this.addSql(`create or replace function "audit_log_append_only"() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('mehrdesk.audit_retention', true) = 'on' then
          return old;
        end if;
        raise exception 'audit_log is append-only (% refused)', tg_op using errcode = '42501';
      end $$;`);
    this.addSql(`create trigger "audit_log_no_change" before update or delete on "audit_log" for each row execute function "audit_log_append_only"();`);
    this.addSql(`create trigger "audit_log_no_truncate" before truncate on "audit_log" for each statement execute function "audit_log_append_only"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "audit_log";`);
    this.addSql(`drop function if exists "audit_log_append_only"();`);
    this.addSql(`drop table if exists "api_keys";`);
    this.addSql(`drop table if exists "user_recovery_codes";`);
    this.addSql(`alter table "users" drop column if exists "totp_secret", drop column if exists "totp_enabled_at", drop column if exists "totp_last_step";`);
    this.addSql(`drop index if exists "auth_tokens_user_id_index";`);
    this.addSql(`alter table "auth_tokens" drop column if exists "last_used_at", drop column if exists "client_address", drop column if exists "user_agent", drop column if exists "stage";`);
  }
}
