/**
 * `npm run bench:checkout`: checkout latency at a steady rate, with the payment gateway simulator at
 * 100 ms median latency (log-normal, sigma 0.25). Two modes; read what each measures before quoting it.
 *
 * BENCH_MODE=http (default) — needs PostgreSQL, Redis and Kafka. Starts `holdfast serve --roles
 * command-handler,write-api` in a throwaway namespace and database; in this process, the payment saga
 * (on the same command topic) and the PostgreSQL orders projection (the view `GET /v1/orders/{id}`
 * reads). Two figures, both from sending `POST /v1/orders`:
 *   1. to the order's `PaymentSucceeded` visible on the event store's global feed;
 *   2. to the orders view having applied that event (its checkpoint moves in the same transaction as
 *      its rows, so "applied" means a GET would answer `confirmed`; the GET's own round trip is not
 *      included, and the read-api and projector run in-process rather than as `holdfast serve` roles,
 *      which did not include them when this was written).
 * The path covers HTTP, Kafka, the serialized handler, the saga's feed subscription, the gateway call,
 * the outcome back through Kafka and the handler, and the projection.
 *
 * BENCH_MODE=saga — PostgreSQL only. The saga leg alone: from an `OrderPlaced` committed to the store to
 * its `PaymentSucceeded` on the feed, with outcomes recorded through the test-harness sink (decide +
 * seal + append directly), not through Kafka and the handler.
 *
 * Setup (SKUs, one hold per order) is untimed. Env: BENCH_RATE orders/s (default 20), BENCH_SECONDS
 * (default 20), BENCH_SKUS (default 10), BENCH_LATENCY_MS (default 100), DATABASE_URL (server only).
 */
import { benchHttpCheckout } from "./checkout-http.ts";
import { benchSagaLeg } from "./checkout-saga.ts";
import type { BenchSettings } from "./checkout-watch.ts";

const RATE = Number(process.env.BENCH_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const settings: BenchSettings = {
  RATE,
  SECONDS,
  SKUS: Number(process.env.BENCH_SKUS ?? 10),
  LATENCY_MS: Number(process.env.BENCH_LATENCY_MS ?? 100),
  SERVER: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast",
  ORDERS: Math.round(RATE * SECONDS),
};
const mode = process.env.BENCH_MODE ?? "http";
if (mode === "http") await benchHttpCheckout(settings);
else if (mode === "saga") await benchSagaLeg(settings);
else {
  console.error(`BENCH_MODE must be http or saga, got "${mode}"`);
  process.exit(2);
}
process.exit(0);
