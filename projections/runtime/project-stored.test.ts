import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { canonicalJson, hashEvent } from "../../event-schemas/index.ts";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import type { StoredEvent } from "../../infra/event-store/port.ts";
import { skuScenario } from "../testing/scenario.ts";
import { saleWorkload } from "../testing/workload.ts";
import { projectedOf } from "./apply.ts";
import { projectStored, projectStoredPage } from "./project-stored.ts";

const right = <A>(r: E.Either<unknown, A>): A => {
  if (E.isLeft(r)) throw new Error(`expected Right, got ${String(r.left)}`);
  return r.right;
};

/** A sale's events as the store hands them over: verified stored texts, and the same decoded in full. */
const storedSale = async () => {
  const store = makeMemoryEventStore();
  const s = skuScenario(store, "tee");
  await s.append(...saleWorkload("tee").next(400));
  const stored = right(await store.readAllStored(null, 1000)());
  const recorded = right(await store.readAll(null, 1000)());
  return { stored, recorded };
};

describe("projectStored", () => {
  it("gives every event of a sale exactly as the full decode and upcast give it", async () => {
    const { stored, recorded } = await storedSale();
    expect(new Set(recorded.map((r) => r.envelope.type)).size).toBeGreaterThan(3);
    expect(right(projectStoredPage(stored))).toEqual(recorded.map((r) => right(projectedOf(r))));
  });

  it("upcasts an event of an older schema version, which the scanner leaves to the full decode", async () => {
    const { stored, recorded } = await storedSale();
    const i = recorded.findIndex((r) => r.envelope.type === "ReservationPlaced");
    const placed = recorded[i]!.envelope;
    const { quantityRequested: _q, allowPartial: _p, ...v1 } = placed.data as Record<string, unknown>;
    const unsealed = { ...placed, schemaVersion: 1, data: v1, hash: undefined };
    const hash = hashEvent(placed.prevHash, unsealed);
    const old = { ...unsealed, hash };
    const oldStored: StoredEvent = { ...stored[i]!, storedText: canonicalJson(old), hash };
    const got = right(projectStored(oldStored));
    expect(got.envelope.schemaVersion).toBe(1);
    expect(got.event.type).toBe("ReservationPlaced");
    expect(got.event.data).toMatchObject({ quantityRequested: expect.any(Number) });
  });

  it("refuses a text filed under another stream or not carrying the verified hash", async () => {
    const { stored } = await storedSale();
    const e = stored[3]!;
    expect(projectStored({ ...e, streamId: "sku-other" })).toEqual(
      E.left(expect.stringContaining("names stream sku-tee")),
    );
    expect(projectStored({ ...e, hash: stored[4]!.hash })).toEqual(
      E.left(expect.stringContaining("verified hash")),
    );
    expect(projectStoredPage([stored[0]!, { ...e, streamId: "sku-other" }])).toEqual(
      E.left(expect.stringContaining(`position ${e.position}`)),
    );
  });
});
