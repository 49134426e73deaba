import { absurd } from "fp-ts/lib/function.js";
import type { SkuEvent } from "../../event-schemas/index.ts";

/** Integer cents as a person reads them (two decimals; holdfast's currencies all have cents). */
export const money = (cents: number, currency: string): string => `${(cents / 100).toFixed(2)} ${currency}`;

/** One line a person can read for an event (the `replay` listing and `check-proof`). */
export const describeEvent = (e: SkuEvent): string => {
  switch (e.type) {
    case "SkuListed": {
      const d = e.data;
      return `"${d.name}" stock ${d.stock}, ${money(d.priceCents, d.currency)} each, limit ${d.perUserLimit}/shopper, hold ${d.holdSeconds}s`;
    }
    case "StockAdded":
      return `+${e.data.quantity} → stock ${e.data.stock}`;
    case "SaleClosed":
      return "sale closed";
    case "ReservationPlaced": {
      const d = e.data;
      return `${d.userId} asked ${d.quantityRequested}${d.allowPartial ? " (partial ok)" : ""} → held ${d.quantity} until ${d.expiresAt} · ${d.reservationId}`;
    }
    case "ReservationRejected": {
      const d = e.data;
      return `${d.userId} asked ${d.quantityRequested}${d.allowPartial ? " (partial ok)" : ""} → rejected ${d.reason} · ${d.reservationId}`;
    }
    case "ReservationCancelled":
      return `${e.data.userId} cancelled ${e.data.quantity} · ${e.data.reservationId}`;
    case "ReservationExpired":
      return `${e.data.userId}'s ${e.data.quantity} expired (deadline ${e.data.expiresAt}) · ${e.data.reservationId}`;
    case "OrderPlaced": {
      const d = e.data;
      return `${d.userId} ordered ${d.quantity} for ${money(d.amountCents, d.currency)} · order ${d.orderId} · ${d.reservationId}`;
    }
    case "PaymentSucceeded":
      return `order ${e.data.orderId} paid (${e.data.paymentId}): ${e.data.quantity} sold`;
    case "PaymentFailed":
      return `order ${e.data.orderId} payment failed (${e.data.reason}): ${e.data.quantity} released`;
    case "PaymentUnresolved":
      return `order ${e.data.orderId} payment unresolved (${e.data.reason}): units stay held`;
    default:
      return absurd(e);
  }
};
