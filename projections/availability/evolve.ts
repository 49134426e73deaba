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

/**
 * What one event does to the availability view, told to `to` as the apply script's three kinds of
 * write; the one definition of it (`availabilityOps` lists the writes, fold.ts folds them per SKU).
 */
export interface AvailabilityWrites {
  /** HSET on the SKU hash. */
  set(field: string, value: string): void;
  /** HINCRBY on the SKU hash. */
  incr(field: string, delta: number): void;
  /** HSET on the reservation hash: `fieldsAndValues` is `field, value, …`. */
  res(reservationId: string, ...fieldsAndValues: string[]): void;
}

export const writeAvailability = (event: SkuEvent, revision: number, to: AvailabilityWrites): void => {
  const rev = String(revision);
  switch (event.type) {
    case "SkuListed": {
      const d = event.data;
      to.set("total", String(d.stock));
      to.set("held", "0");
      to.set("sold", "0");
      to.set("closed", "0");
      to.set("saleStartsAt", d.saleStartsAt ?? "");
      to.set("saleEndsAt", d.saleEndsAt ?? "");
      to.set("name", d.name);
      to.set("description", d.description);
      to.set("priceCents", String(d.priceCents));
      to.set("currency", d.currency);
      to.set("tags", JSON.stringify(d.tags));
      return;
    }
    case "StockAdded":
      to.set("total", String(event.data.stock));
      return;
    case "SaleClosed":
      to.set("closed", "1");
      return;
    case "ReservationPlaced": {
      const d = event.data;
      to.incr("held", d.quantity);
      to.res(
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
      );
      return;
    }
    case "ReservationRejected":
    case "PaymentUnresolved":
      return;
    case "ReservationCancelled":
      to.incr("held", -event.data.quantity);
      to.res(event.data.reservationId, "status", "cancelled", "revision", rev);
      return;
    case "ReservationExpired":
      to.incr("held", -event.data.quantity);
      to.res(event.data.reservationId, "status", "expired", "revision", rev);
      return;
    case "OrderPlaced":
      to.res(event.data.reservationId, "status", "ordered", "orderId", event.data.orderId, "revision", rev);
      return;
    case "PaymentSucceeded":
      to.incr("held", -event.data.quantity);
      to.incr("sold", event.data.quantity);
      to.res(event.data.reservationId, "status", "sold", "revision", rev);
      return;
    case "PaymentFailed":
      to.incr("held", -event.data.quantity);
      to.res(event.data.reservationId, "status", "released", "revision", rev);
      return;
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
};

/** One event's writes as data, in order. */
export const availabilityOps = (event: SkuEvent, revision: number): ReadonlyArray<AvailabilityOp> => {
  const ops: AvailabilityOp[] = [];
  writeAvailability(event, revision, {
    set: (field, value) => ops.push(["set", field, value]),
    incr: (field, delta) => ops.push(["incr", field, delta]),
    res: (id, ...fieldsAndValues) => ops.push(["res", id, ...fieldsAndValues]),
  });
  return ops;
};
