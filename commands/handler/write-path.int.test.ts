import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FinalAnswer, reserveToTheEnd } from "../../ops/serve/testing/answers.ts";
import { checkReservationInvariants } from "../../ops/serve/testing/invariants.ts";
import {
  client,
  type Harness,
  type ServeProcess,
  startHarness,
  waitFor,
} from "../../ops/serve/testing/harness.ts";

/**
 * The reservation path end to end on real Kafka, PostgreSQL and Redis: `holdfast serve` processes (write
 * API and command handler apart, so the handler can be killed), HTTP requests in, the stream checked.
 */
let h: Harness;
let api: ServeProcess;
let handler: ServeProcess;
let admin: string;

beforeAll(async () => {
  h = await startHarness("writepath");
  handler = await h.serve("command-handler");
  api = await h.serve("write-api", { waitMs: 3000 });
  admin = await h.token("ops", true);
});
afterAll(async () => {
  await h?.close();
});

const checkInvariants = (skuId: string, stock: number, answers: ReadonlyArray<FinalAnswer>) =>
  checkReservationInvariants(h, skuId, stock, answers);

describe("reservations through Kafka to the serialized handler", () => {
  it("2,000 concurrent requests from 1,500 shoppers on 1,000 units: exactly 1,000 held, each answered once", async () => {
    const c = client(api.port);
    const skuId = `tee-${randomUUID().slice(0, 8)}`;
    const listed = await c.listSku(admin, { skuId, stock: 1000, perUserLimit: 1 });
    expect(listed.status).toBe(201);
    const users = Array.from({ length: 2000 }, (_, i) => `shopper-${i % 1500}`);
    const tokens = new Map(
      await Promise.all([...new Set(users)].map(async (u) => [u, await h.token(u)] as const)),
    );
    const answers = await Promise.all(
      users.map((u) => reserveToTheEnd(c, tokens.get(u)!, u, skuId, { retryUnavailable: true })),
    );
    await checkInvariants(skuId, 1000, answers);
  });

  it("the handler SIGKILLed mid-run and restarted: same invariants, no answer changes", async () => {
    const c = client(api.port);
    const skuId = `kill-${randomUUID().slice(0, 8)}`;
    expect((await c.listSku(admin, { skuId, stock: 300, perUserLimit: 1 })).status).toBe(201);
    const users = Array.from({ length: 600 }, (_, i) => `k-${i % 450}`);
    const tokens = new Map(
      await Promise.all([...new Set(users)].map(async (u) => [u, await h.token(u)] as const)),
    );
    let killed = false;
    const run = users.map(async (u, i) => {
      // Spread the requests so the kill lands in the middle of the run.
      await new Promise((r) => setTimeout(r, i * 3));
      return reserveToTheEnd(c, tokens.get(u)!, u, skuId, { retryUnavailable: true });
    });
    await waitFor(
      "some decisions before the kill",
      async () => (await h.envelopes(skuId)).length > 50,
      30_000,
      20,
    );
    handler.child.kill("SIGKILL");
    killed = true;
    // Mid-run indeed: fewer than all 600 requests had been decided when the handler died.
    const decidedAtKill = (await h.envelopes(skuId)).filter((e) => e.type.startsWith("Reservation")).length;
    expect(decidedAtKill).toBeLessThan(600);
    await handler.exited;
    handler = await h.serve("command-handler");
    const answers = await Promise.all(run);
    expect(killed).toBe(true);
    await checkInvariants(skuId, 300, answers);
    // No answer changes: what a shopper was told is what the log and the outcome record say now.
    for (const a of answers.filter((x) => x.first !== 202).slice(0, 200)) {
      const requestId = String(a.body.requestId ?? "");
      if (a.status === 201) {
        const later = await c.request(
          tokens.get(a.userId)!,
          await requestIdOf(skuId, String(a.body.reservationId)),
        );
        expect(later.status).toBe(201);
        expect(later.body.reservationId).toBe(a.body.reservationId);
      } else if (requestId !== "") {
        expect((await c.request(tokens.get(a.userId)!, requestId)).status).toBe(409);
      }
    }
  });
});

const requestIdOf = async (skuId: string, reservationId: string): Promise<string> => {
  const events = await h.stream(skuId);
  const e = events.find(
    (x) =>
      x.event.type === "ReservationPlaced" &&
      (x.event.data as { reservationId: string }).reservationId === reservationId,
  );
  return e?.envelope.requestId ?? "missing";
};
