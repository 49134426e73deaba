import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reserveToTheEnd } from "../../ops/serve/testing/answers.ts";
import {
  client,
  type Harness,
  type ServeProcess,
  startHarness,
  waitFor,
  metricTotal,
} from "../../ops/serve/testing/harness.ts";
import { checkReservationInvariants } from "../../ops/serve/testing/invariants.ts";

/** Faults and edges of the write path on real Kafka, PostgreSQL and Redis. */
let h: Harness;
let api: ServeProcess;
let firstHandler: ServeProcess;
let admin: string;

beforeAll(async () => {
  h = await startHarness("faults");
  firstHandler = await h.serve("command-handler");
  api = await h.serve("write-api", { waitMs: 3000 });
  admin = await h.token("ops", true);
});
afterAll(async () => {
  await h?.close();
});

const newSku = async (listing: Record<string, unknown>) => {
  const skuId = `sku-${randomUUID().slice(0, 8)}`;
  const r = await client(api.port).listSku(admin, { skuId, ...listing });
  expect(r.status).toBe(201);
  return skuId;
};

describe("bad input", () => {
  it("answers 4xx problems and enqueues nothing", async () => {
    const c = client(api.port);
    const skuId = await newSku({ stock: 10 });
    const alice = await h.token("alice");
    const before = await h.topicEnd(h.ns.topics.commands);
    const url = `${c.base}/v1/skus/${skuId}/reservations`;
    const send = (headers: Record<string, string>, body: string, path = url) =>
      fetch(path, { method: "POST", headers, body });
    const ok = { Authorization: `Bearer ${alice}`, "Content-Type": "application/json" };
    const key = () => ({ "Idempotency-Key": randomUUID() });
    const cases: Array<[string, Promise<Response>, number]> = [
      ["missing quantity", send({ ...ok, ...key() }, "{}"), 400],
      ["string quantity", send({ ...ok, ...key() }, '{"quantity":"1"}'), 400],
      ["quantity 0", send({ ...ok, ...key() }, '{"quantity":0}'), 400],
      ["quantity -1", send({ ...ok, ...key() }, '{"quantity":-1}'), 400],
      ["quantity 1.5", send({ ...ok, ...key() }, '{"quantity":1.5}'), 400],
      ["quantity 10^9", send({ ...ok, ...key() }, '{"quantity":1000000000}'), 400],
      [
        "body over 16 KiB",
        send({ ...ok, ...key() }, JSON.stringify({ quantity: 1, pad: "x".repeat(20_000) })),
        400,
      ],
      ["wrong content type", send({ ...ok, ...key(), "Content-Type": "text/plain" }, '{"quantity":1}'), 400],
      ["no Idempotency-Key", send(ok, '{"quantity":1}'), 400],
      ["no token", send({ "Content-Type": "application/json", ...key() }, '{"quantity":1}'), 401],
      ["bad token", send({ ...ok, ...key(), Authorization: "Bearer abc.def.ghi" }, '{"quantity":1}'), 401],
      [
        "unknown SKU",
        send({ ...ok, ...key() }, '{"quantity":1}', `${c.base}/v1/skus/no-such-sku/reservations`),
        404,
      ],
    ];
    for (const [what, pending, status] of cases) {
      const r = await pending;
      expect({ what, status: r.status }).toEqual({ what, status });
      expect(r.headers.get("Content-Type")).toBe("application/problem+json");
    }
    expect(await h.topicEnd(h.ns.topics.commands)).toBe(before);
  });

  it("rate limits a shopper with 429 and Retry-After when limits are on", async () => {
    const limited = await h.serve("write-api", {
      rateLimits: JSON.stringify({ shopperWrite: { burst: 3, perSecond: 0.2 } }),
    });
    const c = client(limited.port);
    const skuId = await newSku({ stock: 100, perUserLimit: 100 });
    const carol = await h.token("carol");
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof c.reserve>> | null = null;
    for (let i = 0; i < 4; i++) {
      last = await c.reserve(carol, skuId);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(Number(last?.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(last?.body.type).toBe("/problems/rate-limited");
    limited.child.kill("SIGTERM");
    expect(await limited.exited).toBe(0);
  });
});

describe("idempotency", () => {
  it("same key and body: the same reservation; other body: 422; concurrent duplicates: one command", async () => {
    const c = client(api.port);
    const skuId = await newSku({ stock: 10, perUserLimit: 5 });
    const dave = await h.token("dave");
    const first = await c.reserve(dave, skuId, { quantity: 1 }, "key-1");
    const again = await c.reserve(dave, skuId, { quantity: 1 }, "key-1");
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.reservationId).toBe(first.body.reservationId);
    const other = await c.reserve(dave, skuId, { quantity: 2 }, "key-1");
    expect(other.status).toBe(422);
    expect(other.body.type).toBe("/problems/idempotency-mismatch");
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => c.reserve(dave, skuId, { quantity: 2 }, "key-2")),
    );
    expect(new Set(burst.map((b) => b.status))).toEqual(new Set([201]));
    expect(new Set(burst.map((b) => b.body.reservationId)).size).toBe(1);
    const placed = (await h.stream(skuId)).filter((e) => e.event.type === "ReservationPlaced");
    expect(placed.map((e) => (e.event.data as { quantity: number }).quantity)).toEqual([1, 2]);
  });
});

