import type pg from "pg";
import { openCommandQueue } from "../../infra/command-queue/open.ts";
import type { CommandQueue } from "../../infra/command-queue/port.ts";
import { type CommandTopics, commandTopics } from "../../infra/command-queue/topics.ts";
import { kafkaSettings, postgresSettings } from "../../infra/config/config.ts";
import type { ConfigOf } from "../../infra/config/config.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import { type AttemptsStore, makePostgresAttemptsStore } from "./attempts-store.ts";

/** What the saga's clients read: its tables (PostgreSQL) and the command queue (Kafka). */
export const paymentsClientSettings = { ...postgresSettings, ...kafkaSettings };

/**
 * The clients the payments role and `holdfast payments resolve` build from the decoded config: the
 * saga's tables (PostgreSQL) and the command queue (Kafka).
 */
export interface PaymentsClients {
  readonly pool: pg.Pool;
  readonly attempts: AttemptsStore;
  readonly queue: CommandQueue;
  close(): Promise<void>;
}

/** `topics`: the command topics (`holdfast serve --namespace` passes its own; default production's). */
export const openPaymentsClients = async (
  config: ConfigOf<typeof paymentsClientSettings>,
  logger: Logger,
  topics: CommandTopics = commandTopics(),
): Promise<PaymentsClients> => {
  const q = await openCommandQueue(config, { topics, clientId: "holdfast-payments", logger, poolSize: 8 });
  return {
    pool: q.pool,
    attempts: makePostgresAttemptsStore(q.pool),
    queue: q.queue,
    close: () => q.stop(),
  };
};
