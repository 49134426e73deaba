import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SkuEvent } from "../../event-schemas/index.ts";
import { listed, saleClosed, stockAdded, unresolved } from "../../event-schemas/testing/sku-events.ts";
import { saleWorkload } from "../testing/workload.ts";
import { availabilityOps } from "./evolve.ts";
import { foldBySku } from "./fold.ts";
import { mergeBySku } from "../testing/availability-merge.ts";

describe("folding a batch's availability per SKU", () => {
  it("gives exactly the groups of merging every event's ops", () => {
    // Per pick: which SKU, and whether its next event comes from the sale's workload or is a listing,
    // a restock, a close or an unresolved payment (events a sale's batch can hold anywhere).
    const pick = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 11 }));
    fc.assert(
      fc.property(fc.array(pick, { minLength: 1, maxLength: 150 }), (picks) => {
        const skus = ["a", "b", "c"];
        const workloads = skus.map((s) => saleWorkload(s));
        const revisions = [0, 0, 0];
        const events = picks.map(([k, kind]) => {
          const s = skus[k]!;
          const event: SkuEvent =
            kind === 8
              ? listed(s, { stock: 7, tags: ["x", "y"] })
              : kind === 9
                ? stockAdded(3, 10 + revisions[k]!)
                : kind === 10
                  ? saleClosed()
                  : kind === 11
                    ? unresolved(
                        "00000000-0000-4000-8000-000000000009",
                        "00000000-0000-4000-8000-00000000000a",
                      )
                    : workloads[k]!.next(1)[0]!;
          const r = revisions[k]!;
          revisions[k] = r + 1;
          return { s, r, event };
        });
        expect(foldBySku(events)).toEqual(
          mergeBySku(events.map((e) => ({ s: e.s, r: e.r, o: availabilityOps(e.event, e.r) }))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
