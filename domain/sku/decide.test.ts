import { describe, it } from "vitest";
import type { SkuEvent } from "../../event-schemas/index.ts";
import { cancelled, expired, orderPlaced, placed, rejected } from "../../event-schemas/testing/sku-events.ts";
import { at, cmd, given, listed, listSku, reserveBody, T0, uuid } from "./testing.ts";

const R1 = uuid(1);
const R2 = uuid(2);
const R3 = uuid(3);
const O1 = uuid(101);
const O2 = uuid(102);
const HOLD_END = at(120);

const reserve = (userId: string, quantity: number, reservationId: string, now = T0, allowPartial = false) =>
  cmd(reserveBody(userId, quantity, reservationId, allowPartial), now);
const held = (userId: string, quantity: number, reservationId: string, expiresAt = HOLD_END) =>
  placed(reservationId, userId, quantity, expiresAt);
const checkout = (userId: string, reservationId: string, orderId: string, now = T0) =>
  cmd({ type: "PlaceOrder", orderId, reservationId, userId, paymentToken: "tok" } as never, now);
const paid = (orderId: string, now = T0) =>
  cmd({ type: "RecordPaymentSucceeded", orderId, paymentId: "pay-1" } as never, now);
const failed = (orderId: string, now = T0) =>
  cmd({ type: "RecordPaymentFailed", orderId, reason: "declined" } as never, now);
const unresolved = (orderId: string, now = T0) =>
  cmd({ type: "RecordPaymentUnresolved", orderId, reason: "timeout" } as never, now);
const cancel = (userId: string, reservationId: string, now = T0) =>
  cmd({ type: "CancelReservation", reservationId, userId } as never, now);
const expireHolds = (now: string) => cmd({ type: "ExpireHolds" }, now);
const succeededEvent = (orderId: string, reservationId: string, quantity: number): SkuEvent =>
  ({ type: "PaymentSucceeded", data: { orderId, reservationId, quantity, paymentId: "pay-1" } }) as SkuEvent;
const failedEvent = (orderId: string, reservationId: string, quantity: number): SkuEvent =>
  ({ type: "PaymentFailed", data: { orderId, reservationId, quantity, reason: "declined" } }) as SkuEvent;

describe("listing, restock and close", () => {
  it("lists an unlisted SKU", () => {
    given([]).when(cmd(listSku())).then([listed()]);
  });
  it("lists only once", () => {
    given([listed()]).when(cmd(listSku())).thenError("SkuAlreadyListed");
  });
  it("refuses every other command before listing", () => {
    given([])
      .when(reserve("ann", 1, R1))
      .thenError("SkuNotListed");
    given([])
      .when(cmd({ type: "AddStock", quantity: 1 }))
      .thenError("SkuNotListed");
    given([]).when(expireHolds(T0)).thenError("SkuNotListed");
    given([]).when(paid(O1)).thenError("SkuNotListed");
  });
  it("restock adds to the total stock", () => {
    given([listed({ stock: 10 }), { type: "StockAdded", data: { quantity: 5, stock: 15 } }])
      .when(cmd({ type: "AddStock", quantity: 3 }))
      .then([{ type: "StockAdded", data: { quantity: 3, stock: 18 } }]);
  });
  it("restock makes a sold-out SKU reservable again", () => {
    given([listed({ stock: 1 }), held("bob", 1, R1), { type: "StockAdded", data: { quantity: 1, stock: 2 } }])
      .when(reserve("ann", 1, R2))
      .then([held("ann", 1, R2)]);
  });
  it("closes the sale once; closing again changes nothing", () => {
    given([listed()])
      .when(cmd({ type: "CloseSale" }))
      .then([{ type: "SaleClosed", data: {} }]);
    given([listed(), { type: "SaleClosed", data: {} }])
      .when(cmd({ type: "CloseSale" }))
      .then([]);
  });
});

