import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listed } from "../../event-schemas/testing/sku-events.ts";
import { saleWorkload } from "./workload.ts";
import { type AvailabilityOp, availabilityOps } from "../availability/evolve.ts";
import { mergeBySku } from "./availability-merge.ts";

/** What the apply script does with ops, on plain maps: the view as a test can compare it. */
const run = (view: Map<string, Map<string, string>>, s: string, ops: ReadonlyArray<AvailabilityOp>) => {
  const hash = (key: string) => {
    let h = view.get(key);
    if (h === undefined) {
      h = new Map();
      view.set(key, h);
    }
    return h;
  };
  const sku = hash(`sku:${s}`);
  for (const op of ops) {
    if (op[0] === "set") sku.set(op[1], op[2]);
    else if (op[0] === "incr") sku.set(op[1], String(Number(sku.get(op[1]) ?? "0") + op[2]));
    else {
      const res = hash(`res:${op[1]}`);
      res.set("skuId", s);
      for (let i = 2; i + 1 < op.length; i += 2) res.set(op[i] as string, op[i + 1] as string);
    }
  }
};
const asObject = (view: Map<string, Map<string, string>>) =>
  Object.fromEntries([...view].map(([k, h]) => [k, Object.fromEntries(h)]));

describe("merging a batch's availability ops per SKU", () => {
  it("gives the same view as applying every event's ops in order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 120 }), (picks) => {
        const skus = ["a", "b", "c"];
        const workloads = skus.map((s) => saleWorkload(s));
        const revisions = [0, 0, 0];
        const events = picks.map((k) => {
          const event = workloads[k]!.next(1)[0]!;
          const r = revisions[k]!;
          revisions[k] = r + 1;
          return { s: skus[k]!, r, o: availabilityOps(event, r) };
        });
        const oneByOne = new Map<string, Map<string, string>>();
        for (const e of events) run(oneByOne, e.s, e.o);
        const merged = new Map<string, Map<string, string>>();
        const groups = mergeBySku(events);
        for (const g of groups) run(merged, g.s, g.o);
        expect(asObject(merged)).toEqual(asObject(oneByOne));
        for (const g of groups) {
          const mine = events.filter((e) => e.s === g.s);
          expect([g.r0, g.r1]).toEqual([mine[0]!.r, mine[mine.length - 1]!.r]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a set after increments wins; increments after a set add to it", () => {
    const [g] = mergeBySku([
      { s: "x", r: 0, o: availabilityOps(listed("x", { stock: 5 }), 0) },
      { s: "x", r: 1, o: [["incr", "held", 2]] },
      { s: "x", r: 2, o: [["incr", "held", -1]] },
      { s: "x", r: 3, o: [["incr", "sold", 1]] },
    ]);
    expect(g!.o).toContainEqual(["set", "held", "1"]);
    expect(g!.o).toContainEqual(["set", "sold", "1"]);
    expect(g!.o).toContainEqual(["set", "total", "5"]);
  });
});
