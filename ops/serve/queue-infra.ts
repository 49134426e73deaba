import * as E from "fp-ts/lib/Either.js";
import type { Admin } from "kafkajs";
import pg from "pg";
import { type KafkaCommandQueue, makeKafkaCommandQueue } from "../../commands/queue/kafka.ts";
import { makePgPartitionRegistry, type PartitionRegistry } from "../../commands/queue/partitions.ts";
import { ensureTopics } from "../../commands/queue/topics.ts";
import type { Config } from "../../infra/config/config.ts";
import { type EventStore, makeEventStore } from "../../infra/event-store/index.ts";
import { type Kafka, makeKafka } from "../../infra/kafka/client.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import type { Namespace } from "./namespace.ts";

/** What both write roles need to put commands on the queue: Kafka, the topics, the partition registry. */
export interface QueueInfra {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly pool: pg.Pool;
  readonly registry: PartitionRegistry;
  readonly queue: KafkaCommandQueue;
  stop(): Promise<void>;
}

export const startQueueInfra = async (
  config: Config,
  ns: Namespace,
  logger: Logger,
  clientId: string,
): Promise<QueueInfra> => {
  const kafka = makeKafka(config, { clientId, logger });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, ns.topics);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 2, application_name: clientId });
  pool.on("error", () => undefined);
  const registry = await makePgPartitionRegistry(pool, ns.topics.commands);
  const queue = await makeKafkaCommandQueue({ kafka, admin, registry, topics: ns.topics, logger });
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
};

/** The event store from config: EventStoreDB when EVENTSTORE_URL is set, PostgreSQL otherwise. */
export const openEventStore = async (config: Config): Promise<EventStore> => {
  const r = await makeEventStore(config)();
  if (E.isLeft(r)) throw new Error(`event store unavailable: ${r.left._tag} ${JSON.stringify(r.left)}`);
  return r.right;
};
