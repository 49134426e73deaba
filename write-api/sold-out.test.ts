import * as E from "fp-ts/lib/Either.js";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { EdgeAvailability, EdgeView } from "../infra/redis/edge-availability.ts";
import { freshest } from "../infra/redis/edge-availability.ts";
import { edgeSoldOut } from "./sold-out.ts";

const NOW = Date.parse("2026-12-01T10:00:00.000Z");
const at = (s: number) => new Date(NOW + s * 1000).toISOString();

const view = (over: Partial<EdgeView> = {}): EdgeView => ({
  skuId: "tee",
  revision: 41,
  total: 10,
  available: 0,
  held: 3,
  sold: 7,
  closed: false,
  saleStartsAt: null,
  saleEndsAt: null,
  nextReleaseAt: at(30),
  source: "handler",
  ...over,
});

/** The edge check alone behind a route, with a hint (what the process last saw) and a fresh read. */
const edge = (hint: EdgeView | null, fresh: EdgeView | null | "down") => {
  let freshReads = 0;
  const availability: EdgeAvailability = {
    hint: () => hint,
    fresh: async () => {
      freshReads++;
      return fresh === "down" ? E.left({ _tag: "AvailabilityUnavailable", message: "down" }) : E.right(fresh);
    },
  };
  const app = new Hono();
  app.post(
    "/r",
    async (c) => (await edgeSoldOut(c, availability, "tee", () => NOW)) ?? c.text("queued", 202),
  );
  return { request: () => app.request("/r", { method: "POST" }), reads: () => freshReads };
};

describe("the edge's sold-out refusal", () => {
  it("refuses when nothing is available though units are held, naming the revision, Retry-After until the next deadline", async () => {
    const e = edge(view(), view());
    const res = await e.request();
    expect(res.status).toBe(409);
    expect(res.headers.get("Retry-After")).toBe("30");
    expect(await res.json()).toMatchObject({ type: "/problems/sold-out", revision: 41, skuId: "tee" });
  });

  it("carries no Retry-After once nothing is held (every unit sold)", async () => {
    const res = await edge(
      view({ held: 0, sold: 10, nextReleaseAt: null }),
      view({ held: 0, sold: 10, nextReleaseAt: null }),
    ).request();
    expect(res.status).toBe(409);
    expect(res.headers.get("Retry-After")).toBeNull();
  });

  it("lets the request reach the queue after a restock the process has not seen yet (the fresh read decides)", async () => {
    const e = edge(view(), view({ revision: 42, total: 12, available: 2 }));
    expect((await e.request()).status).toBe(202);
    expect(e.reads()).toBe(1);
  });

  it("lets the request through when a hold has lapsed (the next decision frees it), when closed or outside the window", async () => {
    expect(
      (await edge(view({ nextReleaseAt: at(-1) }), view({ nextReleaseAt: at(-1) })).request()).status,
    ).toBe(202);
    expect((await edge(view({ closed: true }), view({ closed: true })).request()).status).toBe(202);
    expect(
      (await edge(view({ saleStartsAt: at(60) }), view({ saleStartsAt: at(60) })).request()).status,
    ).toBe(202);
    expect((await edge(view({ saleEndsAt: at(-60) }), view({ saleEndsAt: at(-60) })).request()).status).toBe(
      202,
    );
  });

  it("from the projection's figures (no deadlines known) refuses only when nothing is held", async () => {
    const held = view({ source: "view", nextReleaseAt: null });
    expect((await edge(held, held).request()).status).toBe(202);
    const none = view({ source: "view", held: 0, sold: 10, nextReleaseAt: null });
    expect((await edge(none, none).request()).status).toBe(409);
  });

  it("never reads when the process's figures show stock, and lets everything through when Redis is down", async () => {
    const stocked = edge(view({ available: 4 }), view());
    expect((await stocked.request()).status).toBe(202);
    expect(stocked.reads()).toBe(0);
    expect((await edge(view(), "down").request()).status).toBe(202);
    expect((await edge(null, view()).request()).status).toBe(202);
  });

  it("takes the fresher of the handler's and the projection's figures", () => {
    const h = view({ revision: 10 });
    const v = view({ revision: 12, source: "view" });
    expect(freshest(h, v)).toBe(v);
    expect(freshest(view({ revision: 12 }), v)?.source).toBe("handler");
    expect(freshest(null, v)).toBe(v);
  });
});
