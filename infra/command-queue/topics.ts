import type { Admin } from "kafkajs";

/** The command topic and its dead-letter topic. Tests suffix both so runs never share a topic. */
export interface CommandTopics {
  readonly commands: string;
  readonly deadLetters: string;
}

export const commandTopics = (suffix = ""): CommandTopics => ({
  commands: `holdfast.sku-commands.v1${suffix}`,
  deadLetters: `holdfast.sku-commands.dlq.v1${suffix}`,
});

/** Partitions are added in steps of this many, so listing SKUs one by one does not rebalance every time. */
export const PARTITION_STEP = 8;

/** Create both topics when missing (idempotent; a topic created meanwhile by another process is fine). */
export const ensureTopics = async (admin: Admin, topics: CommandTopics): Promise<void> => {
  const existing = new Set(await admin.listTopics());
  const missing = [topics.commands, topics.deadLetters].filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: topic === topics.commands ? PARTITION_STEP : 1,
      replicationFactor: -1,
    })),
  });
};

/** Partitions the topic has now. */
export const partitionCount = async (admin: Admin, topic: string): Promise<number> => {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]?.partitions.length ?? 0;
};

/** Make sure partition `partition` exists, growing the topic in steps of `PARTITION_STEP`. */
export const ensurePartition = async (admin: Admin, topic: string, partition: number): Promise<void> => {
  const count = await partitionCount(admin, topic);
  if (partition < count) return;
  const target = (Math.floor(partition / PARTITION_STEP) + 1) * PARTITION_STEP;
  try {
    await admin.createPartitions({ topicPartitions: [{ topic, count: target }], validateOnly: false });
  } catch (e) {
    // Another process grew it first: fine if the partition exists now.
    if ((await partitionCount(admin, topic)) <= partition) throw e;
  }
};