describe("placing a reservation", () => {
  it("holds the units until now + holdSeconds", () => {
    given([listed({ holdSeconds: 30 })])
      .when(reserve("ann", 2, R1))
      .then([held("ann", 2, R1, at(30))]);
  });
  it("rejects sale-closed after the sale is closed", () => {
    given([listed(), { type: "SaleClosed", data: {} }])
      .when(reserve("ann", 1, R1))
      .then([rejected("ann", { reservationId: R1, quantityRequested: 1, reason: "sale-closed" })]);
  });
  it("rejects sale-closed at and after the end of the sale window", () => {
    given([listed({ saleEndsAt: at(60) as never })])
      .when(reserve("ann", 1, R1, at(60)))
      .then([rejected("ann", { reservationId: R1, quantityRequested: 1, reason: "sale-closed" })]);
  });
  it("rejects sale-not-open before the window opens, accepts from its start", () => {
    const history = [listed({ saleStartsAt: at(60) as never, saleEndsAt: at(600) as never })];
    given(history)
      .when(reserve("ann", 1, R1, at(59)))
      .then([rejected("ann", { reservationId: R1, quantityRequested: 1, reason: "sale-not-open" })]);
    given(history)
      .when(reserve("ann", 1, R1, at(60)))
      .then([held("ann", 1, R1, at(180))]);
  });
  it("rejects limit-exceeded when held units would pass the per-user limit", () => {
    given([listed({ perUserLimit: 2 }), held("ann", 1, R1)])
      .when(reserve("ann", 2, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 2, reason: "limit-exceeded" })]);
  });
  it("counts ordered and sold units against the limit too", () => {
    const ordered = [listed({ perUserLimit: 1 }), held("ann", 1, R1), orderPlaced(O1, R1, "ann", 1, 2500)];
    given(ordered)
      .when(reserve("ann", 1, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 1, reason: "limit-exceeded" })]);
    given([...ordered, succeededEvent(O1, R1, 1)])
      .when(reserve("ann", 1, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 1, reason: "limit-exceeded" })]);
  });
  it("gives back limit when a hold is cancelled, expires or its payment fails", () => {
    const base = [listed({ perUserLimit: 1 }), held("ann", 1, R1)];
    given([...base, cancelled(R1, "ann", 1)])
      .when(reserve("ann", 1, R2))
      .then([held("ann", 1, R2)]);
    given([...base, orderPlaced(O1, R1, "ann", 1, 2500), failedEvent(O1, R1, 1)])
      .when(reserve("ann", 1, R2))
      .then([held("ann", 1, R2)]);
    given(base)
      .when(reserve("ann", 1, R2, HOLD_END))
      .then([expired(R1, "ann", 1, HOLD_END), held("ann", 1, R2, at(240))]);
  });
  it("checks the limit before the stock", () => {
    given([listed({ stock: 1, perUserLimit: 1 }), held("ann", 1, R1)])
      .when(reserve("ann", 1, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 1, reason: "limit-exceeded" })]);
  });
  it("checks the sale window before the limit", () => {
    given([listed({ perUserLimit: 1 }), held("ann", 1, R1), { type: "SaleClosed", data: {} }])
      .when(reserve("ann", 1, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 1, reason: "sale-closed" })]);
  });
  it("rejects sold-out when nothing is left", () => {
    given([listed({ stock: 2 }), held("bob", 2, R1)])
      .when(reserve("ann", 1, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 1, reason: "sold-out" })]);
  });
  it("rejects insufficient-stock when fewer units are left than asked", () => {
    given([listed({ stock: 3 }), held("bob", 2, R1)])
      .when(reserve("ann", 2, R2))
      .then([rejected("ann", { reservationId: R2, quantityRequested: 2, reason: "insufficient-stock" })]);
  });
  it("allocates what is left under allowPartial", () => {
    given([listed({ stock: 3, perUserLimit: 5 }), held("bob", 2, R1)])
      .when(reserve("ann", 4, R2, T0, true))
      .then([placed(R2, "ann", 1, HOLD_END, { quantityRequested: 4, allowPartial: true })]);
  });
  it("caps a partial allocation at the shopper's remaining limit", () => {
    given([listed({ stock: 10, perUserLimit: 3 }), held("ann", 1, R1)])
      .when(reserve("ann", 5, R2, T0, true))
      .then([placed(R2, "ann", 2, HOLD_END, { quantityRequested: 5, allowPartial: true })]);
  });
  it("rejects a partial request with no limit left, or no stock left", () => {
    given([listed({ stock: 10, perUserLimit: 1 }), held("ann", 1, R1)])
      .when(reserve("ann", 2, R2, T0, true))
      .then([
        rejected("ann", {
          reservationId: R2,
          quantityRequested: 2,
          reason: "limit-exceeded",
          allowPartial: true,
        }),
      ]);
    given([listed({ stock: 1, perUserLimit: 3 }), held("bob", 1, R1)])
      .when(reserve("ann", 2, R2, T0, true))
      .then([
        rejected("ann", { reservationId: R2, quantityRequested: 2, reason: "sold-out", allowPartial: true }),
      ]);
  });
});

