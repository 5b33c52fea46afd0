export * from './entities';
export * from './automation-entities';
export { ormConfig, openOrm, migrateUp, type MikroORM } from './orm';
