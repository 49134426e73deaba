import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { headerText } from "../../infra/kafka/integration-topic.ts";
import { type LinkVerdict, linkChecker } from "./link-checker.ts";

export interface TailOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly from: "earliest" | "latest";
  /** Only this SKU's events (others are read and ignored). */
  readonly skuId?: string;
  readonly onVerdict: (v: LinkVerdict, meta: { readonly partition: number; readonly offset: string }) => void;
}

/**
 * Tail the integration topic with a throwaway consumer group (nothing committed that could disturb real
 * consumers) and check each message's hash link. Resolves with a `stop` once the consumer runs.
 */
export const tailIntegrationTopic = async (opts: TailOptions) => {
  const consumer = opts.kafka.consumer({
    groupId: `holdfast-subscribe-${randomUUID()}`,
    retry: { retries: 5 },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.from === "earliest" });
  const check = linkChecker({ fromEarliest: opts.from === "earliest" });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message, partition }) => {
      const key = message.key?.toString("utf8");
      if (opts.skuId !== undefined && key !== opts.skuId) return;
      opts.onVerdict(check(message.value?.toString("utf8") ?? "", headerText(message.headers)), {
        partition,
        offset: message.offset,
      });
    },
  });
  return { stop: () => consumer.disconnect() };
};
