import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { SkuEvent } from "../../event-schemas/index.ts";
import { decideBatch } from "./decide-batch.ts";
import { foldEvents } from "./evolve.ts";
import {
  availabilityOf,
  isRequestDecided,
  nextHoldDeadline,
  orderOf,
  requestOutcomeOf,
  reservationOf,
  usageOf,
} from "./queries.ts";
import { initialState } from "./state.ts";
import { orderPlaced, placed } from "../../event-schemas/testing/sku-events.ts";
import { at, cmd, listed, listSku, reserveBody, T0, uuid } from "./testing.ts";

describe("queries", () => {
  it("availabilityOf: undefined before listing; totals and the sale's status at a time", () => {
    expect(availabilityOf(initialState, T0)).toBeUndefined();
    const window = foldEvents([
      listed({ stock: 2, saleStartsAt: at(10) as never, saleEndsAt: at(100) as never }),
    ]);
    expect(availabilityOf(window, T0)?.status).toBe("scheduled");
    expect(availabilityOf(window, at(10))).toEqual({
      total: 2,
      available: 2,
      held: 0,
      sold: 0,
      status: "open",
    });
    expect(availabilityOf(window, at(100))?.status).toBe("closed");
    const soldOut = foldEvents([
      listed({ stock: 2 }),
      placed(uuid(1), "ann", 1, at(120)),
      orderPlaced(uuid(9), uuid(1), "ann", 1, 2500),
      {
        type: "PaymentSucceeded",
        data: { orderId: uuid(9), reservationId: uuid(1), quantity: 1, paymentId: "p" },
      },
      placed(uuid(2), "bob", 1, at(120)),
    ] as SkuEvent[]);
    expect(availabilityOf(soldOut, T0)).toEqual({
      total: 2,
      available: 0,
      held: 1,
      sold: 1,
      status: "sold_out",
    });
    const closed = foldEvents([listed(), { type: "SaleClosed", data: {} } as SkuEvent]);
    expect(availabilityOf(closed, T0)?.status).toBe("closed");
  });

  it("reservationOf and orderOf follow a hold through checkout and payment", () => {
    const events = [
      listed(),
      placed(uuid(1), "ann", 2, at(120)),
      orderPlaced(uuid(9), uuid(1), "ann", 2, 5000),
    ];
    const state = foldEvents(events);
    expect(reservationOf(state, uuid(1))).toEqual({
      reservationId: uuid(1),
      userId: "ann",
      quantity: 2,
      status: "ordered",
      expiresAt: at(120),
      orderId: uuid(9),
    });
    expect(orderOf(state, uuid(9))).toMatchObject({
      status: "pending_payment",
      amountCents: 5000,
      quantity: 2,
    });
    const failed = foldEvents([
      ...events,
      {
        type: "PaymentFailed",
        data: { orderId: uuid(9), reservationId: uuid(1), quantity: 2, reason: "no" },
      } as SkuEvent,
    ]);
    expect(reservationOf(failed, uuid(1))?.status).toBe("released");
    expect(orderOf(failed, uuid(9))?.status).toBe("payment_failed");
    expect(usageOf(failed, "ann")).toBe(0);
    expect(reservationOf(state, uuid(2))).toBeUndefined();
    expect(orderOf(state, uuid(2))).toBeUndefined();
  });

  it("nextHoldDeadline: the earliest hold that can still expire, even when deadlines arrive out of order", () => {
    const state = foldEvents([
      listed(),
      placed(uuid(1), "ann", 1, at(120)),
      placed(uuid(2), "bob", 1, at(60)), // a command stamped earlier, decided later
      placed(uuid(3), "cy", 1, at(90)),
    ]);
    expect(nextHoldDeadline(state)).toBe(at(60));
    const ordered = foldEvents([orderPlaced(uuid(9), uuid(2), "bob", 1, 2500)], state);
    expect(nextHoldDeadline(ordered)).toBe(at(90));
    expect(nextHoldDeadline(foldEvents([listed()]))).toBeNull();
    const { state: swept, outcomes } = decideBatch(ordered, [cmd({ type: "ExpireHolds" }, at(100))]);
    expect(E.isRight(outcomes[0]!) && outcomes[0].right.map((e) => e.type)).toEqual(["ReservationExpired"]);
    expect(nextHoldDeadline(swept)).toBe(at(120));
  });

  it("requestOutcomeOf: the event that answered a request, for re-publishing", () => {
    const list = cmd(listSku({ stock: 1 }), T0, "r-list");
    const first = cmd(reserveBody("ann", 1, uuid(1)), T0, "r-ann");
    const second = cmd(reserveBody("bob", 1, uuid(2)), T0, "r-bob");
    const { state } = decideBatch(initialState, [
      list,
      first,
      second,
      cmd({ type: "ExpireHolds" }, T0, "r-sweep"),
    ]);
    expect(requestOutcomeOf(state, "r-ann")).toMatchObject({ type: "ReservationPlaced" });
    expect(requestOutcomeOf(state, "r-bob")).toMatchObject({
      type: "ReservationRejected",
      data: { reason: "sold-out" },
    });
    expect(isRequestDecided(state, "r-list")).toBe(true);
    expect(isRequestDecided(state, "r-sweep")).toBe(false); // nothing was due: no event, nothing recorded
  });
});
