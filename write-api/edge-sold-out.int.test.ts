import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  type Harness,
  type ServeProcess,
  startHarness,
  waitFor,
} from "../ops/serve/testing/harness.ts";

/**
 * The sold-out refusal at the edge on real Kafka, PostgreSQL and Redis (`holdfast serve` with the
 * command handler and the write API): once nothing is available, refusals come from the edge (no
 * request id, no event), name the revision whose figures they relied on and carry Retry-After while
 * units are held; and right after a restock's 200 a reservation is never refused from older figures.
 */
let h: Harness;
let api: ServeProcess;
let admin: string;

beforeAll(async () => {
  h = await startHarness("edgesoldout");
  api = await h.serve("command-handler,write-api", { waitMs: 5000 });
  admin = await h.token("ops", true);
});
afterAll(async () => {
  await h?.close();
});

describe("sold out at the edge", () => {
  it("refuses from the handler's figures while units are held, and never refuses stale after a restock", async () => {
    const c = client(api.port);
    const skuId = `edge-${randomUUID().slice(0, 8)}`;
    expect((await c.listSku(admin, { skuId, stock: 1, perUserLimit: 1 })).status).toBe(201);
    let shopper = 0;
    const reserveAsNew = async () => c.reserve(await h.token(`s-${shopper++}`), skuId);

    for (let round = 0; round < 3; round++) {
      expect((await reserveAsNew()).status).toBe(201);
      // The next requests are refused; soon at the edge (no requestId: nothing reached the queue).
      const edgeRefusal = await waitFor(
        "an edge refusal",
        async () => {
          const r = await reserveAsNew();
          expect(r.status).toBe(409);
          expect(r.body.type).toBe("/problems/sold-out");
          return r.body.requestId === undefined ? r : null;
        },
        20_000,
        20,
      );
      const events = await h.envelopes(skuId);
      const last = events[events.length - 1]!;
      // The refusal names the revision of the last event folded into the figures it used: every unit
      // held at that revision, and held units may lapse, hence Retry-After.
      expect(edgeRefusal.body.revision).toBe(last.revision);
      expect(Number(edgeRefusal.headers.get("Retry-After"))).toBeGreaterThan(0);
      const again = await reserveAsNew();
      expect(again.body.requestId).toBeUndefined();
      expect((await h.envelopes(skuId)).length).toBe(events.length);

      const restocked = await c.post(`/v1/skus/${skuId}/stock`, admin, { quantity: 1 });
      expect(restocked.status).toBe(200);
      // Immediately after the 200: the unit is there, and the edge must not refuse from older figures.
    }
    const final = await h.envelopes(skuId);
    expect(final.filter((e) => e.type === "ReservationPlaced")).toHaveLength(3);
    // The restocked unit of the last round is still available to the next shopper.
    expect((await reserveAsNew()).status).toBe(201);
  });
});
