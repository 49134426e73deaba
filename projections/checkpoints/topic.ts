import type { Admin, Message } from "kafkajs";
import { type Cosignature, skuIdOf, type TreeHead } from "../../event-schemas/index.ts";

/**
 * `holdfast.sku-checkpoints.v1` (API.md): signed tree heads per SKU and witnesses' co-signatures of
 * them, keyed by SKU id (so one SKU's heads stay in order on one partition). Value: the head (the
 * `audit checkpoint` object) or the co-signature `{head, witness, signature}` as JSON; header
 * `holdfast-kind` is `head` or `cosignature`.
 */
export const CHECKPOINTS_TOPIC = "holdfast.sku-checkpoints.v1";
export const checkpointsTopic = (namespace = "") =>
  namespace === "" ? CHECKPOINTS_TOPIC : `${CHECKPOINTS_TOPIC}.${namespace}`;
const PARTITIONS = 12;

const keyOf = (head: TreeHead) => skuIdOf(head.streamId) ?? head.streamId;

export const headMessage = (head: TreeHead): Message => ({
  key: keyOf(head),
  value: JSON.stringify(head),
  headers: { "holdfast-kind": "head", "content-type": "application/json" },
});

export const cosignatureMessage = (c: Cosignature): Message => ({
  key: keyOf(c.head as TreeHead),
  value: JSON.stringify(c),
  headers: { "holdfast-kind": "cosignature", "content-type": "application/json" },
});

/** Create the topic when missing (a topic created meanwhile by another process is fine). */
export const ensureCheckpointsTopic = async (admin: Admin, topic: string): Promise<void> => {
  if ((await admin.listTopics()).includes(topic)) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: -1 }],
    });
  } catch (e) {
    if (!(await admin.listTopics()).includes(topic)) throw e;
  }
};