describe("expiry", () => {
  const history = [listed({ stock: 2 }), held("bob", 1, R1, at(60)), held("cy", 1, R2, at(120))];
  it("expires every hold past its deadline before allocating, and reuses the units", () => {
    given(history)
      .when(reserve("ann", 2, R3, at(130)))
      .then([expired(R1, "bob", 1, at(60)), expired(R2, "cy", 1, at(120)), held("ann", 2, R3, at(250))]);
  });
  it("ExpireHolds expires only what is due (a deadline reached is due)", () => {
    given(history)
      .when(expireHolds(at(60)))
      .then([expired(R1, "bob", 1, at(60))]);
  });
  it("ExpireHolds with nothing due decides nothing", () => {
    given(history)
      .when(expireHolds(at(59)))
      .then([]);
  });
  it("expires before any command, e.g. a restock", () => {
    given(history)
      .when(cmd({ type: "AddStock", quantity: 1 }, at(61)))
      .then([expired(R1, "bob", 1, at(60)), { type: "StockAdded", data: { quantity: 1, stock: 3 } }]);
  });
  it("never expires cancelled holds or holds whose order awaits payment", () => {
    given([
      ...history,
      cancelled(R1, "bob", 1),
      orderPlaced(O1, R2, "cy", 1, 2500),
      { type: "PaymentUnresolved", data: { orderId: O1, reservationId: R2, reason: "timeout" } },
    ] as SkuEvent[])
      .when(expireHolds(at(10_000)))
      .then([]);
  });
});

describe("cancelling a hold", () => {
  const history = [listed(), held("ann", 1, R1)];
  it("cancels the owner's active hold", () => {
    given(history)
      .when(cancel("ann", R1))
      .then([cancelled(R1, "ann", 1)]);
  });
  it("refuses someone else", () => {
    given(history).when(cancel("bob", R1)).thenError("NotReservationOwner");
  });
  it("refuses an unknown or rejected reservation", () => {
    given(history).when(cancel("ann", R2)).thenError("ReservationNotFound");
    given([
      ...history,
      rejected("ann", { reservationId: R2, quantityRequested: 5, reason: "limit-exceeded" }),
    ])
      .when(cancel("ann", R2))
      .thenError("ReservationNotFound");
  });
  it("refuses a hold already cancelled, expired, or ordered", () => {
    given([...history, cancelled(R1, "ann", 1)])
      .when(cancel("ann", R1))
      .thenError("HoldNotActive");
    given([...history, expired(R1, "ann", 1, HOLD_END)])
      .when(cancel("ann", R1))
      .thenError("HoldNotActive");
    given([...history, orderPlaced(O1, R1, "ann", 1, 2500)])
      .when(cancel("ann", R1))
      .thenError("HoldNotActive");
  });
  it("refuses a hold past its deadline, and emits no expiry with the refusal", () => {
    given(history)
      .when(cancel("ann", R1, HOLD_END))
      .thenError("HoldNotActive");
  });
});

