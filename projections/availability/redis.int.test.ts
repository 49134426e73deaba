import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeEvent } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { availabilityKeys, readAvailability, readReservation } from "../../infra/redis/availability.ts";
import { projectionMetrics } from "../runtime/metrics.ts";
import type { ProjectedEvent } from "../runtime/projection.ts";
import { runProjector } from "../runtime/runner.ts";
import { memoryStatusSink } from "../runtime/status.ts";
import { testRedis } from "../testing/redis.ts";
import {
  cancelled,
  expired,
  listed,
  orderPlaced,
  paid,
  placed,
  rejected,
} from "../../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../testing/scenario.ts";
import { availabilityProjection } from "./redis.ts";

let t: ReturnType<typeof testRedis>;
let store: EventStore;
beforeEach(() => {
  t = testRedis();
  store = makeMemoryEventStore({ pollIntervalMs: 10 });
});
afterEach(async () => {
  await store.close();
  await t.cleanup();
});

const all = async (): Promise<ProjectedEvent[]> => {
  const r = await store.readAll(null, 10_000)();
  if (E.isLeft(r)) throw new Error("read failed");
  return r.right.map((x) => {
    const d = decodeEvent(x.envelope);
    if (E.isLeft(d)) throw new Error("decode failed");
    return { ...d.right, position: x.position };
  });
};

const seed = async () => {
  const sku = skuScenario(store, "tee-1");
  const [r1, r2, r3, r4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const o1 = randomUUID();
  await sku.append(listed("tee-1", { stock: 10 }));
  await sku.append(placed(r1, "alice", 2), placed(r2, "bob", 1), rejected("carol"));
  await sku.append(placed(r3, "dave", 3), cancelled(r2, "bob", 1));
  await sku.append(orderPlaced(o1, r1, "alice", 2, 5000), paid(o1, r1, 2));
  await sku.append(placed(r4, "erin", 1), expired(r4, "erin", 1));
  return { r1, r2, r3, r4, o1 };
};

describe("Redis availability projection", () => {
  it("given events, then the view holds the counts, the revision and each reservation's status", async () => {
    const ids = await seed();
    const p = availabilityProjection(t.redis, { namespace: t.namespace });
    const events = await all();
    const r = await p.applyBatch(events, events[events.length - 1]!.position)();
    expect(E.isRight(r)).toBe(true);
    const a = await readAvailability(t.redis, "tee-1", { namespace: t.namespace });
    expect(a).toEqual({
      skuId: "tee-1",
      total: 10,
      available: 5,
      held: 3,
      sold: 2,
      status: "open",
      revision: 9,
    });
    expect((await readReservation(t.redis, ids.r1, { namespace: t.namespace }))?.status).toBe("sold");
    expect((await readReservation(t.redis, ids.r2, { namespace: t.namespace }))?.status).toBe("cancelled");
    expect((await readReservation(t.redis, ids.r3, { namespace: t.namespace }))?.status).toBe("held");
    expect((await readReservation(t.redis, ids.r4, { namespace: t.namespace }))?.status).toBe("expired");
    expect(await readAvailability(t.redis, "nope", { namespace: t.namespace })).toBeNull();
  });

  it("applying the same batch twice, or replaying from an older checkpoint, gives the same view", async () => {
    await seed();
    const p = availabilityProjection(t.redis, { namespace: t.namespace });
    const events = await all();
    const last = events[events.length - 1]!.position;
    await p.applyBatch(events.slice(0, 4), events[3]!.position)();
    const once = await p.applyBatch(events, last)();
    expect(E.isRight(once)).toBe(true);
    const first = await readAvailability(t.redis, "tee-1", { namespace: t.namespace });
    // A crash after the data but before the checkpoint is impossible here (one script), but a resumed
    // projector may still see events again, e.g. after a checkpoint restored from an older backup:
    await t.redis.set(availabilityKeys(t.namespace).checkpoint("1"), events[1]!.position.toString());
    await p.applyBatch(events, last)();
    await p.applyBatch(events.slice(2), last)();
    expect(await readAvailability(t.redis, "tee-1", { namespace: t.namespace })).toEqual(first);
    expect(first?.held).toBe(3);
  });

  it("the status follows the sale window at read time, and a closed sale reads closed", async () => {
    const sku = skuScenario(store, "window");
    await sku.append(
      listed("window", {
        saleStartsAt: "2030-01-01T00:00:00.000Z" as never,
        saleEndsAt: "2030-01-02T00:00:00.000Z" as never,
      }),
    );
    const p = availabilityProjection(t.redis, { namespace: t.namespace });
    const events = await all();
    await p.applyBatch(events, events[0]!.position)();
    const at = (iso: string) =>
      readAvailability(t.redis, "window", { namespace: t.namespace, nowMs: Date.parse(iso) });
    expect((await at("2029-12-31T23:59:59.000Z"))?.status).toBe("scheduled");
    expect((await at("2030-01-01T00:00:00.000Z"))?.status).toBe("open");
    expect((await at("2030-01-02T00:00:00.000Z"))?.status).toBe("closed");
  });

  it("runs live from the feed, publishes a change per batch, and reads sold_out when nothing is left", async () => {
    const sub = t.redis.duplicate();
    const messages: string[] = [];
    await sub.subscribe(availabilityKeys(t.namespace).channel("hot"));
    sub.on("message", (_ch, msg) => messages.push(msg));
    const registry = makeRegistry({ defaults: false });
    const running = runProjector({
      store,
      projection: availabilityProjection(t.redis, { namespace: t.namespace }),
      logger: silentLogger(),
      metrics: projectionMetrics(registry),
      status: memoryStatusSink(),
    });
    try {
      const sku = skuScenario(store, "hot");
      await sku.append(listed("hot", { stock: 1 }));
      await sku.append(placed(randomUUID(), "alice", 1));
      const a = await eventually(async () => {
        const v = await readAvailability(t.redis, "hot", { namespace: t.namespace });
        return v?.revision === 1 ? v : undefined;
      });
      expect(a.status).toBe("sold_out");
      expect(a.held).toBe(1);
      await eventually(async () => (messages.includes("1") ? true : undefined));
      expect(running.status().state).toBe("running");
      expect(await registry.getSingleMetricAsString("holdfast_projection_lag_events")).toContain(
        'projection="availability"',
      );
    } finally {
      await running.stop();
      sub.disconnect();
    }
  });
});
