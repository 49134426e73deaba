import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { makeEventStoreDbEventStore } from "./eventstoredb.ts";
import type { EventStore, StoreError } from "./port.ts";
import { makePostgresEventStore } from "./postgres/index.ts";

export * from "./port.ts";
export { makeEventStoreDbEventStore, type EventStoreDbOptions } from "./eventstoredb.ts";
export { makeMemoryEventStore } from "./memory.ts";
export { makePostgresEventStore, type PostgresEventStoreOptions } from "./postgres/index.ts";
export { SubscriptionFailed } from "./subscription.ts";
export { MAX_EVENT_BYTES, MAX_EVENTS_PER_APPEND, STREAM_ID } from "./validate-append.ts";

/** The parts of the process config that choose and reach the event store (`infra/config`'s `eventStoreSettings`). */
export interface EventStoreConfig {
  readonly databaseUrl: string;
  readonly eventStoreUrl: string | null;
}

/**
 * The event store a process uses: EventStoreDB when `eventStoreUrl` is set, PostgreSQL otherwise
 * (migrations applied first). `name` is the PostgreSQL `application_name` of the store's pool.
 *
 * @example
 *   const store = await makeEventStore(config)();
 */
export const makeEventStore = (
  config: EventStoreConfig,
  opts: { readonly name?: string } = {},
): TE.TaskEither<StoreError, EventStore> =>
  config.eventStoreUrl !== null && config.eventStoreUrl !== ""
    ? async () => E.right(makeEventStoreDbEventStore({ connectionString: config.eventStoreUrl as string }))
    : makePostgresEventStore({
        connectionString: config.databaseUrl,
        ...(opts.name === undefined ? {} : { applicationName: opts.name }),
      });

/**
 * `makeEventStore` for a composition root: a store that cannot be opened at start is fatal, so this
 * rejects with a message naming why (the role does not start, `holdfast serve` exits 1).
 */
export const openEventStore = async (
  config: EventStoreConfig,
  opts: { readonly name?: string } = {},
): Promise<EventStore> => {
  const r = await makeEventStore(config, opts)();
  if (E.isLeft(r)) throw new Error(`event store unavailable: ${r.left._tag} ${JSON.stringify(r.left)}`);
  return r.right;
};
