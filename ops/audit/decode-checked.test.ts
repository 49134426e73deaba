import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { decodeEvent, type EventEnvelope } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { decodeChecked } from "./decode-checked.ts";
import { runSale } from "./testing/sale.ts";

const saleEvents = async (): Promise<EventEnvelope[]> => {
  const store = makeMemoryEventStore();
  const sale = await runSale(store, { seed: 5, shoppers: 40, stock: 30, chunks: 30 });
  const read = await store.readStream(sale.streamId)();
  await store.close();
  if (E.isLeft(read)) throw new Error(read.left._tag);
  return read.right.map((r) => r.envelope);
};

describe("decodeChecked gives decodeEvent's answers", () => {
  it("on every event of a real sale, and on each event with its data or envelope broken", async () => {
    const events = await saleEvents();
    expect(new Set(events.map((e) => e.type)).size).toBeGreaterThan(6);
    for (const e of events) {
      expect(decodeChecked(e, true)).toEqual(decodeEvent(e));
      expect(decodeChecked(e, false)).toEqual(decodeEvent(e));
      // Every data member is a string, integer or boolean, so 12.5 breaks any (SaleClosed has none).
      const firstKey = Object.keys(e.data)[0];
      const brokenData = firstKey === undefined ? [] : [{ ...e, data: { ...e.data, [firstKey]: 12.5 } }];
      for (const broken of [
        ...brokenData,
        { ...e, schemaVersion: 9 },
        { ...e, type: "ReservationTeleported" },
      ]) {
        const want = decodeEvent(broken);
        expect(E.isLeft(want)).toBe(true);
        expect(decodeChecked(broken, true)).toEqual(want);
        expect(decodeChecked(broken, false)).toEqual(want);
      }
      const badEnvelope = { ...e, revision: -1 };
      expect(decodeChecked(badEnvelope, false)).toEqual(decodeEvent(badEnvelope));
    }
  });

  it("upcasts an older version as decodeEvent does", async () => {
    const placed = (await saleEvents()).find((e) => e.type === "ReservationPlaced")!;
    const { quantityRequested: _q, allowPartial: _p, ...v1 } = placed.data as Record<string, unknown>;
    const old = { ...placed, schemaVersion: 1, data: v1 };
    const got = decodeChecked(old, true);
    expect(E.isRight(got)).toBe(true);
    expect(got).toEqual(decodeEvent(old));
  });
});
