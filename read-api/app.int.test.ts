import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../infra/event-store/memory.ts";
import { signToken } from "../infra/http/auth.ts";
import { makeReadApp } from "./app.ts";
import { openReadStack, type ReadStack } from "./testing/read-stack.ts";
import { makeRateLimiter } from "../infra/redis/rate-limit.ts";
import { listed, orderPlaced, placed } from "../event-schemas/testing/sku-events.ts";
import { eventually, skuScenario } from "../projections/testing/scenario.ts";

const SECRET = "read-api-test-secret-0123456789";
const store = makeMemoryEventStore({ pollIntervalMs: 5 });
let stack: ReadStack;
let app: ReadStack["app"];
const tee = skuScenario(store, "rt-tee");
const ids = { r1: randomUUID(), r2: randomUUID(), o1: randomUUID() };
let alice = "";
let bob = "";

beforeAll(async () => {
  stack = await openReadStack(store, { secret: SECRET, minRevisionWaitMs: 1500 });
  app = stack.app;
  alice = await signToken(SECRET, { userId: "alice" });
  bob = await signToken(SECRET, { userId: "bob" });
  await tee.append(
    listed("rt-tee", {
      name: "Striped tee",
      description: "Breton stripes",
      stock: 5,
      priceCents: 3000,
      tags: ["tee"],
    }),
  );
  await tee.append(placed(ids.r1, "alice", 2), placed(ids.r2, "bob", 1));
  await tee.append(orderPlaced(ids.o1, ids.r1, "alice", 2, 6000));
});
afterAll(() => stack.close());

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
const atLeast3 = { "X-Min-Revision": "rt-tee@3" };

describe("read API", () => {
  it("availability: 200 with ETag = revision, 304 on a matching If-None-Match, 404 unknown-sku", async () => {
    const res = await get("/v1/products/rt-tee/availability", atLeast3);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      skuId: "rt-tee",
      total: 5,
      available: 2,
      held: 3,
      sold: 0,
      status: "open",
      revision: 3,
    });
    expect(res.headers.get("ETag")).toBe('"3"');
    expect((await get("/v1/products/rt-tee/availability", { "If-None-Match": '"3"' })).status).toBe(304);
    const missing = await get("/v1/products/nothing-here/availability");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("Content-Type")).toContain("application/problem+json");
    expect(await missing.json()).toMatchObject({ type: "/problems/unknown-sku" });
    expect((await get("/v1/products/bad%20id/availability")).status).toBe(400);
  });

  it("product: the listing with its availability", async () => {
    const res = await get("/v1/products/rt-tee", atLeast3);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      skuId: "rt-tee",
      name: "Striped tee",
      priceCents: 3000,
      currency: "EUR",
      tags: ["tee"],
      availability: { available: 2, revision: 3 },
    });
  });

  it("search: words, filters, paging, and bad parameters", async () => {
    // The index is searchable a refresh after the write; on a busy machine that can pass the bound of
    // an X-Min-Revision wait (504, tested below), so wait for the answer itself here.
    const res = await eventually(async () => {
      const r = await get(
        "/v1/products?q=breton&inStock=true&tag=tee&minPriceCents=1000&maxPriceCents=5000",
        atLeast3,
      );
      return r.status === 200 ? r : undefined;
    }, 15_000);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      items: Array<{ skuId: string; availability: { revision: number } }>;
      total: number;
    };
    expect(body).toMatchObject({ total: 1, totalRelation: "eq", page: 1, size: 20 });
    expect(body.items[0]).toMatchObject({ skuId: "rt-tee", availability: { revision: 3 } });
    expect((await (await get("/v1/products?q=breton&maxPriceCents=100")).json()) as object).toMatchObject({
      total: 0,
    });
    expect((await get("/v1/products?size=1000")).status).toBe(400);
    expect((await get("/v1/products?inStock=maybe")).status).toBe(400);
  });

  it("X-Min-Revision waits for the view, 504 view-behind past the bound, 400 when malformed", async () => {
    const pending = get("/v1/products/rt-tee/availability", { "X-Min-Revision": "rt-tee@4" });
    await tee.append(placed(randomUUID(), "carol", 1));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { revision: number }).revision).toBeGreaterThanOrEqual(4);
    const behind = await get("/v1/products/rt-tee/availability", { "X-Min-Revision": "rt-tee@99" });
    expect(behind.status).toBe(504);
    expect(await behind.json()).toMatchObject({ type: "/problems/view-behind" });
    expect((await get("/v1/products/rt-tee/availability", { "X-Min-Revision": "nope" })).status).toBe(400);
  });

  it("reservations and orders are the owner's: another shopper gets 404, no token 401", async () => {
    const asAlice = { Authorization: `Bearer ${alice}`, ...atLeast3 };
    const asBob = { Authorization: `Bearer ${bob}`, ...atLeast3 };
    const r = await get(`/v1/reservations/${ids.r1}`, asAlice);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      reservationId: ids.r1,
      skuId: "rt-tee",
      userId: "alice",
      quantity: 2,
      status: "ordered",
    });
    expect((await get(`/v1/reservations/${ids.r1}`, asBob)).status).toBe(404);
    expect((await get(`/v1/reservations/${ids.r1}`)).status).toBe(401);
    const o = await get(`/v1/orders/${ids.o1}`, asAlice);
    expect(o.status).toBe(200);
    expect(await o.json()).toMatchObject({
      orderId: ids.o1,
      amountCents: 6000,
      status: "pending_payment",
      quantity: 2,
    });
    const other = await get(`/v1/orders/${ids.o1}`, asBob);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ type: "/problems/not-found" });
    const mine = await get("/v1/me/orders", asAlice);
    expect(
      ((await mine.json()) as { items: Array<{ orderId: string }> }).items.map((x) => x.orderId),
    ).toEqual([ids.o1]);
    const bobs = await get("/v1/me/orders", asBob);
    expect(await bobs.json()).toEqual({ items: [] });
  });

  it("SSE: the current availability first, then a change within a second", async () => {
    const res = await get("/v1/products/rt-tee/availability/stream");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (pred: (s: string) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pred(text)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching SSE data within ${ms} ms: ${text}`);
        const chunk = await Promise.race([
          reader.read(),
          new Promise<null>((r) => setTimeout(() => r(null), left)),
        ]);
        if (chunk === null || chunk.done) continue;
        text += decoder.decode(chunk.value);
      }
    };
    await readUntil((s) => s.includes("event: availability"), 2000);
    const before = (/"revision":(\d+)/.exec(text) ?? [])[1];
    await tee.append(placed(randomUUID(), "dave", 1));
    // The promise to shoppers: a change reaches an open stream within a second.
    await readUntil(
      (s) => (s.match(/"revision":\d+/g) ?? []).some((m) => m !== `"revision":${before}`),
      1000,
    );
    await reader.cancel();
  });

  it("read rate limit: 429 with Retry-After once the IP's bucket is empty", async () => {
    const limited = makeReadApp({
      ...stack.deps,
      limiter: makeRateLimiter(stack.redis.redis, { prefix: `${stack.redis.namespace}${randomUUID()}:` }),
      ipRead: { burst: 2, perSecond: 0.01 },
    });
    expect((await limited.request("/v1/products/rt-tee/availability")).status).toBe(200);
    expect((await limited.request("/v1/products/rt-tee/availability")).status).toBe(200);
    const third = await limited.request("/v1/products/rt-tee/availability");
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
  });
});
