import { randomBytes, randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { ensureIntegrationTopic } from "../../infra/kafka/integration-topic.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { projectionMetrics } from "../runtime/metrics.ts";
import { runProjector } from "../runtime/runner.ts";
import { memoryStatusSink } from "../runtime/status.ts";
import { testDatabase } from "../testing/postgres.ts";
import { cancelled, listed, placed } from "../../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../testing/scenario.ts";
import { relayProjection } from "./kafka.ts";
import type { LinkVerdict } from "./link-checker.ts";
import { tailIntegrationTopic } from "./tail.ts";

const kafka = new Kafka({
  clientId: "relay-test",
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
  logLevel: logLevel.NOTHING,
});
const topic = `holdfast.sku-events.v1.test-${randomBytes(5).toString("hex")}`;
const admin = kafka.admin();
let db: Awaited<ReturnType<typeof testDatabase>>;

beforeAll(async () => {
  db = await testDatabase();
  await admin.connect();
  await ensureIntegrationTopic(admin, topic);
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  await db.cleanup();
});

describe("integration relay + subscribe", () => {
  it("subscribe sees every event once, in stream order, with valid links and CloudEvents headers", async () => {
    const store = makeMemoryEventStore({ pollIntervalMs: 10 });
    const a = skuScenario(store, "relay-a");
    const b = skuScenario(store, "relay-b");
    const r1 = randomUUID();
    const written = [
      ...(await a.append(listed("relay-a"))),
      ...(await b.append(listed("relay-b"), placed(randomUUID(), "bob", 1))),
      ...(await a.append(placed(r1, "alice", 1))),
      ...(await a.append(cancelled(r1, "alice", 1))),
    ];
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const running = runProjector({
      store,
      projection: relayProjection({ pool: db.pool, producer, topic }),
      logger: silentLogger(),
      metrics: projectionMetrics(makeRegistry({ defaults: false })),
      status: memoryStatusSink(),
      batchSize: 2,
    });
    const verdicts: LinkVerdict[] = [];
    const tail = await tailIntegrationTopic({
      kafka,
      topic,
      from: "earliest",
      onVerdict: (v) => verdicts.push(v),
    });
    try {
      await eventually(
        async () => (verdicts.length >= written.length ? true : undefined),
        30_000,
        "all events",
      );
      expect(verdicts.every((v) => v._tag === "Linked")).toBe(true);
      const seen = verdicts.flatMap((v) => (v._tag === "Linked" ? [v.envelope] : []));
      expect(seen.map((e) => e.eventId).sort()).toEqual(written.map((e) => e.eventId).sort());
      for (const sku of ["sku-relay-a", "sku-relay-b"])
        expect(seen.filter((e) => e.streamId === sku).map((e) => e.revision)).toEqual(
          written.filter((e) => e.streamId === sku).map((e) => e.revision),
        );
      // The checkpoint went with the broker's acknowledgement: a restart would resume after the last event.
      await eventually(async () => {
        const r = await db.pool.query("SELECT position::text FROM hf_projection.checkpoint WHERE name = $1", [
          `relay:${topic}`,
        ]);
        return r.rows[0]?.position === "5" ? true : undefined;
      });
    } finally {
      await running.stop();
      await tail.stop();
      await producer.disconnect();
    }
  });

  it("the link checker flags a tampered event and a missing link", async () => {
    const { linkChecker } = await import("./link-checker.ts");
    const { integrationMessage } = await import("../../infra/kafka/integration-topic.ts");
    const s = skuScenario(null, "x");
    const evs = s.seal(listed("x"), placed(randomUUID(), "u", 1), placed(randomUUID(), "u", 1));
    const text = (e: (typeof evs)[number]) => {
      const m = integrationMessage(e);
      return [String(m.value), m.headers as Record<string, string>] as const;
    };
    const c1 = linkChecker({ fromEarliest: true });
    expect(c1(...text(evs[0]!))._tag).toBe("Linked");
    expect(c1(...text(evs[2]!))).toMatchObject({ _tag: "Broken", revision: 2 }); // revision 1 missing
    const c2 = linkChecker({ fromEarliest: true });
    const [value, headers] = text(evs[0]!);
    expect(c2(value.replace("Tee x", "Tee y"), headers)).toMatchObject({ _tag: "Broken" });
  });
});
