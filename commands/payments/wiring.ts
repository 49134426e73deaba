import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import type { Config } from "../../infra/config/config.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";
import { makeKafka } from "../../infra/kafka/client.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import { makeKafkaCommandQueue } from "../queue/kafka.ts";
import { makePgPartitionRegistry } from "../queue/partitions.ts";
import type { CommandQueue } from "../../infra/command-queue/port.ts";
import { type CommandTopics, commandTopics, ensureTopics } from "../queue/topics.ts";
import { type AttemptsStore, makePostgresAttemptsStore } from "./attempts-store.ts";

/**
 * The clients the payments role and the `holdfast payments` commands build from the decoded config: the
 * saga's tables (PostgreSQL), the command queue (Kafka) and, for the saga, the event store.
 */
export interface PaymentsClients {
  readonly pool: pg.Pool;
  readonly attempts: AttemptsStore;
  readonly queue: CommandQueue;
  close(): Promise<void>;
}

/** `topics`: the command topics (`holdfast serve --namespace` passes its own; default production's). */
export const openPaymentsClients = async (
  config: Config,
  logger: Logger,
  topics: CommandTopics = commandTopics(),
): Promise<PaymentsClients> => {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: 8,
    application_name: "holdfast-payments",
  });
  pool.on("error", () => undefined);
  const kafka = makeKafka(config, { clientId: "holdfast-payments", logger });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopics(admin, topics);
    const registry = await makePgPartitionRegistry(pool, topics.commands);
    const queue = await makeKafkaCommandQueue({ kafka, admin, registry, topics, logger });
    return {
      pool,
      attempts: makePostgresAttemptsStore(pool),
      queue,
      async close() {
        await queue.stop();
        await admin.disconnect();
        await pool.end();
      },
    };
  } catch (e) {
    await admin.disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw e;
  }
};

/** The event store the saga follows. EventStoreDB (`EVENTSTORE_URL`) is not wired here yet. */
export const openEventStore = async (config: Config): Promise<EventStore> => {
  if (config.eventStoreUrl !== null)
    throw new Error(
      "payments: EVENTSTORE_URL is set, but the payments role only follows the PostgreSQL store so far",
    );
  const made = await makePostgresEventStore({
    connectionString: config.databaseUrl,
    applicationName: "holdfast-payments",
  })();
  if (E.isLeft(made)) throw new Error(`payments: event store unavailable: ${JSON.stringify(made.left)}`);
  return made.right;
};