describe("poison messages", () => {
  it("go to the dead-letter topic with the error in a header, and the next command is decided", async () => {
    const c = client(api.port);
    const skuId = await newSku({ stock: 5 });
    const pool = new pg.Pool({ connectionString: h.databaseUrl, max: 1 });
    const row = await pool.query<{ partition: number }>(
      "select partition from sku_partitions where sku_id = $1",
      [skuId],
    );
    await pool.end();
    const partition = row.rows[0]!.partition;
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: h.ns.topics.commands,
      messages: [
        { key: skuId, partition, value: "{not json" },
        {
          key: skuId,
          partition,
          value: JSON.stringify({ requestId: "nope", skuId, command: { type: "Explode" } }),
        },
      ],
    });
    await producer.disconnect();
    const erin = await h.token("erin");
    const r = await reserveToTheEnd(c, erin, "erin", skuId);
    expect(r.status).toBe(201);
    const consumer = h.kafka.consumer({ groupId: `test-dlq-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: h.ns.topics.deadLetters, fromBeginning: true });
    const seen: Array<{ value: string; error: string }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({
          value: message.value?.toString() ?? "",
          error: message.headers?.["holdfast-error"]?.toString() ?? "",
        });
      },
    });
    await waitFor("two dead letters", async () => seen.length >= 2, 30_000);
    await consumer.disconnect();
    expect(seen[0]).toMatchObject({ value: "{not json" });
    expect(seen[0]?.error).toMatch(/not JSON/);
    expect(seen[1]?.error).toMatch(/not a QueuedCommand/);
  });
});

describe("hold expiry", () => {
  it("a 2-second hold expires by the scheduler and its unit can be reserved again", async () => {
    const c = client(api.port);
    const skuId = await newSku({ stock: 1, holdSeconds: 2 });
    const frank = await h.token("frank");
    const grace = await h.token("grace");
    const held = await c.reserve(frank, skuId);
    expect(held.status).toBe(201);
    const refused = await c.reserve(grace, skuId);
    expect(refused.status).toBe(409);
    // The scheduler's ExpireHolds, not a later reservation, must expire the hold.
    const expired = await waitFor(
      "the hold to expire",
      async () => (await h.stream(skuId)).find((e) => e.event.type === "ReservationExpired"),
      15_000,
    );
    expect((expired.event.data as { reservationId: string }).reservationId).toBe(held.body.reservationId);
    const again = await c.reserve(grace, skuId);
    expect(again.status).toBe(201);
  });
});

describe("two handlers forced onto one SKU", () => {
  it("fencing by expected revision: no oversell, each request answered once", async () => {
    const second = await h.serve("command-handler", { handlerGroup: `second-${randomUUID().slice(0, 8)}` });
    const c = client(api.port);
    const skuId = await newSku({ stock: 200, perUserLimit: 1 });
    const users = Array.from({ length: 500 }, (_, i) => `f-${i % 400}`);
    const tokens = new Map(
      await Promise.all([...new Set(users)].map(async (u) => [u, await h.token(u)] as const)),
    );
    const answers = await Promise.all(
      users.map((u) => reserveToTheEnd(c, tokens.get(u)!, u, skuId, { retryUnavailable: true })),
    );
    await checkReservationInvariants(h, skuId, 200, answers);
    const queued = answers.filter((a) => !(a.status === 409 && a.body.requestId === undefined)).length;
    // The second handler (its own consumer group) saw and answered every command too.
    await waitFor(
      "the second handler to see every command",
      // (every command that reached the queue: a sold-out refused at the edge never did)
      async () => (await metricTotal(second.port, "holdfast_commands_decided_total")) >= queued,
    );
    const conflicts =
      (await metricTotal(firstHandler.port, "holdfast_append_conflicts_total")) +
      (await metricTotal(second.port, "holdfast_append_conflicts_total"));
    console.info(`fencing: ${conflicts} append conflicts between the two handlers`);
    second.child.kill("SIGTERM");
    await second.exited;
  });
});
