import type { Admin, IHeaders, Message } from "kafkajs";
import { canonicalJson, type EventEnvelope, skuIdOf } from "../../event-schemas/index.ts";
import { traceHeaders } from "../observability/kafka-trace.ts";

/**
 * The integration topic (API.md "Integration topic"): every event of every SKU stream, keyed by SKU id,
 * in stream order. Value: the stored envelope as (canonical) JSON. Headers: CloudEvents 1.0 binary mode
 * plus the hash chain. Delivery is at least once; `ce_id` (the event id) is the dedupe key.
 */
export const INTEGRATION_TOPIC = "holdfast.sku-events.v1";
export const integrationTopic = (suffix = "") => `${INTEGRATION_TOPIC}${suffix}`;
export const INTEGRATION_PARTITIONS = 12;

export const CE_SOURCE = "urn:holdfast:sku-events";

/** `holdfast.sku.<EventType>.v<schemaVersion>`, e.g. `holdfast.sku.ReservationPlaced.v2`. */
export const ceType = (e: Pick<EventEnvelope, "type" | "schemaVersion">) =>
  `holdfast.sku.${e.type}.v${e.schemaVersion}`;

/**
 * The Kafka message for one stored event. `storedText`: the store's canonical text of `e`, when at hand
 * (the same bytes `canonicalJson(e)` would make, without making them again).
 */
export const integrationMessage = (e: EventEnvelope, storedText?: string): Message => ({
  key: skuIdOf(e.streamId) ?? e.streamId,
  value: storedText ?? canonicalJson(e),
  headers: {
    ce_specversion: "1.0",
    ce_id: e.eventId,
    ce_type: ceType(e),
    ce_source: CE_SOURCE,
    ce_subject: e.streamId,
    ce_time: e.occurredAt,
    "content-type": "application/json",
    "holdfast-revision": String(e.revision),
    "holdfast-hash": e.hash,
    "holdfast-prev-hash": e.prevHash,
    // The trace of the request that caused the event (API.md: messages carry its traceparent).
    ...traceHeaders(e.correlationId),
  },
});

/** Header values as strings (kafkajs hands them over as Buffers). */
export const headerText = (headers: IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) out[k] = Buffer.isBuffer(one) ? one.toString("utf8") : String(one);
  }
  return out;
};

/** Create the topic when missing (a topic created meanwhile by another process is fine). */
export const ensureIntegrationTopic = async (admin: Admin, topic: string): Promise<void> => {
  if ((await admin.listTopics()).includes(topic)) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: INTEGRATION_PARTITIONS, replicationFactor: -1 }],
    });
  } catch (e) {
    if (!(await admin.listTopics()).includes(topic)) throw e;
  }
};
