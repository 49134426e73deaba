/**
 * `BENCH_MODE=saga npm run bench:checkout`: the saga leg alone (see `checkout.ts` for what each mode
 * measures). From an `OrderPlaced` committed to the PostgreSQL event store to its `PaymentSucceeded`
 * visible on the global feed; outcomes recorded through the TEST HARNESS sink (decide + seal + append
 * directly), not through Kafka and the command handler.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { commandBody, openSagaWorld } from "../../commands/payments/testing/world.ts";
import { createTestDatabase } from "../../infra/event-store/postgres/test-database.ts";
import { startPaymentSimulator } from "../payment-simulator/server.ts";
import { type BenchSettings, watchConfirmations } from "./checkout-watch.ts";

export const benchSagaLeg = async (b: BenchSettings): Promise<void> => {
  const { RATE, SKUS, LATENCY_MS, SERVER, ORDERS } = b;
  const db = await createTestDatabase(SERVER, "bench");
  const sim = await startPaymentSimulator({ port: 0, latencyMedianMs: LATENCY_MS, latencySigma: 0.25 });
  const world = await openSagaWorld(db.url, sim.url);
  try {
    // Untimed setup: SKUs and one hold per order (each shopper its own user, within the per-user limit).
    const perSku = Math.ceil(ORDERS / SKUS);
    const holds: Array<{ skuId: string; reservationId: string; userId: string }> = [];
    for (let s = 0; s < SKUS; s++) {
      const skuId = `bench-${s}`;
      await world.send(
        skuId,
        commandBody({
          type: "ListSku",
          skuId,
          name: skuId,
          description: "checkout bench",
          priceCents: 2500,
          currency: "EUR",
          stock: perSku,
          perUserLimit: 1,
          holdSeconds: 3600,
          saleStartsAt: null,
          saleEndsAt: null,
          tags: [],
        }),
      );
    }
    await Promise.all(
      Array.from({ length: SKUS }, async (_, s) => {
        for (let i = s; i < ORDERS; i += SKUS) {
          const hold = { skuId: `bench-${s}`, reservationId: randomUUID(), userId: `shopper-${i}` };
          const r = await world.send(
            hold.skuId,
            commandBody({ type: "PlaceReservation", ...hold, quantity: 1, allowPartial: false }),
          );
          if (r._tag !== "Appended" || r.events === 0)
            throw new Error(`setup: reservation refused ${JSON.stringify(r)}`);
          holds[i] = hold;
        }
      }),
    );

    const watch = await watchConfirmations(world.store, ORDERS);
    await world.startSaga({ concurrency: 256 }, { timeoutMs: 2_000 });
    console.log(
      `checkout bench (saga leg): ${ORDERS} orders at ${RATE}/s over ${SKUS} SKUs, gateway median ${LATENCY_MS} ms`,
    );
    const start = performance.now();
    const placing: Array<Promise<void>> = [];
    for (let i = 0; i < ORDERS; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const hold = holds[i]!;
      const orderId = randomUUID();
      placing.push(
        world
          .send(
            hold.skuId,
            commandBody({
              type: "PlaceOrder",
              orderId,
              reservationId: hold.reservationId,
              userId: hold.userId,
              paymentToken: "tok_visa",
            }),
          )
          .then((r) => {
            if (r._tag !== "Appended" || r.events === 0)
              throw new Error(`order refused ${JSON.stringify(r)}`);
            watch.placed(orderId, performance.now());
          }),
      );
    }
    await Promise.all(placing);
    const offered = ORDERS / ((performance.now() - start) / 1000);
    await watch.report(
      "OrderPlaced committed → PaymentSucceeded on the feed",
      offered,
      () => sim.stats().totalCharges,
    );
  } finally {
    await world.close();
    await sim.stop();
    await db.drop();
  }
};
