import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEvent } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { readAvailability, readReservation } from "../../infra/redis/availability.ts";
import { availabilityProjection } from "../availability/redis.ts";
import { ordersProjection } from "../orders/postgres.ts";
import { productsProjection } from "../products/elasticsearch.ts";
import { productIndices } from "../products/indices.ts";
import { elasticsearchProductSearch } from "../products/search.ts";
import { projectionMetrics } from "../runtime/metrics.ts";
import type { ProjectedEvent, Projection } from "../runtime/projection.ts";
import { type RunningProjector, runProjector } from "../runtime/runner.ts";
import { memoryStatusSink } from "../runtime/status.ts";
import { testElasticsearch } from "../testing/elasticsearch.ts";
import { testDatabase } from "../testing/postgres.ts";
import { testRedis } from "../testing/redis.ts";
import { cancelled, listed, orderPlaced, paid, placed } from "../../event-schemas/testing/sku-events.ts";
import { eventually, type SkuScenario, skuScenario } from "../testing/scenario.ts";
import { type PagePreparer, workerPreparer } from "./prepare.ts";
import { rebuildProjection } from "./rebuild.ts";
import { availabilityTarget, ordersTarget, productsTarget } from "./targets.ts";

const SKUS = 8;
let store: EventStore;
let skus: SkuScenario[];
const reservations: string[] = [];

/** A few events on a random SKU, as shoppers would cause them. */
const writeSome = async (i: number) => {
  const sku = skus[i % SKUS]!;
  const r = randomUUID();
  reservations.push(r);
  if (i % 3 === 0) await sku.append(placed(r, `u${i}`, 1), cancelled(r, `u${i}`, 1));
  else {
    const o = randomUUID();
    await sku.append(placed(r, `u${i}`, 1), orderPlaced(o, r, `u${i}`, 1, 2500), paid(o, r, 1));
  }
};

const allEvents = async (): Promise<ProjectedEvent[]> => {
  const r = await store.readAll(null, 1_000_000)();
  if (E.isLeft(r)) throw new Error("read");
  return r.right.map((x) => {
    const d = decodeEvent(x.envelope);
    if (E.isLeft(d)) throw new Error("decode");
    return { ...d.right, position: x.position };
  });
};

const fromScratch = async (p: Projection) => {
  const evs = await allEvents();
  for (let i = 0; i < evs.length; i += 500) {
    const chunk = evs.slice(i, i + 500);
    const r = await p.applyBatch(chunk, chunk[chunk.length - 1]!.position)();
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
  }
};

let live: RunningProjector | null = null;
const runLive = (projection: Projection) => {
  live = runProjector({
    store,
    projection,
    logger: silentLogger(),
    metrics: projectionMetrics(makeRegistry({ defaults: false })),
    status: memoryStatusSink(),
    batchSize: 100,
  });
  return live;
};

/**
 * Rebuild while writers append and readers read; returns how many reads failed. The writer goes on
 * for the whole rebuild (the swap has to catch up with it), then stops; the live projector catches up.
 */
