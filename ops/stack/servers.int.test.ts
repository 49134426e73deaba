import { randomUUID } from "node:crypto";
import { Client as EsClient } from "@elastic/elasticsearch";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { describe, expect, it } from "vitest";

// These prove the test run talks to real servers at the API.md URLs (what `holdfast stack up` provides).
// Each test isolates itself: its own topic, group and index, nothing shared is flushed or dropped.
const env = (k: string, d: string) =>
  process.env[k] === undefined || process.env[k] === "" ? d : process.env[k];
const databaseUrl = env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/holdfast");
const redisUrl = env("REDIS_URL", "redis://127.0.0.1:6379");
const brokers = env("KAFKA_BROKERS", "127.0.0.1:9092").split(",");
const esUrl = env("ELASTICSEARCH_URL", "http://127.0.0.1:9200");
const suffix = randomUUID().slice(0, 8);

const until = async <A>(f: () => A | undefined, timeoutMs: number): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("the local stack's real servers", () => {
  it("PostgreSQL answers select version() and has the holdfast database", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const version = await client.query<{ version: string }>("select version()");
      expect(version.rows[0]?.version).toMatch(/^PostgreSQL \d+/);
      const dbName = new URL(databaseUrl).pathname.slice(1);
      const db = await client.query("select datname from pg_database where datname = $1", [dbName]);
      expect(db.rowCount).toBe(1);
      expect((await client.query<{ d: string }>("select current_database() as d")).rows[0]?.d).toBe(dbName);
    } finally {
      await client.end();
    }
  });

  it("Redis reports its server version and round-trips a key", async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const info = await redis.info("server");
      expect(info).toMatch(/redis_version:\d+\.\d+/);
      const key = `hf_test:${suffix}:stack`;
      await redis.set(key, "here", "EX", 60);
      expect(await redis.get(key)).toBe("here");
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  it("Kafka creates a topic, then produces and consumes one message on it", async () => {
    const kafka = new Kafka({ clientId: `hf-test-${suffix}`, brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const topic = `hf_test_stack_${suffix}`;
    await admin.connect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `hf-test-${suffix}` });
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(
        true,
      );
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: "sku-1", value: `hello ${suffix}` }] });
      const received: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(`${message.key?.toString()}=${message.value?.toString()}`);
        },
      });
      const got = await until(() => received[0], 60_000);
      expect(got).toBe(`sku-1=hello ${suffix}`);
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it("Elasticsearch indexes a document, finds it by full-text search and deletes the index", async () => {
    const es = new EsClient({ node: esUrl });
    const index = `hf_test_stack_${suffix}`;
    try {
      const health = await es.cluster.health();
      expect(["green", "yellow"]).toContain(health.status);
      await es.indices.create({
        index,
        mappings: { properties: { name: { type: "text" }, tag: { type: "keyword" } } },
      });
      await es.index({
        index,
        id: "demo",
        document: { name: "Limited edition trainers", tag: "shoes" },
        refresh: true,
      });
      const found = await es.search<{ name: string }>({
        index,
        query: {
          bool: {
            must: { match: { name: { query: "trainer", fuzziness: "AUTO" } } },
            filter: { term: { tag: "shoes" } },
          },
        },
      });
      expect(found.hits.hits.map((h) => h._id)).toEqual(["demo"]);
      expect(found.hits.hits[0]?._source?.name).toBe("Limited edition trainers");
    } finally {
      await es.indices.delete({ index }, { ignore: [404] });
      expect(await es.indices.exists({ index })).toBe(false);
      await es.close();
    }
  });
});
