/**
 * `npm run bench:checkout` (BENCH_MODE=http, the default): checkout through the real write path — see
 * `checkout.ts` for exactly what is measured.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as E from "fp-ts/lib/Either.js";
import * as hdr from "hdr-histogram-js";
import { defaultSagaPolicy } from "../../commands/payments/policy.ts";
import { startPaymentSaga } from "../../commands/payments/saga.ts";
import { openPaymentsClients } from "../../commands/payments/clients.ts";
import { decodeConfig } from "../../infra/config/config.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { openPool } from "../../infra/postgres/pool.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { makeHttpPaymentGateway } from "../../infra/payment-gateway/http.ts";
import { getOrder } from "../../projections/orders/queries.ts";
import { ordersProjection } from "../../projections/orders/postgres.ts";
import { projectionMetrics } from "../../projections/runtime/metrics.ts";
import { type RunningProjector, runProjector } from "../../projections/runtime/runner.ts";
import { memoryStatusSink } from "../../projections/runtime/status.ts";
import { startPaymentSimulator } from "../payment-simulator/server.ts";
import { client, SECRET, startHarness } from "../serve/testing/harness.ts";
import { type BenchSettings, watchConfirmations } from "./checkout-watch.ts";

export const benchHttpCheckout = async (b: BenchSettings): Promise<void> => {
  const { RATE, SKUS, LATENCY_MS, ORDERS } = b;
  const h = await startHarness("bench");
  const sim = await startPaymentSimulator({ port: 0, latencyMedianMs: LATENCY_MS, latencySigma: 0.25 });
  const config = decodeConfig({
    DATABASE_URL: h.databaseUrl,
    HOLDFAST_JWT_SECRET: SECRET,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
  });
  if (E.isLeft(config)) throw new Error(config.left.message);
  const clients = await openPaymentsClients(config.right, silentLogger(), h.ns.topics);
  let saga: Awaited<ReturnType<typeof startPaymentSaga>> | null = null;
  let projector: RunningProjector | null = null;
  const viewPool = openPool({ databaseUrl: h.databaseUrl }, { max: 4 });
  try {
    const serve = await h.serve("command-handler,write-api");
    const api = client(serve.port);
    const admin = await h.token("admin", true);
    // Untimed setup: SKUs, one shopper per order, one hold each (201 expected: the handler is warm).
    const perSku = Math.ceil(ORDERS / SKUS);
    for (let s = 0; s < SKUS; s++) {
      const r = await api.listSku(admin, { skuId: `bench-${s}`, stock: perSku, holdSeconds: 3600 });
      if (r.status !== 201) throw new Error(`setup: listing answered ${r.status} ${JSON.stringify(r.body)}`);
    }
    const shoppers = await Promise.all(
      Array.from({ length: ORDERS }, async (_, i) => ({
        token: await h.token(`shopper-${i}`),
        skuId: `bench-${i % SKUS}`,
      })),
    );
    const holds: string[] = [];
    for (let i = 0; i < ORDERS; i += 20)
      await Promise.all(
        shoppers.slice(i, i + 20).map(async (s, j) => {
          const r = await api.reserve(s.token, s.skuId);
          if (r.status !== 201)
            throw new Error(`setup: reserve answered ${r.status} ${JSON.stringify(r.body)}`);
          holds[i + j] = String(r.body.reservationId);
        }),
      );

    saga = await startPaymentSaga({
      store: h.store,
      gateway: makeHttpPaymentGateway({ baseUrl: sim.url, timeoutMs: 2_000 }),
      attempts: clients.attempts,
      sink: clients.queue,
      policy: { ...defaultSagaPolicy, concurrency: 256 },
      logger: silentLogger(),
    });
    const watch = await watchConfirmations(h.store, ORDERS);
    // The orders view (PostgreSQL) that GET /v1/orders/{id} serves, projected in this process.
    projector = runProjector({
      store: h.store,
      projection: ordersProjection(viewPool),
      logger: silentLogger(),
      metrics: projectionMetrics(makeRegistry({ defaults: false })),
      status: memoryStatusSink(),
      onApplied: (position) => watch.applied(position),
    });
    const post = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 600_000,
      numberOfSignificantValueDigits: 3,
    });
    console.log(
      `checkout bench (HTTP → Kafka → handler → saga → Kafka → handler): ${ORDERS} orders at ${RATE}/s over ${SKUS} SKUs, gateway median ${LATENCY_MS} ms`,
    );
    const placedIds: string[] = [];
    const start = performance.now();
    const placing: Array<Promise<void>> = [];
    for (let i = 0; i < ORDERS; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      const t0 = performance.now();
      placing.push(
        api
          .post("/v1/orders", shoppers[i]!.token, { reservationId: holds[i], paymentToken: "tok_visa" })
          .then((r) => {
            post.recordValue(Math.max(1, Math.round(performance.now() - t0)));
            if (r.status !== 202)
              throw new Error(`POST /v1/orders answered ${r.status} ${JSON.stringify(r.body)}`);
            watch.placed(String(r.body.orderId), t0);
            placedIds.push(String(r.body.orderId));
          }),
      );
    }
    await Promise.all(placing);
    const offered = ORDERS / ((performance.now() - start) / 1000);
    console.log(
      `POST /v1/orders answered (ms): p50 ${post.getValueAtPercentile(50)}  p95 ${post.getValueAtPercentile(95)}`,
    );
    await watch.report(
      "POST /v1/orders sent → PaymentSucceeded on the feed",
      offered,
      () => sim.stats().totalCharges,
      "POST /v1/orders sent → order confirmed in the orders view (GET /v1/orders/{id}'s source)",
    );
    // Cross-check the view itself, untimed: every order reads back as confirmed.
    let confirmedInView = 0;
    for (const orderId of placedIds) {
      const o = await getOrder(viewPool, orderId)();
      if (E.isRight(o) && o.right?.status === "confirmed") confirmedInView += 1;
    }
    console.log(`orders view: ${confirmedInView}/${ORDERS} orders read back as confirmed`);
    if (confirmedInView < ORDERS)
      console.log(`orders projector status: ${JSON.stringify(projector.status())}`);
  } finally {
    await saga?.stop();
    await projector?.stop();
    await viewPool.end();
    await clients.close();
    await sim.stop();
    await h.close();
  }
};
