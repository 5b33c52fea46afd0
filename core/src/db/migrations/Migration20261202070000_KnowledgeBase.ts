import { Migration } from '@mikro-orm/migrations';

// Knowledge base (issue 9): categories, articles, their per-language translations, a version
// row per save, feedback, daily view counters and embedded images. The search migration adds
// its triggers on these tables.
export class Migration20261202070000_KnowledgeBase extends Migration {
  override name = 'Migration20261202070000_KnowledgeBase';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "kb_categories" ("id" serial primary key, "parent_id" int null, "position" int not null default 0, "names" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(`create index "kb_categories_parent_id_index" on "kb_categories" ("parent_id");`);

    this.addSql(
      `create table "kb_images" ("id" serial primary key, "filename" varchar(255) not null, "content_type" varchar(100) not null, "size" int not null, "storage_path" varchar(500) not null, "sha256" varchar(64) not null, "uploaded_by" int null, "created_at" timestamptz not null);`,
    );

    this.addSql(
      `create table "kb_articles" ("id" serial primary key, "category_id" int null, "visibility" text not null default 'public', "tags" text[] not null default '{}', "author_id" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1);`,
    );
    this.addSql(`create index "kb_articles_category_id_index" on "kb_articles" ("category_id");`);

    this.addSql(
      `create table "kb_feedback" ("id" serial primary key, "article_id" int not null, "lang" text not null, "helpful" boolean not null, "comment" text null, "client_key" varchar(64) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "kb_feedback_article_id_created_at_index" on "kb_feedback" ("article_id", "created_at");`);

    this.addSql(`create table "kb_article_views" ("article_id" int not null, "lang" text not null, "day" date not null, "views" int not null default 0, primary key ("article_id", "lang", "day"));`);

    this.addSql(
      `create table "kb_article_translations" ("id" serial primary key, "article_id" int not null, "lang" text not null, "title" varchar(300) not null, "slug" varchar(200) not null, "body_html" text not null, "body_text" text not null, "status" text not null default 'draft', "published_at" timestamptz null, "updated_by" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1);`,
    );
    this.addSql(`alter table "kb_article_translations" add constraint "kb_article_translations_article_id_lang_unique" unique ("article_id", "lang");`);
    this.addSql(`alter table "kb_article_translations" add constraint "kb_article_translations_lang_slug_unique" unique ("lang", "slug");`);

    this.addSql(
      `create table "kb_article_versions" ("id" serial primary key, "translation_id" int not null, "number" int not null, "title" varchar(300) not null, "slug" varchar(200) not null, "body_html" text not null, "status" text not null, "author_id" int null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "kb_article_versions" add constraint "kb_article_versions_translation_id_number_unique" unique ("translation_id", "number");`);

    this.addSql(`alter table "kb_categories" add constraint "kb_categories_parent_id_foreign" foreign key ("parent_id") references "kb_categories" ("id") on delete restrict;`);

    this.addSql(`alter table "kb_images" add constraint "kb_images_uploaded_by_foreign" foreign key ("uploaded_by") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "kb_articles" add constraint "kb_articles_category_id_foreign" foreign key ("category_id") references "kb_categories" ("id") on delete set null;`);
    this.addSql(`alter table "kb_articles" add constraint "kb_articles_author_id_foreign" foreign key ("author_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "kb_articles" add constraint "kb_articles_visibility_check" check ("visibility" in ('public', 'internal'));`);

    this.addSql(`alter table "kb_feedback" add constraint "kb_feedback_article_id_foreign" foreign key ("article_id") references "kb_articles" ("id") on delete cascade;`);
    this.addSql(`alter table "kb_feedback" add constraint "kb_feedback_lang_check" check ("lang" in ('en', 'fa'));`);

    this.addSql(`alter table "kb_article_views" add constraint "kb_article_views_article_id_foreign" foreign key ("article_id") references "kb_articles" ("id") on delete cascade;`);
    this.addSql(`alter table "kb_article_views" add constraint "kb_article_views_lang_check" check ("lang" in ('en', 'fa'));`);

    this.addSql(`alter table "kb_article_translations" add constraint "kb_article_translations_article_id_foreign" foreign key ("article_id") references "kb_articles" ("id") on delete cascade;`);
    this.addSql(`alter table "kb_article_translations" add constraint "kb_article_translations_updated_by_foreign" foreign key ("updated_by") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "kb_article_translations" add constraint "kb_article_translations_lang_check" check ("lang" in ('en', 'fa'));`);
    this.addSql(`alter table "kb_article_translations" add constraint "kb_article_translations_status_check" check ("status" in ('draft', 'published', 'archived'));`);

    this.addSql(
      `alter table "kb_article_versions" add constraint "kb_article_versions_translation_id_foreign" foreign key ("translation_id") references "kb_article_translations" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "kb_article_versions" add constraint "kb_article_versions_author_id_foreign" foreign key ("author_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "kb_article_versions" add constraint "kb_article_versions_status_check" check ("status" in ('draft', 'published', 'archived'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "kb_categories" drop constraint "kb_categories_parent_id_foreign";`);
    this.addSql(`alter table "kb_articles" drop constraint "kb_articles_category_id_foreign";`);
    this.addSql(`alter table "kb_feedback" drop constraint "kb_feedback_article_id_foreign";`);
    this.addSql(`alter table "kb_article_views" drop constraint "kb_article_views_article_id_foreign";`);
    this.addSql(`alter table "kb_article_translations" drop constraint "kb_article_translations_article_id_foreign";`);
    this.addSql(`alter table "kb_article_versions" drop constraint "kb_article_versions_translation_id_foreign";`);

    this.addSql(`drop table if exists "kb_categories" cascade;`);
    this.addSql(`drop table if exists "kb_images" cascade;`);
    this.addSql(`drop table if exists "kb_articles" cascade;`);
    this.addSql(`drop table if exists "kb_feedback" cascade;`);
    this.addSql(`drop table if exists "kb_article_views" cascade;`);
    this.addSql(`drop table if exists "kb_article_translations" cascade;`);
    this.addSql(`drop table if exists "kb_article_versions" cascade;`);
  }
}
