import { defineEntity, p } from '@mikro-orm/core';

// Settings admins change at run time (one JSON value per key), read where they apply: the
// environment gives the defaults, a stored value overrides them (services/settings.ts).

const now = () => new Date();

export const Setting = defineEntity({
  name: 'Setting',
  tableName: 'settings',
  properties: {
    key: p.string().length(100).primary(),
    value: p.json<unknown>(),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    /** The admin who stored the value; no foreign key, so deleting a user keeps the setting. */
    updatedBy: p.integer().nullable(),
  },
});

export const settingsEntities = [Setting];
