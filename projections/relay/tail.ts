import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { headerText } from "../../infra/kafka/integration-topic.ts";
import { superviseConsumer } from "../../infra/kafka/supervised-consumer.ts";
import { type Logger, silentLogger } from "../../infra/observability/logger.ts";
import { type LinkVerdict, linkChecker } from "./link-checker.ts";

export interface TailOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly from: "earliest" | "latest";
  /** Only this SKU's events (others are read and ignored). */
  readonly skuId?: string;
  readonly onVerdict: (v: LinkVerdict, meta: { readonly partition: number; readonly offset: string }) => void;
  /** Where the consumer supervisor logs crashes and rebuilds (default: nowhere). */
  readonly logger?: Logger;
}

/**
 * Tail the integration topic with a throwaway consumer group (nothing committed that could disturb real
 * consumers) and check each message's hash link. Resolves with a `stop` once the consumer runs.
 */
export const tailIntegrationTopic = async (opts: TailOptions) => {
  const check = linkChecker({ fromEarliest: opts.from === "earliest" });
  // Supervised (infra/kafka/supervised-consumer.ts): a broker restart rebuilds the consumer instead of
  // leaving the tail silent. Offsets of this throwaway group are committed so a rebuilt consumer goes on
  // where it was; a message seen twice is reported as a duplicate by the link checker, never as a break.
  const sup = await superviseConsumer({
    name: "subscribe",
    kafka: opts.kafka,
    logger: opts.logger ?? silentLogger(),
    config: { groupId: `holdfast-subscribe-${randomUUID()}`, retry: { retries: 5 } },
    bind: async (consumer) => {
      await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.from === "earliest" });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const key = message.key?.toString("utf8");
          if (opts.skuId !== undefined && key !== opts.skuId) return;
          opts.onVerdict(check(message.value?.toString("utf8") ?? "", headerText(message.headers)), {
            partition,
            offset: message.offset,
          });
        },
      });
    },
  });
  return { stop: () => sup.stop() };
};
