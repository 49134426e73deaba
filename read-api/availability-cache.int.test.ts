import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeMemoryEventStore } from "../infra/event-store/memory.ts";
import type { EventStore } from "../infra/event-store/port.ts";
import { silentLogger } from "../infra/observability/logger.ts";
import { makeRegistry } from "../infra/observability/metrics.ts";
import { availabilityKeys } from "../infra/redis/availability.ts";
import { availabilityProjection } from "../projections/availability/redis.ts";
import { projectionMetrics } from "../projections/runtime/metrics.ts";
import { type RunningProjector, runProjector } from "../projections/runtime/runner.ts";
import { memoryStatusSink } from "../projections/runtime/status.ts";
import { testRedis } from "../projections/testing/redis.ts";
import { listed, placed } from "../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../projections/testing/scenario.ts";
import { type AvailabilityCache, makeAvailabilityCache } from "./availability-cache.ts";
import { makeReadApp } from "./app.ts";

let t: ReturnType<typeof testRedis>;
let sub: Redis;
/** The cache's own connection, so its reads can be counted apart from the projector's writes. */
let reader: Redis;
let store: EventStore;
let projector: RunningProjector;
let cache: AvailabilityCache;

beforeEach(() => {
  t = testRedis();
  sub = t.redis.duplicate();
  reader = t.redis.duplicate();
  store = makeMemoryEventStore({ pollIntervalMs: 5 });
  projector = runProjector({
    store,
    projection: availabilityProjection(t.redis, { namespace: t.namespace }),
    logger: silentLogger(),
    metrics: projectionMetrics(makeRegistry({ defaults: false })),
    status: memoryStatusSink(),
  });
});
afterEach(async () => {
  await projector.stop();
  await cache.close();
  sub.disconnect();
  reader.disconnect();
  await store.close();
  await t.cleanup();
});

const app = () =>
  makeReadApp({
    redis: t.redis,
    namespace: t.namespace,
    pool: null as never,
    search: null as never,
    availability: cache,
    verify: async () => null,
    limiter: null,
    ipRead: null,
  });

const revisionOf = async (a: ReturnType<typeof app>, sku: string) => {
  const res = await a.request(`/v1/products/${sku}/availability`);
  return res.status === 200 ? ((await res.json()) as { revision: number }).revision : null;
};

/** The cache (with `opts`) behind a read app, and a SKU listed with 5 units that the app serves. */
const servedSku = async (skuId: string, opts: { readonly maxStaleMs: number }) => {
  cache = makeAvailabilityCache({ redis: reader, subscriber: sub, namespace: t.namespace, ...opts });
  const a = app();
  const sku = skuScenario(store, skuId);
  await sku.append(listed(skuId, { stock: 5 }));
  await eventually(async () => ((await revisionOf(a, skuId)) === 0 ? true : undefined), 5000);
  return { a, sku };
};

describe("availability served from memory", () => {
  it("repeated GETs cost no Redis read; a change arrives by pub/sub and is served without X-Min-Revision", async () => {
    const { a, sku } = await servedSku("mem-1", { maxStaleMs: 60_000 });
    const reads = vi.spyOn(reader, "evalsha");
    for (let i = 0; i < 200; i++) {
      const res = await a.request("/v1/products/mem-1/availability");
      expect(res.status).toBe(200);
      expect(res.headers.get("ETag")).toBe('"0"');
      expect(res.headers.get("Cache-Control")).toBe("public, max-age=1");
    }
    expect(reads).not.toHaveBeenCalled();
    await sku.append(placed(randomUUID(), "alice", 2));
    // Only the pub/sub message can bring revision 1: the copy would otherwise live for 60 s.
    await eventually(async () => ((await revisionOf(a, "mem-1")) === 1 ? true : undefined), 5000);
    expect(reads.mock.calls.length).toBe(1);
    const body = await (await a.request("/v1/products/mem-1/availability")).json();
    expect(body).toEqual({
      skuId: "mem-1",
      total: 5,
      available: 3,
      held: 2,
      sold: 0,
      status: "open",
      revision: 1,
    });
    reads.mockRestore();
  });

  it("a lost pub/sub message is repaired within the staleness bound", async () => {
    const { a } = await servedSku("mem-2", { maxStaleMs: 150 });
    // Change the view behind the projector's back: no message is published.
    const gen = (await t.redis.get(availabilityKeys(t.namespace).pointer)) as string;
    await t.redis.hset(availabilityKeys(t.namespace).sku(gen, "mem-2"), "revision", "7", "held", "1");
    await eventually(async () => ((await revisionOf(a, "mem-2")) === 7 ? true : undefined), 3000);
  });

  it("X-Min-Revision reads through the copy: the answer is at least that revision", async () => {
    const { a, sku } = await servedSku("mem-3", { maxStaleMs: 60_000 });
    // Stop the pub/sub feeding the copy: only the read-your-writes path can bring the new revision.
    await sub.punsubscribe();
    const pending = a.request("/v1/products/mem-3/availability", {
      headers: { "X-Min-Revision": "mem-3@2" },
    });
    await sku.append(placed(randomUUID(), "alice", 1), placed(randomUUID(), "bob", 1));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { revision: number }).revision).toBeGreaterThanOrEqual(2);
  });

  it("no 304 while a sale window lets the clock change the status; 304 (with a list) otherwise", async () => {
    cache = makeAvailabilityCache({ redis: reader, subscriber: sub, namespace: t.namespace });
    const a = app();
    await skuScenario(store, "mem-4").append(
      listed("mem-4", {
        saleStartsAt: "2020-01-01T00:00:00.000Z" as never,
        saleEndsAt: "2999-01-01T00:00:00.000Z" as never,
      }),
    );
    await skuScenario(store, "mem-5").append(listed("mem-5"));
    await eventually(async () => ((await revisionOf(a, "mem-4")) === 0 ? true : undefined), 5000);
    await eventually(async () => ((await revisionOf(a, "mem-5")) === 0 ? true : undefined), 5000);
    const windowed = await a.request("/v1/products/mem-4/availability", {
      headers: { "If-None-Match": '"0"' },
    });
    expect(windowed.status).toBe(200);
    const plain = await a.request("/v1/products/mem-5/availability", {
      headers: { "If-None-Match": 'W/"9", "0"' },
    });
    expect(plain.status).toBe(304);
    expect(plain.headers.get("ETag")).toBe('"0"');
  });

  it("unknown SKUs are answered 404 and do not grow the copy past its bound", async () => {
    cache = makeAvailabilityCache({
      redis: reader,
      subscriber: sub,
      namespace: t.namespace,
      maxEntries: 10,
    });
    const a = app();
    for (let i = 0; i < 50; i++)
      expect((await a.request(`/v1/products/none-${i}/availability`)).status).toBe(404);
    expect(cache.size()).toBeLessThanOrEqual(10);
    // The oldest unknown ids were dropped and are simply read again.
    expect((await a.request("/v1/products/none-0/availability")).status).toBe(404);
  });
});
