import * as E from "fp-ts/lib/Either.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { currentEventOf } from "./event-check.ts";
import { currentVersions, dataCodecs, type SkuEventType } from "./events.ts";
import { upcastEvent } from "./upcasters.ts";

const U1 = "7d3f2c1e-0b4a-4c5d-9e8f-1a2b3c4d5e6f";
const U2 = "00000001-0000-4000-8000-00000000002a";
const AT = "2026-11-21T12:00:00.000Z";

/** One valid current-version data object per event type. */
const samples: { readonly [K in SkuEventType]: Record<string, unknown> } = {
  SkuListed: {
    skuId: "tee.1_a-B",
    name: "Tee",
    description: "",
    priceCents: 2500,
    currency: "EUR",
    stock: 100,
    perUserLimit: 2,
    holdSeconds: 600,
    saleStartsAt: AT,
    saleEndsAt: null,
    tags: ["cotton", "x"],
  },
  StockAdded: { quantity: 5, stock: 105 },
  SaleClosed: {},
  ReservationPlaced: {
    reservationId: U1,
    userId: "shopper-1",
    quantityRequested: 3,
    quantity: 2,
    allowPartial: true,
    expiresAt: AT,
  },
  ReservationRejected: {
    reservationId: U1,
    userId: "shopper-1",
    quantityRequested: 3,
    allowPartial: false,
    reason: "sold-out",
  },
  ReservationCancelled: { reservationId: U1, userId: "u", quantity: 1 },
  ReservationExpired: { reservationId: U1, userId: "u", quantity: 1, expiresAt: AT },
  OrderPlaced: {
    orderId: U2,
    reservationId: U1,
    userId: "u",
    quantity: 1,
    amountCents: 0,
    currency: "USD",
    paymentToken: "tok",
  },
  PaymentSucceeded: { orderId: U2, reservationId: U1, quantity: 1, paymentId: "p" },
  PaymentFailed: { orderId: U2, reservationId: U1, quantity: 1, reason: "declined" },
  PaymentUnresolved: { orderId: U2, reservationId: U1, reason: "timeout" },
};
const TYPES = Object.keys(samples) as SkuEventType[];

/** Near misses for some member: wrong types, bounds, formats. */
const oddValue = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    -1,
    0,
    1,
    1.5,
    1_000_000,
    1_000_001,
    86_400,
    86_401,
    1_000_000_000_00,
    1_000_000_000_01,
    2 ** 53,
    Number.NaN,
    "",
    "x",
    "A".repeat(64),
    "a".repeat(65),
    "EUR",
    "eur",
    "EU",
    "EURO",
    "shopper 1",
    "shopper/1",
    "sold-out",
    "sale-closed",
    "toString",
    "__proto__",
    [],
    ["a"],
    [""],
    ["a".repeat(65)],
    [1],
    {},
    true,
    false,
    AT,
    "2026-02-30T00:00:00.000Z",
    "2026-02-29T23:59:59.999Z",
    "2026-01-01T24:00:00.000Z",
    "2026-11-21T12:00:00Z",
    U1,
    U1.toUpperCase(),
    `${U1.slice(0, 35)}g`,
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
);

const codecAccepts = (type: SkuEventType, data: unknown) => E.isRight(dataCodecs[type].decode(data));

describe("currentEventOf (hand-written data checks)", () => {
  it("accepts every valid sample and returns the event the codec would", () => {
    for (const type of TYPES) {
      const data = samples[type];
      expect(codecAccepts(type, data)).toBe(true);
      const ev = currentEventOf(type, currentVersions[type], data);
      expect(ev).toEqual({ type, data });
      expect(E.right(ev)).toEqual(upcastEvent(type, currentVersions[type], data));
    }
  });

  it("accepts exactly what each type's data codec accepts, member by member", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.array(fc.tuple(fc.nat(20), oddValue, fc.boolean()), { maxLength: 3 }),
        (type, mutations) => {
          const candidate: Record<string, unknown> = { ...samples[type] };
          const fields = Object.keys(candidate);
          for (const [i, value, drop] of mutations) {
            const field = fields[i % Math.max(1, fields.length)] ?? "extra";
            if (drop) delete candidate[field];
            else candidate[field] = value;
          }
          expect(currentEventOf(type, currentVersions[type], candidate) !== null).toBe(
            codecAccepts(type, candidate),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("refuses data that is not an object, as the codecs do", () => {
    for (const type of TYPES)
      for (const u of [null, undefined, 1, "x", [], [samples[type]]]) {
        expect(currentEventOf(type, currentVersions[type], u)).toBeNull();
        expect(codecAccepts(type, u)).toBe(false);
      }
  });

  it("leaves unknown types and other schema versions to upcastEvent", () => {
    expect(currentEventOf("ReservationTeleported", 1, {})).toBeNull();
    expect(currentEventOf("toString", 1, {})).toBeNull();
    const v1 = { reservationId: U1, userId: "u", quantity: 1, expiresAt: AT };
    expect(currentEventOf("ReservationPlaced", 1, v1)).toBeNull();
    expect(currentEventOf("StockAdded", 2, samples.StockAdded)).toBeNull();
  });
});
