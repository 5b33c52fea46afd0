export * from './entities';
export * from './automation-entities';
export * from './webhook-entities';
export { ormConfig, openOrm, migrateUp, type MikroORM } from './orm';
