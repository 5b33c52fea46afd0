export * from './entities';
export * from './automation-entities';
export * from './webhook-entities';
export * from './inbound-entities';
export { ormConfig, openOrm, migrateUp, type MikroORM } from './orm';
