export { migrate, migrations } from "./migrations.ts";
export { makePostgresEventStore, type PostgresEventStore, type PostgresEventStoreOptions } from "./store.ts";
