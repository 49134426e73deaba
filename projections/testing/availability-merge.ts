import type { AvailabilityOp } from "../availability/evolve.ts";
import type { SkuGroup } from "../availability/fold.ts";

type FieldChange = { kind: "set"; value: string } | { kind: "incr"; delta: number };

/**
 * Merge a batch's per-event ops per SKU (events of a SKU in stream order, as the feed delivers them):
 * every field of the SKU hash ends as its last `set` plus the increments after it (or the sum of the
 * increments), every reservation hash as its fields' last values. The effect on the view is the same
 * as running the events' ops one by one, with far fewer Redis calls: a flash sale's batch is mostly
 * one SKU's holds, and a hold's reservation hash is written once even when it was placed and expired
 * in the same batch. `availability-merge.test.ts` checks the equivalence on random event sequences.
 *
 * The reference, not the production code: `foldBySku` (availability/fold.ts) folds the events straight
 * into these groups, and `fold.test.ts` checks it against this on random batches.
 */
export const mergeBySku = (
  events: ReadonlyArray<{
    readonly s: string;
    readonly r: number;
    readonly o: ReadonlyArray<AvailabilityOp>;
  }>,
): SkuGroup[] => {
  const groups = new Map<
    string,
    { r0: number; r1: number; fields: Map<string, FieldChange>; res: Map<string, Map<string, string>> }
  >();
  for (const e of events) {
    let g = groups.get(e.s);
    if (g === undefined) {
      g = { r0: e.r, r1: e.r, fields: new Map(), res: new Map() };
      groups.set(e.s, g);
    }
    g.r1 = e.r;
    for (const op of e.o) {
      switch (op[0]) {
        case "set":
          g.fields.set(op[1], { kind: "set", value: op[2] });
          break;
        case "incr": {
          const before = g.fields.get(op[1]);
          g.fields.set(
            op[1],
            before === undefined
              ? { kind: "incr", delta: op[2] }
              : before.kind === "set"
                ? { kind: "set", value: String(Number(before.value) + op[2]) }
                : { kind: "incr", delta: before.delta + op[2] },
          );
          break;
        }
        case "res": {
          let fields = g.res.get(op[1]);
          if (fields === undefined) {
            fields = new Map();
            g.res.set(op[1], fields);
          }
          for (let i = 2; i + 1 < op.length; i += 2) fields.set(op[i] as string, op[i + 1] as string);
          break;
        }
        default: {
          const never: never = op[0];
          throw new Error(`unknown op ${String(never)}`);
        }
      }
    }
  }
  return [...groups].map(([s, g]) => {
    const o: AvailabilityOp[] = [];
    for (const [field, c] of g.fields)
      o.push(c.kind === "set" ? ["set", field, c.value] : ["incr", field, c.delta]);
    for (const [id, fields] of g.res) o.push(["res", id, ...[...fields].flat()]);
    return { s, r0: g.r0, r1: g.r1, o };
  });
};
