import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { availabilityOf, orderOf, reservationOf } from "../../domain/sku/index.ts";
import { decodeEvent, streamIdOf } from "../../event-schemas/index.ts";
import { createTestDatabase } from "../../infra/event-store/postgres/test-database.ts";
import { DECLINE_TOKEN } from "../../ops/payment-simulator/app.ts";
import { type RunningPaymentSimulator, startPaymentSimulator } from "../../ops/payment-simulator/server.ts";
import { listUnresolved, resolvePayment } from "./resolve.ts";
import { commandBody, listSkuBody, openSagaWorld, type SagaWorld } from "./testing/world.ts";

const SERVER = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";

/** Poll `probe` until it returns a value (not undefined) or the deadline passes. */
const eventually = async <A>(probe: () => Promise<A | undefined>, what: string, ms = 20_000): Promise<A> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

let db: { url: string; drop: () => Promise<void> };
let sim: RunningPaymentSimulator;
let world: SagaWorld;

beforeEach(async () => {
  db = await createTestDatabase(SERVER, "payments");
  sim = await startPaymentSimulator({ port: 0 });
  world = await openSagaWorld(db.url, sim.url);
});

afterEach(async () => {
  await world.close();
  await sim.stop();
  await db.drop();
});

/** A listed SKU with a hold for `userId` turned into order `orderId`; returns the ids. */
const placeOrder = async (
  skuId: string,
  userId: string,
  paymentToken = "tok_visa",
  stock = 1,
  orderId: string = randomUUID(),
) => {
  if ((await world.sink.state(skuId))._tag === "Unlisted") await world.send(skuId, listSkuBody(skuId, stock));
  const reservationId = randomUUID();
  const r = await world.send(
    skuId,
    commandBody({ type: "PlaceReservation", reservationId, userId, quantity: 1, allowPartial: false }),
  );
  expect(r._tag).toBe("Appended");
  const o = await world.send(
    skuId,
    commandBody({ type: "PlaceOrder", orderId, reservationId, userId, paymentToken }),
  );
  expect(o).toMatchObject({ _tag: "Appended" });
  return { skuId, reservationId, orderId };
};

const orderStatus = async (skuId: string, orderId: string) =>
  orderOf(await world.sink.state(skuId), orderId)?.status;

const settled = (skuId: string, orderId: string, status: string) =>
  eventually(
    async () => ((await orderStatus(skuId, orderId)) === status ? true : undefined),
    `order ${status}`,
  );

/** How many events of `type` the SKU's stream holds for `orderId`. */
const eventsFor = async (skuId: string, orderId: string, type: string) => {
  const r = await world.store.readStream(streamIdOf(skuId))();
  if (E.isLeft(r)) throw new Error("read failed");
  return r.right
    .map((x) => decodeEvent(x.envelope))
    .filter(
      (d) =>
        E.isRight(d) &&
        d.right.event.type === type &&
        (d.right.event.data as { orderId?: string }).orderId === orderId,
    ).length;
};

