import type { Admin } from "kafkajs";
import type pg from "pg";
import type { Config } from "../config/config.ts";
import { type Kafka, makeKafka } from "../kafka/client.ts";
import type { Logger } from "../observability/logger.ts";
import { openPool } from "../postgres/pool.ts";
import { type KafkaCommandQueue, makeKafkaCommandQueue } from "./kafka.ts";
import { makePgPartitionRegistry, type PartitionRegistry } from "./partitions.ts";
import { type CommandTopics, ensureTopics } from "./topics.ts";

/** The config slice the command queue is built from (`infra/config`: postgres + kafka). */
export type CommandQueueConfig = Pick<Config, "databaseUrl" | "kafkaBrokers">;

/**
 * What every role that puts commands on the queue builds (write API, command handler for expiries, the
 * sweeper, the payment saga, `holdfast payments resolve`): Kafka, the topics, the SKU → partition
 * registry in PostgreSQL and the producer. `stop()` closes all of it.
 */
export interface OpenCommandQueue {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly pool: pg.Pool;
  readonly registry: PartitionRegistry;
  readonly queue: KafkaCommandQueue;
  stop(): Promise<void>;
}

export interface OpenCommandQueueOptions {
  readonly topics: CommandTopics;
  /** Kafka client id and PostgreSQL application_name. */
  readonly clientId: string;
  readonly logger: Logger;
  /** Pool size (default 2: the registry caches each SKU's partition once known). */
  readonly poolSize?: number;
}

export const openCommandQueue = async (
  config: CommandQueueConfig,
  opts: OpenCommandQueueOptions,
): Promise<OpenCommandQueue> => {
  const kafka = makeKafka(config, { clientId: opts.clientId, logger: opts.logger });
  const admin = kafka.admin();
  const pool = openPool(config, { max: opts.poolSize ?? 2, name: opts.clientId });
  try {
    await admin.connect();
    await ensureTopics(admin, opts.topics);
    const registry = await makePgPartitionRegistry(pool, opts.topics.commands);
    const queue = await makeKafkaCommandQueue({
      kafka,
      admin,
      registry,
      topics: opts.topics,
      logger: opts.logger,
    });
    return {
      kafka,
      admin,
      pool,
      registry,
      queue,
      stop: async () => {
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
