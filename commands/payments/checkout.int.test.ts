import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeConfig } from "../../infra/config/config.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry, type Registry } from "../../infra/observability/metrics.ts";
import {
  client,
  type Harness,
  SECRET,
  type ServeProcess,
  startHarness,
  waitFor,
} from "../../ops/serve/testing/harness.ts";
import { type RunningPaymentSimulator, startPaymentSimulator } from "../../ops/payment-simulator/server.ts";
import type { RunningRole } from "../../infra/process/role.ts";
import { makePaymentsRole } from "./role.ts";

/**
 * Checkout over HTTP against `holdfast serve --roles command-handler,write-api` (Kafka, Redis, PostgreSQL,
 * in a namespace of its own), with the payments role (its composition root, `makePaymentsRole`) started
 * in this process on the same command topic.
 * The read side is not part of this test: outcomes are checked in the SKU's stream.
 */
let h: Harness;
let serve: ServeProcess;
let sim: RunningPaymentSimulator;
let payments: RunningRole;
let registry: Registry;
let admin: string;

beforeAll(async () => {
  h = await startHarness("checkout");
  serve = await h.serve("command-handler,write-api");
  sim = await startPaymentSimulator({ port: 0 });
  const config = decodeConfig({
    DATABASE_URL: h.databaseUrl,
    HOLDFAST_JWT_SECRET: SECRET,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    PAYMENT_GATEWAY_URL: sim.url,
  });
  if (E.isLeft(config)) throw new Error(config.left.message);
  registry = makeRegistry({ defaults: false });
  payments = await makePaymentsRole({ topics: h.ns.topics }).start({
    config: config.right,
    logger: silentLogger(),
    registry,
    dev: false,
  });
  admin = await h.token("admin", true);
});

afterAll(async () => {
  await payments?.stop();
  await sim?.stop();
  await h?.close();
});

const order = (token: string, reservationId: string) =>
  client(serve.port).post("/v1/orders", token, { reservationId, paymentToken: "tok_visa" });

describe("checkout over HTTP", () => {
  it("confirms an order end to end: 202 pending_payment, then the saga's PaymentSucceeded, charged once", async () => {
    const api = client(serve.port);
    expect((await api.listSku(admin, { skuId: "co-paid", stock: 3 })).status).toBe(201);
    const alice = await h.token("alice");
    const held = await api.reserve(alice, "co-paid");
    expect(held.status).toBe(201);
    const placed = await order(alice, String(held.body.reservationId));
    expect(placed.status).toBe(202);
    expect(placed.body).toMatchObject({ status: "pending_payment" });
    const orderId = String(placed.body.orderId);
    await waitFor("PaymentSucceeded in the stream", async () =>
      (await h.stream("co-paid")).some(
        (e) => e.event.type === "PaymentSucceeded" && e.event.data.orderId === orderId,
      ),
    );
    expect(sim.stats().charges[orderId]).toBe(1);
    await waitFor("the outcome metric", async () =>
      /holdfast_payment_outcomes_total\{outcome="Succeeded"\} 1/.test(await registry.metrics()),
    );
    const ready = await Promise.all((payments.readiness ?? []).map((r) => r.check()));
    expect(ready).toEqual([null]);
  });

  it("refuses checkout of another shopper's hold with 403", async () => {
    const api = client(serve.port);
    expect((await api.listSku(admin, { skuId: "co-theirs", stock: 3 })).status).toBe(201);
    const held = await api.reserve(await h.token("alice"), "co-theirs");
    expect(held.status).toBe(201);
    const r = await order(await h.token("bob"), String(held.body.reservationId));
    expect(r.status).toBe(403);
    expect(r.body.type).toBe("/problems/forbidden");
  });

  it("refuses checkout of an expired hold with 409 hold-not-active", async () => {
    const api = client(serve.port);
    expect((await api.listSku(admin, { skuId: "co-expired", stock: 3, holdSeconds: 1 })).status).toBe(201);
    const alice = await h.token("alice");
    const held = await api.reserve(alice, "co-expired");
    expect(held.status).toBe(201);
    const expiresAt = Date.parse(String(held.body.expiresAt));
    // Not a sleep that hopes: wait until the hold's own deadline has passed on this clock.
    await waitFor("the hold's deadline", async () => Date.now() > expiresAt + 50, 10_000, 50);
    const r = await order(alice, String(held.body.reservationId));
    expect(r.status).toBe(409);
    expect(r.body.type).toBe("/problems/hold-not-active");
    const stream = await h.stream("co-expired");
    expect(stream.some((e) => e.event.type === "OrderPlaced")).toBe(false);
  });
});