describe("checkout", () => {
  const history = [listed({ perUserLimit: 3 }), held("ann", 2, R1)];
  it("turns the owner's active hold into an order for price × quantity", () => {
    given(history)
      .when(checkout("ann", R1, O1))
      .then([orderPlaced(O1, R1, "ann", 2, 5000)]);
  });
  it("refuses someone else, an unknown hold, an inactive hold and a hold past its deadline", () => {
    given(history)
      .when(checkout("bob", R1, O1))
      .thenError("NotReservationOwner");
    given(history)
      .when(checkout("ann", R2, O1))
      .thenError("ReservationNotFound");
    given([...history, cancelled(R1, "ann", 2)])
      .when(checkout("ann", R1, O1))
      .thenError("HoldNotActive");
    given(history)
      .when(checkout("ann", R1, O1, at(120)))
      .thenError("HoldNotActive");
    given([...history, orderPlaced(O1, R1, "ann", 2, 5000)])
      .when(checkout("ann", R1, O2))
      .thenError("HoldNotActive");
  });
});

describe("payment results", () => {
  const history = [
    listed({ stock: 2, perUserLimit: 2 }),
    held("ann", 2, R1),
    orderPlaced(O1, R1, "ann", 2, 5000),
  ];
  it("succeeded: the units are sold", () => {
    given(history)
      .when(paid(O1))
      .then([succeededEvent(O1, R1, 2)]);
    given([...history, succeededEvent(O1, R1, 2), { type: "StockAdded", data: { quantity: 1, stock: 3 } }])
      .when(reserve("bob", 2, R2))
      .then([rejected("bob", { reservationId: R2, quantityRequested: 2, reason: "insufficient-stock" })]);
  });
  it("failed: the units are released", () => {
    given(history)
      .when(failed(O1))
      .then([failedEvent(O1, R1, 2)]);
    given([...history, failedEvent(O1, R1, 2)])
      .when(reserve("bob", 2, R2))
      .then([held("bob", 2, R2)]);
  });
  it("unresolved: the units stay held (past any deadline) and the order can still settle", () => {
    const unresolvedEvent = {
      type: "PaymentUnresolved",
      data: { orderId: O1, reservationId: R1, reason: "timeout" },
    } as SkuEvent;
    given(history).when(unresolved(O1)).then([unresolvedEvent]);
    given([...history, unresolvedEvent])
      .when(reserve("bob", 1, R2, at(10_000)))
      .then([rejected("bob", { reservationId: R2, quantityRequested: 1, reason: "sold-out" })]);
    given([...history, unresolvedEvent])
      .when(paid(O1, at(10_000)))
      .then([succeededEvent(O1, R1, 2)]);
  });
  it("refuses an unknown order and an order already settled", () => {
    given(history).when(paid(O2)).thenError("OrderNotFound");
    given([...history, succeededEvent(O1, R1, 2)])
      .when(failed(O1))
      .thenError("PaymentAlreadySettled");
    given([...history, failedEvent(O1, R1, 2)])
      .when(paid(O1))
      .thenError("PaymentAlreadySettled");
    given([...history, failedEvent(O1, R1, 2)])
      .when(unresolved(O1))
      .thenError("PaymentAlreadySettled");
  });
});

describe("idempotency by requestId", () => {
  it("a request already decided produces no new events", () => {
    given([listed(), { event: held("ann", 1, R1), requestId: "req-a" }])
      .when(cmd(reserveBody("ann", 1, R2), T0, "req-a"))
      .thenError("RequestAlreadyDecided");
    given([listed(), { event: { type: "SaleClosed", data: {} }, requestId: "req-close" }])
      .when(cmd({ type: "AddStock", quantity: 1 }, T0, "req-close"))
      .thenError("RequestAlreadyDecided");
  });
  it("a rejected reservation request is decided too", () => {
    given([
      listed({ stock: 0 }),
      {
        event: rejected("ann", { reservationId: R1, quantityRequested: 1, reason: "sold-out" }),
        requestId: "req-a",
      },
    ])
      .when(cmd(reserveBody("ann", 1, R1), T0, "req-a"))
      .thenError("RequestAlreadyDecided");
  });
  it("a reservation or order id seen before marks its request as decided", () => {
    given([listed(), held("ann", 1, R1)])
      .when(reserve("ann", 1, R1))
      .thenError("RequestAlreadyDecided");
    given([listed(), held("ann", 1, R1), orderPlaced(O1, R1, "ann", 1, 2500)])
      .when(checkout("ann", R1, O1))
      .thenError("RequestAlreadyDecided");
  });
});
