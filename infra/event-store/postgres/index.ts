export { migrate, migrations } from "./migrations.ts";
export { makePostgresEventStore, type PostgresEventStoreOptions } from "./store.ts";