describe("payment saga with the gateway simulator", () => {
  it("confirms a paid order: the unit is sold, the shopper charged once", async () => {
    await world.startSaga();
    const { skuId, orderId } = await placeOrder("tee-happy", "alice");
    await settled(skuId, orderId, "confirmed");
    const state = await world.sink.state(skuId);
    expect(availabilityOf(state, new Date().toISOString())).toMatchObject({ sold: 1, held: 0, available: 0 });
    expect(sim.stats().charges[orderId]).toBe(1);
    expect(await eventsFor(skuId, orderId, "PaymentSucceeded")).toBe(1);
  });

  it("releases the unit of a declined payment, and another shopper can reserve it", async () => {
    await world.startSaga();
    const { skuId, orderId, reservationId } = await placeOrder("tee-decline", "alice", DECLINE_TOKEN);
    await settled(skuId, orderId, "payment_failed");
    const state = await world.sink.state(skuId);
    expect(reservationOf(state, reservationId)?.status).toBe("released");
    expect(availabilityOf(state, new Date().toISOString())).toMatchObject({ available: 1, held: 0, sold: 0 });
    expect(sim.stats().charges[orderId]).toBeUndefined();

    const bobs = randomUUID();
    await world.send(
      skuId,
      commandBody({
        type: "PlaceReservation",
        reservationId: bobs,
        userId: "bob",
        quantity: 1,
        allowPartial: false,
      }),
    );
    expect(reservationOf(await world.sink.state(skuId), bobs)?.status).toBe("held");
  });

  it("retries after a timeout and charges once", async () => {
    await world.startSaga({}, { timeoutMs: 300 });
    const orderId = randomUUID();
    // The first charge request hangs (accepted, never answered): the adapter times out, the saga retries.
    sim.configure({ keyScripts: { [orderId]: ["hang", "ok"] } });
    const skuId = "tee-timeout";
    await placeOrder(skuId, "alice", "tok_visa", 1, orderId);
    await settled(skuId, orderId, "confirmed");
    expect(sim.stats().chargeRequests[orderId]).toBe(2);
    expect(sim.stats().charges[orderId]).toBe(1);
    expect(await eventsFor(skuId, orderId, "PaymentSucceeded")).toBe(1);
  });

  it("confirms a charge whose response was lost through the status query, charged once", async () => {
    await world.startSaga({ maxChargeAttempts: 3 });
    const orderId = randomUUID();
    // Charged, then the connection is destroyed; both retries fail with 503, so only the status query
    // can tell that the shopper paid.
    sim.configure({
      lostResponseMode: "destroy",
      keyScripts: { [orderId]: ["lost-response", "server-error", "server-error"] },
    });
    const skuId = "tee-lost";
    await placeOrder(skuId, "alice", "tok_visa", 1, orderId);
    await settled(skuId, orderId, "confirmed");
    const stats = sim.stats();
    expect(stats.charges[orderId]).toBe(1);
    expect(stats.chargeRequests[orderId]).toBe(3);
    expect(stats.statusRequests[orderId]).toBeGreaterThanOrEqual(1);
    const row = await world.attempts.get(orderId)();
    expect(E.isRight(row) && row.right?.paymentId).toMatch(/^pay_/);
  });

  it("keeps trying while the gateway is down and confirms once it is back", async () => {
    await world.startSaga({ deadlineMs: 30_000 });
    await sim.goDown();
    const { skuId, orderId } = await placeOrder("tee-down", "alice");
    // The saga has met the closed port several times (charges and status queries) before it comes back.
    await eventually(async () => {
      const r = await world.attempts.get(orderId)();
      return E.isRight(r) && r.right !== null && r.right.chargeAttempts + r.right.statusQueries >= 4
        ? true
        : undefined;
    }, "failed attempts while down");
    expect(await orderStatus(skuId, orderId)).toBe("pending_payment");
    await sim.comeUp();
    await settled(skuId, orderId, "confirmed");
    expect(sim.stats().charges[orderId]).toBe(1);
    expect(await eventsFor(skuId, orderId, "PaymentSucceeded")).toBe(1);
  });

  it("records an unknown outcome as unresolved (units stay held), lists it, and settles it by the operator path", async () => {
    await world.startSaga({ deadlineMs: 1_500 });
    await sim.goDown();
    const { skuId, orderId, reservationId } = await placeOrder("tee-unresolved", "alice");
    await settled(skuId, orderId, "payment_unresolved");
    const state = await world.sink.state(skuId);
    expect(availabilityOf(state, new Date().toISOString())).toMatchObject({ held: 1, available: 0, sold: 0 });
    expect(reservationOf(state, reservationId)?.status).not.toBe("released");

    const listed = await listUnresolved(world.attempts)();
    expect(E.isRight(listed) && listed.right.map((a) => a.orderId)).toEqual([orderId]);

    const resolved = await resolvePayment({ attempts: world.attempts, sink: world.sink }, orderId, {
      _tag: "Succeeded",
      paymentId: "pay_checked_by_hand",
    });
    expect(E.isRight(resolved) && resolved.right.state).toBe("succeeded");
    await settled(skuId, orderId, "confirmed");
    expect(availabilityOf(await world.sink.state(skuId), new Date().toISOString())).toMatchObject({
      held: 0,
      sold: 1,
    });
    const after = await listUnresolved(world.attempts)();
    expect(E.isRight(after) && after.right).toEqual([]);
    // Resolving again is refused: a settled payment is never overwritten.
    const again = await resolvePayment({ attempts: world.attempts, sink: world.sink }, orderId, {
      _tag: "Failed",
      reason: "x",
    });
    expect(E.isLeft(again) && again.left._tag).toBe("AlreadySettled");
  });

  it("settles other orders while one payment hangs, and keeps the checkpoint below the hanging one", async () => {
    const saga = await world.startSaga({}, { timeoutMs: 8_000 });
    const slow = randomUUID();
    sim.configure({ keyScripts: { [slow]: ["hang", "ok"] } });
    const skuId = "tee-concurrent";
    await world.send(skuId, listSkuBody(skuId, 2));
    const holdA = randomUUID();
    const holdB = randomUUID();
    await world.send(
      skuId,
      commandBody({
        type: "PlaceReservation",
        reservationId: holdA,
        userId: "alice",
        quantity: 1,
        allowPartial: false,
      }),
    );
    await world.send(
      skuId,
      commandBody({
        type: "PlaceReservation",
        reservationId: holdB,
        userId: "bob",
        quantity: 1,
        allowPartial: false,
      }),
    );
    await world.send(
      skuId,
      commandBody({
        type: "PlaceOrder",
        orderId: slow,
        reservationId: holdA,
        userId: "alice",
        paymentToken: "tok_visa",
      }),
    );
    const fast = randomUUID();
    await world.send(
      skuId,
      commandBody({
        type: "PlaceOrder",
        orderId: fast,
        reservationId: holdB,
        userId: "bob",
        paymentToken: "tok_visa",
      }),
    );
    await settled(skuId, fast, "confirmed");
    expect(await orderStatus(skuId, slow)).toBe("pending_payment");
    const slowRow = await world.attempts.get(slow)();
    const slowPosition = E.isRight(slowRow) && slowRow.right !== null ? slowRow.right.position : -1n;
    expect(saga.checkpoint() ?? 0n).toBeLessThan(slowPosition);
    await settled(skuId, slow, "confirmed");
    expect(sim.stats().charges).toMatchObject({ [slow]: 1, [fast]: 1 });
  });

  it("with policy whenNotCharged=fail, fails an order the gateway never charged and releases the unit", async () => {
    await world.startSaga({ maxChargeAttempts: 3, whenNotCharged: "fail" });
    const orderId = randomUUID();
    sim.configure({ keyScripts: { [orderId]: ["server-error", "server-error", "server-error"] } });
    const skuId = "tee-not-charged";
    const { reservationId } = await placeOrder(skuId, "alice", "tok_visa", 1, orderId);
    await settled(skuId, orderId, "payment_failed");
    expect(sim.stats().statusRequests[orderId]).toBe(1);
    expect(sim.stats().charges[orderId]).toBeUndefined();
    expect(reservationOf(await world.sink.state(skuId), reservationId)?.status).toBe("released");
  });

  it("follows the log: an unresolved order settled by another writer leaves the unresolved list", async () => {
    await world.startSaga({ deadlineMs: 1_000 });
    await sim.goDown();
    const { skuId, orderId, reservationId } = await placeOrder("tee-log-sync", "alice");
    await settled(skuId, orderId, "payment_unresolved");
    // Settled without the attempts table: straight through the command path, as another process would.
    await world.send(
      skuId,
      commandBody({ type: "RecordPaymentFailed", orderId, reason: "refused at the provider" }),
    );
    await eventually(async () => {
      const r = await listUnresolved(world.attempts)();
      return E.isRight(r) && r.right.length === 0 ? true : undefined;
    }, "the unresolved list to follow the log");
    const row = await world.attempts.get(orderId)();
    expect(E.isRight(row) && row.right).toMatchObject({
      state: "failed",
      settledBy: "log",
      reason: "refused at the provider",
    });
    expect(reservationOf(await world.sink.state(skuId), reservationId)?.status).toBe("released");
  });

  it("after being killed between charge and recording, resumes from its checkpoint: one charge per order", async () => {
    // Each charge is recorded at once but answered only after 3 s: the window in which the saga dies.
    sim.configure({ latencyMedianMs: 3_000 });
    const child = spawnSaga(db.url, sim.url);
    let orders: ReadonlyArray<{ skuId: string; orderId: string }> = [];
    try {
      await eventually(async () => (child.ready ? true : undefined), "the saga process to start", 30_000);
      orders = [
        await placeOrder("tee-kill", "alice", "tok_visa", 3),
        await placeOrder("tee-kill", "bob", "tok_visa", 3),
        await placeOrder("tee-kill", "carol", "tok_visa", 3),
      ];
      await eventually(
        async () => (orders.every((o) => sim.stats().charges[o.orderId] === 1) ? true : undefined),
        "every order charged",
      );
      child.process.kill("SIGKILL");
      await new Promise((r) => child.process.once("exit", r));
      // The killed saga had saved a checkpoint, but not past any of the unsettled orders.
      const saved = await world.attempts.loadCheckpoint("payments")();
      const firstOrder = await world.attempts.get(orders[0]!.orderId)();
      expect(E.isRight(saved) && saved.right !== null).toBe(true);
      expect(E.isRight(saved) && E.isRight(firstOrder) && saved.right! < firstOrder.right!.position).toBe(
        true,
      );
      for (const o of orders) {
        expect(await orderStatus(o.skuId, o.orderId)).toBe("pending_payment");
        expect(await eventsFor(o.skuId, o.orderId, "PaymentSucceeded")).toBe(0);
      }
    } finally {
      child.process.kill("SIGKILL");
    }
    sim.configure({ latencyMedianMs: 0 });
    // Restarted (in this process) from the checkpoint the killed saga left behind.
    await world.startSaga();
    for (const { skuId, orderId } of orders) {
      await settled(skuId, orderId, "confirmed");
      expect(sim.stats().charges[orderId]).toBe(1);
      // It asked before charging again: the attempts row said a charge may have been sent.
      expect(sim.stats().statusRequests[orderId]).toBeGreaterThanOrEqual(1);
      expect(sim.stats().chargeRequests[orderId]).toBe(1);
      expect(await eventsFor(skuId, orderId, "PaymentSucceeded")).toBe(1);
    }
    expect(sim.stats().totalCharges).toBe(3);
  });
});

/** The saga in a child process (`testing/saga-process.ts`), so it can be killed with SIGKILL. */
const spawnSaga = (databaseUrl: string, gatewayUrl: string) => {
  const proc: ChildProcess = spawn(
    process.execPath,
    ["--import", "./ops/bin/ts-loader.mjs", "commands/payments/testing/saga-process.ts"],
    {
      env: { ...process.env, SAGA_DATABASE_URL: databaseUrl, SAGA_GATEWAY_URL: gatewayUrl },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const handle = { process: proc, ready: false };
  proc.stdout?.on("data", (chunk: Buffer) => {
    if (chunk.toString().includes("ready")) handle.ready = true;
  });
  return handle;
};
