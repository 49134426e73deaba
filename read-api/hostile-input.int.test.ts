import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../infra/event-store/memory.ts";
import { signToken } from "../infra/http/auth.ts";
import { openReadStack, type ReadStack } from "./testing/read-stack.ts";
import { listed, placed } from "../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../projections/testing/scenario.ts";

/**
 * Issue 12 on the read side, against real PostgreSQL, Redis and Elasticsearch: whatever text the log
 * holds (the write API refuses control characters now, but older events may carry them) every projection
 * stores, so the views keep moving (item 3); and deep result pages are the client's 400 (item 5).
 */

const SECRET = "read-hostile-test-secret-0123456789";
const store = makeMemoryEventStore({ pollIntervalMs: 5 });
let stack: ReadStack;
let app: ReadStack["app"];
let alice = "";

beforeAll(async () => {
  stack = await openReadStack(store, { secret: SECRET, minRevisionWaitMs: 5000 });
  app = stack.app;
  alice = await signToken(SECRET, { userId: "alice" });
});
afterAll(() => stack.close());

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

describe("item 3: every projection stores any text a decoded event carries", () => {
  it("a listing with NUL and control characters does not stop the orders view (or any other)", async () => {
    const lamp = skuScenario(store, "hi-lamp");
    await lamp.append(
      listed("hi-lamp", {
        name: "lamp\u0000nul",
        description: "bright\u0000\u001b[31m red",
        tags: ["l\u0000mp"],
      } as never),
    );
    const r1 = randomUUID();
    await lamp.append(placed(r1, "alice", 1));
    // A later SKU's hold: the orders projector must have got past the first listing to show it.
    const mug = skuScenario(store, "hi-mug");
    const r2 = randomUUID();
    await mug.append(listed("hi-mug"));
    await mug.append(placed(r2, "alice", 1));
    for (const id of [r1, r2]) {
      const res = await get(`/v1/reservations/${id}`, {
        Authorization: `Bearer ${alice}`,
        "X-Min-Revision": `${id === r1 ? "hi-lamp" : "hi-mug"}@1`,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ reservationId: id, status: "held", userId: "alice" });
    }
    const stored = await stack.db.pool.query<{ name: string }>(
      "SELECT name FROM hf_orders.sku_sales WHERE sku_id = $1",
      ["hi-lamp"],
    );
    expect(stored.rows[0]?.name).toMatch(/^lamp.nul$/);
    const product = await get("/v1/products/hi-lamp", { "X-Min-Revision": "hi-lamp@1" });
    expect(product.status).toBe(200);
    expect(await product.json()).toMatchObject({ name: "lamp\u0000nul" });
    const found = await eventually(async () => {
      const res = await get("/v1/products?q=lamp");
      const body = (await res.json()) as { items: Array<{ skuId: string; name: string }> };
      return body.items.find((i) => i.skuId === "hi-lamp");
    });
    expect(found.name).toBe("lamp\u0000nul");
    const states = (await stack.status.readAll()).map((s) => s.state);
    expect(states).not.toContain("parked");
  });
});

describe("item 5: deep result pages", () => {
  it("past the search window is a 400 naming the bound; the deepest servable page is a 200", async () => {
    const deep = await get("/v1/products?page=101&size=100");
    expect(deep.status).toBe(400);
    expect(deep.headers.get("Content-Type")).toContain("application/problem+json");
    const p = (await deep.json()) as { type: string; detail: string };
    expect(p.type).toBe("/problems/bad-request");
    expect(p.detail).toMatch(/10000/);
    expect((await get("/v1/products?page=10000&size=2")).status).toBe(400);
    const last = await get("/v1/products?page=100&size=100");
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({ items: [], page: 100, size: 100 });
  });
});
