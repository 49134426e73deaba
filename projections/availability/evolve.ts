import type { SkuEvent } from "../../event-schemas/index.ts";

/**
 * What one event does to the Redis availability view, as data the apply script runs. Keeping the
 * translation here (pure, unit-tested) and the script generic keeps the Lua tiny.
 *
 * - `["set", field, value]` / `["incr", field, delta]`: on the SKU hash;
 * - `["res", reservationId, field, value, …]`: HSET on the reservation hash.
 */
export type AvailabilityOp =
  | readonly ["set", string, string]
  | readonly ["incr", string, number]
  | readonly ["res", string, ...string[]];

export const availabilityOps = (event: SkuEvent, revision: number): ReadonlyArray<AvailabilityOp> => {
  const rev = String(revision);
  switch (event.type) {
    case "SkuListed": {
      const d = event.data;
      return [
        ["set", "total", String(d.stock)],
        ["set", "held", "0"],
        ["set", "sold", "0"],
        ["set", "closed", "0"],
        ["set", "saleStartsAt", d.saleStartsAt ?? ""],
        ["set", "saleEndsAt", d.saleEndsAt ?? ""],
        ["set", "name", d.name],
        ["set", "description", d.description],
        ["set", "priceCents", String(d.priceCents)],
        ["set", "currency", d.currency],
        ["set", "tags", JSON.stringify(d.tags)],
      ];
    }
    case "StockAdded":
      return [["set", "total", String(event.data.stock)]];
    case "SaleClosed":
      return [["set", "closed", "1"]];
    case "ReservationPlaced": {
      const d = event.data;
      return [
        ["incr", "held", d.quantity],
        [
          "res",
          d.reservationId,
          "userId",
          d.userId,
          "quantity",
          String(d.quantity),
          "status",
          "held",
          "expiresAt",
          d.expiresAt,
          "orderId",
          "",
          "revision",
          rev,
        ],
      ];
    }
    case "ReservationRejected":
    case "PaymentUnresolved":
      return [];
    case "ReservationCancelled":
      return [
        ["incr", "held", -event.data.quantity],
        ["res", event.data.reservationId, "status", "cancelled", "revision", rev],
      ];
    case "ReservationExpired":
      return [
        ["incr", "held", -event.data.quantity],
        ["res", event.data.reservationId, "status", "expired", "revision", rev],
      ];
    case "OrderPlaced":
      return [
        [
          "res",
          event.data.reservationId,
          "status",
          "ordered",
          "orderId",
          event.data.orderId,
          "revision",
          rev,
        ],
      ];
    case "PaymentSucceeded":
      return [
        ["incr", "held", -event.data.quantity],
        ["incr", "sold", event.data.quantity],
        ["res", event.data.reservationId, "status", "sold", "revision", rev],
      ];
    case "PaymentFailed":
      return [
        ["incr", "held", -event.data.quantity],
        ["res", event.data.reservationId, "status", "released", "revision", rev],
      ];
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
};
