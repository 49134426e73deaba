/**
 * `npm run bench:checkout`: checkout latency at a steady rate, with the payment gateway simulator at
 * 100 ms median latency (log-normal, sigma 0.25). Two modes; read what each measures before quoting it.
 *
 * BENCH_MODE=http (default) — needs PostgreSQL, Redis and Kafka. Starts `holdfast serve --roles
 * command-handler,write-api` in a throwaway namespace and database, and the payment saga in this
 * process on the same command topic. Measured: from sending `POST /v1/orders` to the order's
 * `PaymentSucceeded` being visible on the event store's global feed. That is the whole write path
 * (HTTP, Kafka, the serialized handler, the saga's feed subscription, the gateway call, the outcome back
 * through Kafka and the handler), but NOT the read side: the figure ends at the order shown as
 * confirmed by `GET /v1/orders/{id}`, which adds the orders projection's lag. That end needs the
 * projector and read-api roles in `holdfast serve`, which were not wired when this was written.
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