const rebuildUnderLoad = async (
  target: Parameters<typeof rebuildProjection>[0]["target"],
  read: () => Promise<boolean>,
  preparer?: PagePreparer,
) => {
  let writing = true;
  let failedReads = 0;
  let reads = 0;
  const writer = (async () => {
    for (let i = 1000; writing; i++) {
      await writeSome(i);
      // The in-memory store answers in microtasks: yield so timers and I/O run too.
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const reader = (async () => {
    while (writing) {
      reads += 1;
      if (!(await read().catch(() => false))) failedReads += 1;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const result = await rebuildProjection({
    store,
    target,
    batchSize: 300,
    ...(preparer === undefined ? {} : { preparer }),
  });
  writing = false;
  await Promise.all([writer, reader]);
  return { result, failedReads, reads };
};

beforeAll(async () => {
  store = makeMemoryEventStore({ pollIntervalMs: 5 });
  skus = Array.from({ length: SKUS }, (_, i) => skuScenario(store, `rb-${i}`));
  for (const [i, s] of skus.entries())
    await s.append(listed(s.skuId, { stock: 100_000, name: `Rebuild item ${i}` }));
  for (let i = 0; i < 400; i++) await writeSome(i);
});
afterAll(async () => {
  await store.close();
});

describe.each([
  { on: "this thread", worker: false },
  // Each page decoded and folded on a worker thread, applied here from its merged batch text.
  { on: "a worker thread", worker: true },
])("rebuild beside the live generation, then swap (decoded on $on)", ({ worker }) => {
  let t: ReturnType<typeof testRedis>;
  let scratch: ReturnType<typeof testRedis>;
  beforeAll(() => {
    t = testRedis();
    scratch = testRedis();
  });
  afterAll(async () => {
    await live?.stop();
    await t.cleanup();
    await scratch.cleanup();
  });

  it("Redis availability: equal to a from-scratch build, reads never fail", async () => {
    const running = runLive(availabilityProjection(t.redis, { namespace: t.namespace }));
    await eventually(async () =>
      (await readAvailability(t.redis, "rb-7", { namespace: t.namespace })) ? true : undefined,
    );
    const target = availabilityTarget(t.redis, t.namespace);
    let preparedBatches = 0;
    const counted = {
      ...target,
      prepared: {
        name: target.prepared!.name,
        apply: async (...args: Parameters<NonNullable<typeof target.prepared>["apply"]>) => {
          const ok = await target.prepared!.apply(...args);
          if (ok) preparedBatches += 1;
          return ok;
        },
      },
    };
    const preparer = worker
      ? workerPreparer("availability", new URL("../../ops/bin/worker-boot.mjs", import.meta.url))
      : undefined;
    expect(await preparer?.loaded).toBe(worker ? true : undefined);
    let n = 0;
    const { result, failedReads, reads } = await rebuildUnderLoad(
      counted,
      async () => {
        n += 1;
        const a = await readAvailability(t.redis, `rb-${n % SKUS}`, { namespace: t.namespace });
        return a !== null && a.total === 100_000;
      },
      preparer,
    );
    await preparer?.close();
    expect(result).toMatchObject({ _tag: "Swapped", previous: "1" });
    // On a worker thread every batch is applied from its prepared text; without one, none is.
    if (!worker) expect(preparedBatches).toBe(0);
    else expect(preparedBatches).toBeGreaterThan(0);
    expect(failedReads).toBe(0);
    expect(reads).toBeGreaterThan(0);
    await fromScratch(availabilityProjection(scratch.redis, { namespace: scratch.namespace }));
    const expected = await Promise.all(
      skus.map((s) => readAvailability(scratch.redis, s.skuId, { namespace: scratch.namespace })),
    );
    await eventually(
      async () => {
        const now = await Promise.all(
          skus.map((s) => readAvailability(t.redis, s.skuId, { namespace: t.namespace })),
        );
        return JSON.stringify(now) === JSON.stringify(expected) ? true : undefined;
      },
      20_000,
      "live view equal to the from-scratch build",
    );
    for (const id of reservations.slice(-20))
      expect(await readReservation(t.redis, id, { namespace: t.namespace })).toEqual(
        await readReservation(scratch.redis, id, { namespace: scratch.namespace }),
      );
    expect(running.status().generation).toBe((result as { generation: string }).generation);
    expect(await t.redis.keys(`${t.namespace}av:1:*`)).toEqual([]); // the old generation is gone
    await running.stop();
  });
});

describe("rebuild PostgreSQL orders", () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let scratch: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
    scratch = await testDatabase();
  });
  afterAll(async () => {
    await live?.stop();
    await db.cleanup();
    await scratch.cleanup();
  });

  const dump = async (pool: typeof db.pool) => ({
    r: (
      await pool.query(
        "SELECT reservation_id, sku_id, user_id, quantity, status, order_id, revision FROM hf_orders.reservations ORDER BY 1",
      )
    ).rows,
    o: (
      await pool.query(
        "SELECT order_id, sku_id, user_id, amount_cents, status, revision FROM hf_orders.orders ORDER BY 1",
      )
    ).rows,
    s: (await pool.query("SELECT * FROM hf_orders.sku_sales ORDER BY 1")).rows,
  });

  it("equal to a from-scratch build, reads never fail, old schema dropped", async () => {
    const running = runLive(ordersProjection(db.pool));
    await eventually(async () =>
      (await db.pool.query("SELECT 1 FROM hf_orders.sku_sales LIMIT 1").catch(() => ({ rowCount: 0 })))
        .rowCount
        ? true
        : undefined,
    );
    const { result, failedReads } = await rebuildUnderLoad(ordersTarget(db.pool), async () => {
      const r = await db.pool.query("SELECT count(*)::int AS n FROM hf_orders.sku_sales");
      return r.rows[0].n === SKUS;
    });
    expect(result).toMatchObject({ _tag: "Swapped", previous: "1" });
    expect(failedReads).toBe(0);
    await fromScratch(ordersProjection(scratch.pool));
    const expected = await dump(scratch.pool);
    await eventually(
      async () => (JSON.stringify(await dump(db.pool)) === JSON.stringify(expected) ? true : undefined),
      20_000,
    );
    const schemas = await db.pool.query(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hf_orders_g%' ORDER BY 1",
    );
    expect(schemas.rows.map((r) => r.nspname)).toEqual([
      `hf_orders_g${(result as { generation: string }).generation}`,
    ]);
    await running.stop();
  });
});

describe("rebuild Elasticsearch products", () => {
  let t: ReturnType<typeof testElasticsearch>;
  beforeAll(() => {
    t = testElasticsearch();
  });
  afterAll(async () => {
    await live?.stop();
    await t.cleanup();
  });

  it("the alias moves to a complete new index; searches never fail meanwhile", async () => {
    const running = runLive(productsProjection(t.es, { prefix: t.prefix }));
    const search = elasticsearchProductSearch(t.es, { prefix: t.prefix });
    await eventually(async () => {
      const r = await search.search({ q: "rebuild", page: 1, size: 20 })();
      return E.isRight(r) && r.right.total === SKUS ? true : undefined;
    });
    const { result, failedReads } = await rebuildUnderLoad(productsTarget(t.es, t.prefix), async () => {
      const r = await search.search({ q: "rebuild item", page: 1, size: 20 })();
      return E.isRight(r) && r.right.total === SKUS;
    });
    expect(result).toMatchObject({ _tag: "Swapped", previous: "1" });
    expect(failedReads).toBe(0);
    const gen = (result as { generation: string }).generation;
    const scratch = productsProjection(t.es, { prefix: `${t.prefix}scratch-`, generation: "1" });
    await t.es.indices.create({ index: productIndices(`${t.prefix}scratch-`).generation("1") });
    await fromScratch(scratch);
    const docs = async (index: string) =>
      (await t.es.mget({ index, ids: skus.map((s) => s.skuId) })).docs.map((d) =>
        "_source" in d ? d._source : null,
      );
    const expected = await docs(productIndices(`${t.prefix}scratch-`).generation("1"));
    await eventually(
      async () =>
        JSON.stringify(await docs(productIndices(t.prefix).generation(gen))) === JSON.stringify(expected)
          ? true
          : undefined,
      20_000,
    );
    expect(await t.es.indices.exists({ index: productIndices(t.prefix).generation("1") })).toBe(false);
    await running.stop();
  });
});
