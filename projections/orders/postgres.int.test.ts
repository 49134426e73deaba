import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandQueue } from "../../infra/command-queue/port.ts";
import { decodeEvent, type QueuedCommand } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import type { ProjectedEvent } from "../runtime/projection.ts";
import { testDatabase } from "../testing/postgres.ts";
import {
  cancelled,
  expired,
  listed,
  orderPlaced,
  paid,
  paymentFailed,
  placed,
  unresolved,
} from "../../event-schemas/testing/sku-events.ts";
import { skuScenario } from "../testing/scenario.ts";
import { ordersProjection } from "./postgres.ts";
import { getOrder, getReservation, ordersOf, ordersRevisionOf } from "./queries.ts";
import { generationSchema } from "./schema.ts";
import { sweepOnce } from "./sweeper.ts";

let db: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db.cleanup();
});

const project = async (store: ReturnType<typeof makeMemoryEventStore>): Promise<ProjectedEvent[]> => {
  const r = await store.readAll(null, 100_000)();
  if (E.isLeft(r)) throw new Error("read failed");
  return r.right.map((x) => {
    const d = decodeEvent(x.envelope);
    if (E.isLeft(d)) throw new Error("decode");
    return { ...d.right, position: x.position };
  });
};

const ids = () => ({
  r1: randomUUID(),
  r2: randomUUID(),
  r3: randomUUID(),
  r4: randomUUID(),
  o1: randomUUID(),
  o2: randomUUID(),
  o3: randomUUID(),
});

const seed = async (
  store: ReturnType<typeof makeMemoryEventStore>,
  skuId: string,
  i: ReturnType<typeof ids>,
) => {
  const sku = skuScenario(store, skuId);
  await sku.append(listed(skuId, { stock: 10, priceCents: 2500 }));
  await sku.append(placed(i.r1, "alice", 2), placed(i.r2, "bob", 1), placed(i.r3, "alice", 1));
  await sku.append(orderPlaced(i.o1, i.r1, "alice", 2, 5000), paid(i.o1, i.r1, 2));
  await sku.append(orderPlaced(i.o2, i.r2, "bob", 1, 2500), paymentFailed(i.o2, i.r2, 1));
  await sku.append(orderPlaced(i.o3, i.r3, "alice", 1, 2500), unresolved(i.o3, i.r3));
  await sku.append(placed(i.r4, "carol", 1, "2020-01-01T00:00:00.000Z"));
  return sku;
};

const salesOf = async (skuId: string) =>
  (
    await db.pool.query(
      "SELECT units_sold::int, revenue_cents::int, orders_confirmed::int, orders_failed::int, stock::int FROM hf_orders.sku_sales WHERE sku_id = $1",
      [skuId],
    )
  ).rows[0];

describe("PostgreSQL order views", () => {
  it("given events, then reservations, orders, a shopper's history and the SKU's sales", async () => {
    const store = makeMemoryEventStore();
    const i = ids();
    await seed(store, "pg-1", i);
    const events = await project(store);
    const p = ordersProjection(db.pool);
    expect(E.isRight(await p.applyBatch(events, events[events.length - 1]!.position)())).toBe(true);
    const r = await getReservation(db.pool, i.r1)();
    expect(r).toEqual(
      E.right(expect.objectContaining({ userId: "alice", quantity: 2, status: "sold", skuId: "pg-1" })),
    );
    expect(await getReservation(db.pool, i.r2)()).toEqual(
      E.right(expect.objectContaining({ status: "released" })),
    );
    expect(await getOrder(db.pool, i.o3)()).toEqual(
      E.right(expect.objectContaining({ status: "payment_unresolved", amountCents: 2500, currency: "EUR" })),
    );
    const mine = await ordersOf(db.pool, "alice")();
    expect(E.isRight(mine) && mine.right.map((o) => o.orderId)).toEqual([i.o3, i.o1]);
    expect(await salesOf("pg-1")).toEqual({
      units_sold: 2,
      revenue_cents: 5000,
      orders_confirmed: 1,
      orders_failed: 1,
      stock: 10,
    });
    expect(await ordersRevisionOf(db.pool, "pg-1")()).toEqual(E.right(10));
  });

  it("the same batch twice, or a resume from an older checkpoint, does not double-count", async () => {
    const store = makeMemoryEventStore();
    const i = ids();
    await seed(store, "pg-2", i);
    const events = await project(store).then((es) => es);
    const p = ordersProjection(db.pool);
    const last = events[events.length - 1]!.position;
    await p.applyBatch(events, last)();
    await p.applyBatch(events, last)();
    // Simulated crash between data and checkpoint: the data of the whole batch committed, the
    // checkpoint stayed behind. Resuming re-delivers the batch; the revision guard drops it.
    const gen = (await db.pool.query("SELECT generation FROM hf_projection.pointer WHERE name='orders'"))
      .rows[0].generation as string;
    await db.pool.query(`UPDATE ${generationSchema(gen)}.checkpoint SET position = 0`);
    await p.applyBatch(events.slice(2), last)();
    expect(await salesOf("pg-2")).toEqual({
      units_sold: 2,
      revenue_cents: 5000,
      orders_confirmed: 1,
      orders_failed: 1,
      stock: 10,
    });
    const n = await db.pool.query("SELECT count(*)::int AS n FROM hf_orders.orders WHERE sku_id = 'pg-2'");
    expect(n.rows[0].n).toBe(3);
  });

  it("later events update rows from earlier batches", async () => {
    const store = makeMemoryEventStore();
    const sku = skuScenario(store, "pg-3");
    const [r1, r2] = [randomUUID(), randomUUID()];
    await sku.append(listed("pg-3"), placed(r1, "dan", 1), placed(r2, "dan", 1));
    const p = ordersProjection(db.pool);
    const first = await project(store);
    await p.applyBatch(first, first[first.length - 1]!.position)();
    await sku.append(cancelled(r1, "dan", 1), expired(r2, "dan", 1));
    const all = await project(store);
    await p.applyBatch(all.slice(3), all[all.length - 1]!.position)();
    expect(await getReservation(db.pool, r1)()).toEqual(
      E.right(expect.objectContaining({ status: "cancelled" })),
    );
    expect(await getReservation(db.pool, r2)()).toEqual(
      E.right(expect.objectContaining({ status: "expired" })),
    );
  });

  it("the sweeper enqueues ExpireHolds for SKUs with overdue holds in the view", async () => {
    const sent: QueuedCommand[] = [];
    const queue: CommandQueue = {
      enqueue: (c) => {
        sent.push(c);
        return TE.right({ partition: 0, offset: String(sent.length) });
      },
    };
    const skus = await sweepOnce({ pool: db.pool, queue, logger: silentLogger() });
    expect(skus).toContain("pg-1"); // carol's hold expired in 2020
    expect(skus).not.toContain("pg-3");
    expect(sent.find((c) => c.skuId === "pg-1")?.command).toEqual({ type: "ExpireHolds" });
  });
});
