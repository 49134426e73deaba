import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { availabilityOf, foldEvents } from "../../domain/sku/index.ts";
import { decodeEvent } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { formatReplay } from "./format.ts";
import { parseReplayPoint, replayTo } from "./replay-at.ts";
import { runSale } from "./testing/sale.ts";

describe("holdfast replay", () => {
  it("shows the state at a revision, at an instant, and at the end, with the events that led there", async () => {
    const store = makeMemoryEventStore();
    await runSale(store, { seed: 5, chunks: 30 });
    const all = await store.readStream("sku-tee")();
    if (E.isLeft(all)) throw new Error("read");
    const decoded = all.right.map((r) => {
      const d = decodeEvent(r.envelope);
      if (E.isLeft(d)) throw new Error("decode");
      return d.right;
    });

    const at40 = await replayTo(store, "tee", { kind: "revision", revision: 40 });
    if (E.isLeft(at40)) throw new Error(JSON.stringify(at40.left));
    expect(at40.right.revision).toBe(40);
    expect(at40.right.events.map((e) => e.revision)).toEqual([...Array(41).keys()]);
    const expected = availabilityOf(foldEvents(decoded.slice(0, 41)), decoded[40]!.envelope.occurredAt);
    expect(at40.right.availability).toEqual(expected);
    expect(at40.right.liveHolds.reduce((n, h) => n + h.quantity, 0)).toBe(expected!.held);
    const text = formatReplay(at40.right);
    expect(text).toContain("sku-tee at revision 40");
    expect(text).toContain(`available ${expected!.available}`);

    const instant = decoded[100]!.envelope.occurredAt;
    const atTime = await replayTo(store, "tee", { kind: "time", time: instant }, { tail: 5 });
    if (E.isLeft(atTime)) throw new Error("replay");
    const lastAtOrBefore = decoded.filter((d) => d.envelope.occurredAt <= instant).at(-1)!.envelope.revision;
    expect(atTime.right.revision).toBe(lastAtOrBefore);
    expect(atTime.right.events).toHaveLength(5);
    expect(atTime.right.eventCount).toBe(lastAtOrBefore + 1);

    const end = await replayTo(store, "tee", { kind: "end" });
    expect(E.isRight(end) && end.right.availability?.status).toBe("closed");
    expect(await replayTo(store, "nope", { kind: "end" })).toEqual(
      E.left({ _tag: "NoSuchStream", streamId: "sku-nope" }),
    );
  });

  it("--at takes a revision or an ISO instant", () => {
    expect(parseReplayPoint("41")).toEqual(E.right({ kind: "revision", revision: 41 }));
    expect(parseReplayPoint("2026-11-21T12:00:05Z")).toEqual(
      E.right({ kind: "time", time: "2026-11-21T12:00:05.000Z" }),
    );
    expect(E.isLeft(parseReplayPoint("yesterday"))).toBe(true);
  });
});
