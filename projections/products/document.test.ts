import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listed, paid, placed, saleClosed, stockAdded } from "../../event-schemas/testing/sku-events.ts";
import { saleWorkload } from "../testing/workload.ts";
import { evolveProduct, foldProductEvent, type ProductDocument } from "./document.ts";

const r = "00000000-0000-4000-8000-000000000001";
const o = "00000000-0000-4000-8000-000000000002";

describe("product document", () => {
  it("is in stock while units are available, not once they are all held or sold, nor when closed", () => {
    let d = evolveProduct(null, listed("t", { stock: 2 }), 0);
    expect(d).toMatchObject({ inStock: true, total: 2, revision: 0 });
    d = evolveProduct(d, placed(r, "u", 2), 1);
    expect(d).toMatchObject({ inStock: false, held: 2, revision: 1 });
    d = evolveProduct(d, paid(o, r, 2), 2);
    expect(d).toMatchObject({ inStock: false, held: 0, sold: 2 });
    const open = evolveProduct(null, listed("t", { stock: 5 }), 0);
    expect(evolveProduct(open, saleClosed(), 1)).toMatchObject({ inStock: false, closed: true });
  });
  it("ignores events before the listing", () => {
    expect(evolveProduct(null, placed(r, "u", 1), 3)).toBeNull();
  });
  it("folded in place on one copy, ends as evolving event by event, and leaves the start as it was", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 59 }), (n, cut) => {
        const w = saleWorkload("f");
        const events = w.next(n).map((e, i) => (i === Math.min(cut, n - 1) && i > 0 ? stockAdded(1, 9) : e));
        const start = evolveProduct(null, events[0]!, 0);
        const snapshot = structuredClone(start);
        let stepwise: ProductDocument | null = start;
        events.slice(1).forEach((e, i) => {
          stepwise = evolveProduct(stepwise, e, i + 1);
        });
        let folded: ProductDocument | null = start === null ? null : { ...start };
        events.slice(1).forEach((e, i) => {
          folded = foldProductEvent(folded, e, i + 1);
        });
        expect(folded).toEqual(stepwise);
        expect(start).toEqual(snapshot);
      }),
      { numRuns: 200 },
    );
  });
});
