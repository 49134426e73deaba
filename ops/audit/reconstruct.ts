import * as E from "fp-ts/lib/Either.js";
import type { DecodedEvent, SkuCommandBody } from "../../event-schemas/index.ts";

/**
 * The command a group of events answers, rebuilt from what the events record. A group is the events of
 * one command: consecutive, same requestId and queue position. Lazy expiries (ReservationExpired) lead
 * it; at most one decision follows. A group of expiries alone is an ExpireHolds (or a CloseSale of a
 * closed sale, which decides the same: only the expiries).
 */
export const reconstructCommand = (group: ReadonlyArray<DecodedEvent>): E.Either<string, SkuCommandBody> => {
  let i = 0;
  while (i < group.length && group[i]!.event.type === "ReservationExpired") i += 1;
  if (i === group.length) return E.right({ type: "ExpireHolds" });
  if (group.length - i > 1)
    return E.left(
      `one command recorded ${group.length - i} decisions (${group
        .slice(i)
        .map((d) => d.event.type)
        .join(", ")}); a command decides at most one, after its expiries`,
    );
  const event = group[i]!.event;
  switch (event.type) {
    case "SkuListed":
      return E.right({ type: "ListSku", ...event.data });
    case "StockAdded":
      return E.right({ type: "AddStock", quantity: event.data.quantity });
    case "SaleClosed":
      return E.right({ type: "CloseSale" });
    case "ReservationPlaced":
    case "ReservationRejected":
      return E.right({
        type: "PlaceReservation",
        reservationId: event.data.reservationId,
        userId: event.data.userId,
        quantity: event.data.quantityRequested,
        allowPartial: event.data.allowPartial,
      });
    case "ReservationCancelled":
      return E.right({
        type: "CancelReservation",
        reservationId: event.data.reservationId,
        userId: event.data.userId,
      });
    case "OrderPlaced":
      return E.right({
        type: "PlaceOrder",
        orderId: event.data.orderId,
        reservationId: event.data.reservationId,
        userId: event.data.userId,
        paymentToken: event.data.paymentToken,
      });
    case "PaymentSucceeded":
      return E.right({
        type: "RecordPaymentSucceeded",
        orderId: event.data.orderId,
        paymentId: event.data.paymentId,
      });
    case "PaymentFailed":
      return E.right({ type: "RecordPaymentFailed", orderId: event.data.orderId, reason: event.data.reason });
    case "PaymentUnresolved":
      return E.right({
        type: "RecordPaymentUnresolved",
        orderId: event.data.orderId,
        reason: event.data.reason,
      });
    case "ReservationExpired":
      return E.left("unreachable: expiries are skipped above");
    default:
      return absurd(event);
  }
};

const absurd = (v: never): never => {
  throw new Error(`unexpected event ${JSON.stringify(v)}`);
};
