export * from './entities';
export { ormConfig, openOrm, migrateUp, type MikroORM } from './orm';
