import * as E from "fp-ts/lib/Either.js";
import type { Config } from "../../infra/config/config.ts";
import { makeEventStoreDbEventStore } from "../../infra/event-store/eventstoredb.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";

/**
 * The event store the audit and replay commands read, chosen as every process chooses it (API.md):
 * EventStoreDB when `EVENTSTORE_URL` is set, PostgreSQL at `DATABASE_URL` otherwise.
 * (Replace with `makeEventStore(config)` from infra/event-store/index.ts once that lands.)
 */
export const openEventStore = async (config: Config): Promise<E.Either<StoreError, EventStore>> => {
  if (config.eventStoreUrl !== null) return E.right(makeEventStoreDbEventStore({ connectionString: config.eventStoreUrl }));
  return makePostgresEventStore({
    connectionString: config.databaseUrl,
    maxConnections: 2,
    applicationName: "holdfast-audit",
  })();
};
