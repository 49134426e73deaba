import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { decodeEvent } from "./envelope.ts";
import { sealEvents } from "./hash-chain.ts";
import { streamIdOf } from "./primitives.ts";
import type { SkuEvent } from "./sku/events.ts";
import { upcastEvent } from "./sku/upcasters.ts";

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

const v1Data = { reservationId: uuid(1), userId: "ann", quantity: 2, expiresAt: "2026-11-21T12:02:00.000Z" };

/** A stored envelope as the first release wrote it: ReservationPlaced at schema version 1. */
const v1Envelope = () => {
  const [sealed] = sealEvents(streamIdOf("tee"), null, [
    {
      eventId: uuid(100),
      event: { type: "StockAdded", data: { quantity: 1, stock: 1 } } as SkuEvent,
      occurredAt: "2026-11-21T12:00:00.000Z",
      requestId: uuid(200),
      correlationId: uuid(200),
      causationId: uuid(200),
      queuePosition: 0,
    },
  ]);
  return { ...sealed!, type: "ReservationPlaced", schemaVersion: 1, data: v1Data };
};

describe("decodeEvent and the upcaster chain", () => {
  it("upcasts ReservationPlaced v1 to v2: quantityRequested = quantity, allowPartial false", () => {
    const decoded = decodeEvent(v1Envelope());
    expect(decoded).toEqual(
      E.right({
        envelope: v1Envelope(),
        event: { type: "ReservationPlaced", data: { ...v1Data, quantityRequested: 2, allowPartial: false } },
      }),
    );
  });

  it("keeps the stored envelope as stored (data at its own version), so the chain still verifies", () => {
    const decoded = decodeEvent(v1Envelope());
    expect(E.isRight(decoded) && decoded.right.envelope.data).toEqual(v1Data);
  });

  it("decodes current versions as they are", () => {
    const v2 = { ...v1Data, quantityRequested: 3, allowPartial: true };
    expect(upcastEvent("ReservationPlaced", 2, v2)).toEqual(E.right({ type: "ReservationPlaced", data: v2 }));
  });

  it("names an unknown event type", () => {
    expect(decodeEvent({ ...v1Envelope(), type: "ReservationTeleported" })).toEqual(
      E.left({ _tag: "UnknownEventType", type: "ReservationTeleported" }),
    );
  });

  it("names an unknown schema version (from the future or never existing)", () => {
    expect(decodeEvent({ ...v1Envelope(), schemaVersion: 3 })).toEqual(
      E.left({ _tag: "UnknownSchemaVersion", type: "ReservationPlaced", schemaVersion: 3 }),
    );
    expect(upcastEvent("StockAdded", 0, {})).toEqual(
      E.left({ _tag: "UnknownSchemaVersion", type: "StockAdded", schemaVersion: 0 }),
    );
  });

  it("refuses data that does not match its declared version, and a malformed envelope", () => {
    const bad = decodeEvent({ ...v1Envelope(), data: { ...v1Data, quantity: 0 } });
    expect(E.isLeft(bad) && bad.left._tag).toBe("InvalidEventData");
    const missing = decodeEvent({ ...v1Envelope(), revision: -1 });
    expect(E.isLeft(missing) && missing.left._tag).toBe("InvalidEnvelope");
  });
});
