import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventEnvelope } from "./envelope.ts";
import { isEventEnvelope } from "./envelope-check.ts";

const valid = {
  eventId: "7d3f2c1e-0b4a-4c5d-9e8f-1a2b3c4d5e6f",
  type: "SkuListed",
  schemaVersion: 1,
  streamId: "sku-tee",
  revision: 3,
  occurredAt: "2026-11-21T12:00:00.000Z",
  requestId: "r",
  correlationId: "c",
  causationId: "c",
  queuePosition: 7,
  data: { skuId: "tee" },
  prevHash: "0".repeat(64),
  hash: "a".repeat(64),
};
const FIELDS = Object.keys(valid) as Array<keyof typeof valid>;

/** Values that are near misses for some field: wrong types, bounds, formats. */
const oddValue = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    -1,
    0,
    1.5,
    2 ** 53,
    Number.NaN,
    "",
    "x",
    [],
    {},
    "A".repeat(64),
    "0".repeat(63),
    "2026-13-45T99:99:99.000Z",
    "2026-11-21T12:00:00Z",
    "2026-02-30T00:00:00.000Z",
    "2026-02-29T23:59:59.999Z",
    "2026-01-01T24:00:00.000Z",
    "2026-01-01T23:60:00.000Z",
    "2026-00-10T00:00:00.000Z",
    "2026-01-00T00:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "7d3f2c1e-0b4a-4c5d-9e8f-1a2b3c4d5e6g",
    "7d3f2c1e0b4a-4c5d-9e8f-1a2b3c4d5e6f0",
    "7D3F2C1E-0B4A-4C5D-9E8F-1A2B3C4D5E6F",
    true,
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
);

describe("isEventEnvelope", () => {
  it("accepts exactly what the EventEnvelope codec accepts", () => {
    expect(isEventEnvelope(valid)).toBe(true);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...FIELDS), oddValue, fc.boolean()), { maxLength: 3 }),
        (mutations) => {
          const candidate: Record<string, unknown> = { ...valid };
          for (const [field, value, drop] of mutations) {
            if (drop) delete candidate[field];
            else candidate[field] = value;
          }
          expect(isEventEnvelope(candidate)).toBe(E.isRight(EventEnvelope.decode(candidate)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses what is not an object", () => {
    for (const u of [null, 1, "x", [valid]]) {
      expect(isEventEnvelope(u)).toBe(false);
      expect(E.isRight(EventEnvelope.decode(u))).toBe(false);
    }
  });
});
