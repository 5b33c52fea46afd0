export * from './entities';
export * from './automation-entities';
export * from './webhook-entities';
export * from './inbound-entities';
export * from './notification-entities';
export * from './console-entities';
export { pgArray } from './sql';
export { ormConfig, openOrm, migrateUp, type MikroORM } from './orm';
export * from './ops-entities';
