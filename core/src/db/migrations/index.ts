// Explicit, ordered list of committed migrations: works identically under tsx, Vitest and any
// bundler, with no file-system discovery at run time. Append new migrations at the end.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121120050_Initial } from './Migration20261121120050_Initial';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261121120050_Initial', class: Migration20261121120050_Initial },
];
