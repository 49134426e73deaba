import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyHoldQueue, pushHold } from "./hold-queue.ts";
import { VersionedMap } from "./versioned-map.ts";

describe("VersionedMap", () => {
  it("a fork sees its parent's entries; the parent never sees the fork's writes", () => {
    const v0 = VersionedMap.empty<string, number>();
    v0.set("a", 1);
    const v1 = v0.fork();
    v1.set("a", 2);
    v1.set("b", 3);
    expect([v0.get("a"), v0.get("b")]).toEqual([1, undefined]);
    expect([v1.get("a"), v1.get("b")]).toEqual([2, 3]);
    expect([...v1.toMap()]).toEqual([
      ["a", 2],
      ["b", 3],
    ]);
  });

  it("forking an older version branches (a copy) and leaves the newer line intact", () => {
    const v0 = VersionedMap.empty<string, number>();
    v0.set("a", 1);
    const v1 = v0.fork();
    v1.set("a", 2);
    const branch = v0.fork();
    branch.set("c", 9);
    expect([branch.get("a"), branch.get("c")]).toEqual([1, 9]);
    expect([v1.get("a"), v1.get("c")]).toEqual([2, undefined]);
    expect(v0.get("c")).toBeUndefined();
  });

  it("refuses writes through a superseded version (that would change a published state)", () => {
    const v0 = VersionedMap.empty<string, number>();
    v0.fork();
    expect(() => v0.set("a", 1)).toThrow(/superseded/);
    expect(() => v0.update("a", () => 1)).toThrow(/superseded/);
  });

  it("update reads the value this version sees and writes in this version only", () => {
    const v0 = VersionedMap.empty<string, number>();
    v0.update("a", (n) => (n ?? 0) + 1);
    const v1 = v0.fork();
    v1.update("a", (n) => (n ?? 0) + 10);
    v1.update("a", (n) => (n ?? 0) + 100);
    v1.update("b", (n) => (n ?? 0) + 5);
    expect([v0.get("a"), v0.get("b")]).toEqual([1, undefined]);
    expect([v1.get("a"), v1.get("b")]).toEqual([111, 5]);
  });
});

describe("VersionedMap against plain maps", () => {
  it("every view reads what a copy made at its fork would, under any mix of reads, writes and forks", () => {
    const key = fc.constantFrom("a", "b", "c", "d");
    const op = fc.oneof(
      fc.record({ kind: fc.constant("get" as const), key }),
      fc.record({ kind: fc.constant("set" as const), key, value: fc.integer() }),
      fc.record({ kind: fc.constant("update" as const), key, delta: fc.integer() }),
      fc.record({ kind: fc.constant("fork" as const), from: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        // views[i] and models[i]: a view and the plain map it must equal; the last one is written.
        const views = [VersionedMap.empty<string, number>()];
        const models = [new Map<string, number>()];
        for (const o of ops) {
          const view = views[views.length - 1]!;
          const model = models[models.length - 1]!;
          if (o.kind === "get") expect(view.get(o.key)).toBe(model.get(o.key));
          else if (o.kind === "set") {
            view.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === "update") {
            view.update(o.key, (n) => (n ?? 0) + o.delta);
            model.set(o.key, (model.get(o.key) ?? 0) + o.delta);
          } else {
            const i = o.from % views.length;
            views.push(views[i]!.fork());
            models.push(new Map(models[i]!));
          }
          views.forEach((v, i) => {
            expect(v.toMap()).toEqual(models[i]);
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("hold queue", () => {
  it("keeps deadline order (FIFO among equals) and never changes a queue someone else holds", () => {
    const e = (ms: number, id: string) => ({ expiresAtMs: ms, reservationId: id });
    const q1 = pushHold(pushHold(emptyHoldQueue(), e(10, "a")), e(30, "b"));
    const q2 = pushHold(q1, e(20, "c")); // out of order
    const q3 = pushHold(q1, e(30, "d")); // a branch from q1
    const ids = (q: typeof q1) => q.arr.slice(q.head, q.len).map((x) => x.reservationId);
    expect(ids(q1)).toEqual(["a", "b"]);
    expect(ids(q2)).toEqual(["a", "c", "b"]);
    expect(ids(q3)).toEqual(["a", "b", "d"]);
  });
});
