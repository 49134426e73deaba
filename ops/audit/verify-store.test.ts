import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { runSale } from "./testing/sale.ts";
import { verifyStore } from "./verify-store.ts";

describe("audit verify over a memory store", () => {
  it("a sale decided by the command handler verifies clean, every decision replayed", async () => {
    const store = makeMemoryEventStore();
    const sale = await runSale(store, { seed: 7 });
    const r = await verifyStore(store);
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    expect(r.right.streams.map((s) => s.violations)).toEqual([[]]);
    expect(r.right.ok).toBe(true);
    expect(r.right.events).toBe(sale.events);
    expect(sale.events).toBeGreaterThan(500);
    await store.close();
  });
});
