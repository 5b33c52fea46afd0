import { Migration } from '@mikro-orm/migrations';

export class Migration20261121144319_TagColour extends Migration {
  override name = 'Migration20261121144319_TagColour';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tags" add "colour" varchar(7) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tags" drop column "colour";`);
  }
}
