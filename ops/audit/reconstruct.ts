import { absurd } from "fp-ts/lib/function.js";
import * as E from "fp-ts/lib/Either.js";
import type { DecodedEvent, SkuCommand } from "../../event-schemas/index.ts";

/**
 * The command a group of events answers, rebuilt from what the events record. A group is the events of
 * one command: consecutive, same requestId and queue position. Lazy expiries (ReservationExpired) lead
 * it; at most one decision follows. A group of expiries alone is an ExpireHolds (or a CloseSale of a
 * closed sale, which decides the same: only the expiries). `requestId` and `now` are the envelope's: the
 * command is built whole, in one object (decision replay builds one per command of the stream).
 */
export const reconstructCommand = (
  group: ReadonlyArray<DecodedEvent>,
  requestId: string,
  now: string,
): E.Either<string, SkuCommand> => {
  let i = 0;
  while (i < group.length && group[i]!.event.type === "ReservationExpired") i += 1;
  if (i === group.length) return E.right({ type: "ExpireHolds", requestId, now });
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
      return E.right({ type: "ListSku", ...event.data, requestId, now });
    case "StockAdded":
      return E.right({ type: "AddStock", quantity: event.data.quantity, requestId, now });
    case "SaleClosed":
      return E.right({ type: "CloseSale", requestId, now });
    case "ReservationPlaced":
    case "ReservationRejected":
      return E.right({
        type: "PlaceReservation",
        reservationId: event.data.reservationId,
        userId: event.data.userId,
        quantity: event.data.quantityRequested,
        allowPartial: event.data.allowPartial,
        requestId,
        now,
      });
    case "ReservationCancelled":
      return E.right({
        type: "CancelReservation",
        reservationId: event.data.reservationId,
        userId: event.data.userId,
        requestId,
        now,
      });
    case "OrderPlaced":
      return E.right({
        type: "PlaceOrder",
        orderId: event.data.orderId,
        reservationId: event.data.reservationId,
        userId: event.data.userId,
        paymentToken: event.data.paymentToken,
        requestId,
        now,
      });
    case "PaymentSucceeded":
      return E.right({
        type: "RecordPaymentSucceeded",
        orderId: event.data.orderId,
        paymentId: event.data.paymentId,
        requestId,
        now,
      });
    case "PaymentFailed":
      return E.right({
        type: "RecordPaymentFailed",
        orderId: event.data.orderId,
        reason: event.data.reason,
        requestId,
        now,
      });
    case "PaymentUnresolved":
      return E.right({
        type: "RecordPaymentUnresolved",
        orderId: event.data.orderId,
        reason: event.data.reason,
        requestId,
        now,
      });
    case "ReservationExpired":
      return E.left("unreachable: expiries are skipped above");
    default:
      return absurd(event);
  }
};
